"""Tests for the RFC 6962 / RFC 9162 Merkle tree module."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.audit.core.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

# Certificate Transparency reference vectors (google/certificate-transparency
# merkle_tree_test, also used by transparency-dev/merkle).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}
CT_CONSISTENCY = {
    (1, 1): [],
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}

MAX_EXHAUSTIVE = 33


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


ALL_LEAVES = _leaves(MAX_EXHAUSTIVE + 1)
# Roots of every prefix of ALL_LEAVES (one beyond MAX_EXHAUSTIVE for off-by-one checks).
PREFIX_ROOTS = [root_from_leaf_hashes(ALL_LEAVES[:n]) for n in range(MAX_EXHAUSTIVE + 2)]


def _reference_root(leaf_hashes: list[bytes]) -> bytes:
    """Textbook recursive MTH from RFC 6962 section 2.1, for small inputs."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(_reference_root(leaf_hashes[:k]), _reference_root(leaf_hashes[k:]))


def _level_root(leaf_hashes: list[bytes]) -> bytes:
    """Bottom-up MTH: pair neighbours level by level, promoting an odd last node."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = leaf_hashes
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def _flip_bit(data: bytes, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# --- hashing primitives and known answers -------------------------------------------


def test_leaf_and_node_hashes_use_the_rfc_6962_domain_separation_prefixes() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = b"L" * 32, b"R" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()


def test_empty_root_is_the_sha256_of_the_empty_string() -> None:
    assert hashlib.sha256(b"").hexdigest() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert CompactRange().root() == EMPTY_ROOT


def test_roots_match_the_certificate_transparency_vectors_for_sizes_1_to_8() -> None:
    hashes = [leaf_hash(d) for d in CT_LEAVES]
    got = [root_from_leaf_hashes(hashes[:n]).hex() for n in range(1, 9)]
    assert got == CT_ROOTS


def test_compact_range_roots_match_the_certificate_transparency_vectors() -> None:
    compact = CompactRange()
    for data, expected in zip(CT_LEAVES, CT_ROOTS, strict=True):
        compact.append(leaf_hash(data))
        assert compact.root().hex() == expected


@pytest.mark.parametrize(("index", "size"), sorted(CT_INCLUSION))
def test_inclusion_proofs_match_the_certificate_transparency_vectors(index: int, size: int) -> None:
    hashes = [leaf_hash(d) for d in CT_LEAVES[:size]]
    proof = inclusion_proof(hashes, index)
    assert [p.hex() for p in proof] == CT_INCLUSION[(index, size)]
    root = bytes.fromhex(CT_ROOTS[size - 1])
    assert verify_inclusion(hashes[index], index, size, proof, root)


@pytest.mark.parametrize(("old", "new"), sorted(CT_CONSISTENCY))
def test_consistency_proofs_match_the_certificate_transparency_vectors(old: int, new: int) -> None:
    hashes = [leaf_hash(d) for d in CT_LEAVES[:new]]
    proof = consistency_proof(hashes, old)
    assert [p.hex() for p in proof] == CT_CONSISTENCY[(old, new)]
    old_root = bytes.fromhex(CT_ROOTS[old - 1])
    new_root = bytes.fromhex(CT_ROOTS[new - 1])
    assert verify_consistency(old, new, old_root, new_root, proof)


# --- roots and compact ranges ---------------------------------------------------------


def test_root_matches_the_recursive_rfc_definition_for_sizes_up_to_100() -> None:
    leaves = _leaves(100)
    for n in range(101):
        assert root_from_leaf_hashes(leaves[:n]) == _reference_root(leaves[:n]), n


def test_compact_range_root_equals_root_from_leaf_hashes_for_sizes_0_to_100() -> None:
    leaves = _leaves(100)
    compact = CompactRange()
    for n in range(101):
        assert compact.size == n
        assert compact.root() == root_from_leaf_hashes(leaves[:n]), n
        assert len(compact.hashes) == n.bit_count()
        if n < 100:
            compact.append(leaves[n])


def test_compact_range_round_trips_through_to_list_and_from_list() -> None:
    leaves = _leaves(100)
    compact = CompactRange()
    for n in range(101):
        stored = compact.to_list()
        assert all(isinstance(h, str) and len(h) == 64 for h in stored)
        restored = CompactRange.from_list(n, stored)
        assert restored == compact
        assert restored.size == n
        assert restored.root() == compact.root()
        if n < 100:
            compact.append(leaves[n])
            restored.append(leaves[n])
            assert restored.root() == compact.root()


def test_compact_range_from_list_rejects_inconsistent_input() -> None:
    good = CompactRange.from_list(3, ["00" * 32, "11" * 32])
    assert good.size == 3
    with pytest.raises(ValueError, match="needs 2 hashes"):
        CompactRange.from_list(3, ["00" * 32])
    with pytest.raises(ValueError, match="needs 0 hashes"):
        CompactRange.from_list(0, ["00" * 32])
    with pytest.raises(ValueError):
        CompactRange.from_list(-1, [])
    with pytest.raises(ValueError):
        CompactRange.from_list(1, ["00" * 31])
    with pytest.raises(ValueError):
        CompactRange.from_list(1, ["zz" * 32])


def test_compact_range_rejects_a_leaf_hash_of_the_wrong_length() -> None:
    compact = CompactRange()
    with pytest.raises(ValueError):
        compact.append(b"short")
    assert compact.size == 0


def test_root_of_a_million_leaves_matches_the_bottom_up_construction() -> None:
    # Distinct cheap leaf hashes; the point is size, not the hashing of inputs.
    n = 1_000_000
    leaves = [i.to_bytes(32, "big") for i in range(n)]
    assert root_from_leaf_hashes(leaves) == _level_root(leaves)


def test_root_from_leaf_hashes_rejects_a_leaf_hash_of_the_wrong_length() -> None:
    with pytest.raises(ValueError):
        root_from_leaf_hashes([b"\x00" * 32, b"\x00" * 31])


# --- inclusion proofs -----------------------------------------------------------------


def test_inclusion_proof_verifies_for_every_leaf_of_trees_up_to_33() -> None:
    for size in range(1, MAX_EXHAUSTIVE + 1):
        leaves = ALL_LEAVES[:size]
        root = PREFIX_ROOTS[size]
        for index in range(size):
            proof = inclusion_proof(leaves, index)
            assert verify_inclusion(leaves[index], index, size, proof, root), (index, size)


def test_inclusion_proof_fails_when_any_proof_node_is_bit_flipped() -> None:
    for size in range(1, MAX_EXHAUSTIVE + 1):
        leaves = ALL_LEAVES[:size]
        root = PREFIX_ROOTS[size]
        for index in range(size):
            proof = inclusion_proof(leaves, index)
            for pos in range(len(proof)):
                for bit in (0, 255):
                    bad = list(proof)
                    bad[pos] = _flip_bit(bad[pos], bit)
                    assert not verify_inclusion(leaves[index], index, size, bad, root)


def test_inclusion_proof_fails_with_a_wrong_root_or_leaf() -> None:
    for size in range(1, MAX_EXHAUSTIVE + 1):
        leaves = ALL_LEAVES[:size]
        root = PREFIX_ROOTS[size]
        for index in range(size):
            proof = inclusion_proof(leaves, index)
            assert not verify_inclusion(leaves[index], index, size, proof, _flip_bit(root))
            assert not verify_inclusion(_flip_bit(leaves[index]), index, size, proof, root)


def test_inclusion_proof_fails_when_the_index_is_off_by_one() -> None:
    for size in range(1, MAX_EXHAUSTIVE + 1):
        leaves = ALL_LEAVES[:size]
        root = PREFIX_ROOTS[size]
        for index in range(size):
            proof = inclusion_proof(leaves, index)
            for i in (index - 1, index + 1):
                assert not verify_inclusion(leaves[index], i, size, proof, root), (index, i)


def test_inclusion_proof_fails_against_the_tree_one_leaf_larger_or_smaller() -> None:
    # A size change alone cannot always be detected (sizes 3 and 4 give leaf 0 the same
    # path shape), so the neighbouring tree is checked with its own genuine root; in a
    # log, size and root come together from the same signed checkpoint.
    for size in range(1, MAX_EXHAUSTIVE + 1):
        leaves = ALL_LEAVES[:size]
        for index in range(size):
            proof = inclusion_proof(leaves, index)
            for s in (size - 1, size + 1):
                assert not verify_inclusion(leaves[index], index, s, proof, PREFIX_ROOTS[s]), (
                    index,
                    size,
                    s,
                )


def test_inclusion_proof_fails_when_a_node_is_added_or_removed() -> None:
    for size in range(1, MAX_EXHAUSTIVE + 1):
        leaves = ALL_LEAVES[:size]
        root = PREFIX_ROOTS[size]
        for index in range(size):
            proof = inclusion_proof(leaves, index)
            leaf = leaves[index]
            assert not verify_inclusion(leaf, index, size, [*proof, root], root)
            assert not verify_inclusion(leaf, index, size, [root, *proof], root)
            if proof:
                assert not verify_inclusion(leaf, index, size, proof[:-1], root)
                assert not verify_inclusion(leaf, index, size, proof[1:], root)


def test_single_leaf_tree_has_an_empty_inclusion_proof_and_root_equal_to_the_leaf() -> None:
    leaf = leaf_hash(b"only")
    assert inclusion_proof([leaf], 0) == []
    assert root_from_leaf_hashes([leaf]) == leaf
    assert verify_inclusion(leaf, 0, 1, [], leaf)


def test_verify_inclusion_returns_false_on_malformed_input_instead_of_raising() -> None:
    leaf = ALL_LEAVES[0]
    proof = inclusion_proof(ALL_LEAVES[:4], 0)
    root = PREFIX_ROOTS[4]
    assert verify_inclusion(leaf, 0, 4, proof, root)
    assert not verify_inclusion(leaf, 4, 4, proof, root)
    assert not verify_inclusion(leaf, -1, 4, proof, root)
    assert not verify_inclusion(leaf, 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(leaf[:31], 0, 4, proof, root)
    assert not verify_inclusion(leaf, 0, 4, proof, root[:31])
    assert not verify_inclusion(leaf, 0, 4, [*proof[:-1], proof[-1][:31]], root)
    assert not verify_inclusion(leaf, 0, 4, b"", root)  # type: ignore[arg-type]
    assert not verify_inclusion(leaf, 0, 4, None, root)  # type: ignore[arg-type]
    assert not verify_inclusion(leaf, True, 4, proof, root)
    assert not verify_inclusion(leaf, 0, 4, [1, 2], root)  # type: ignore[list-item]


def test_inclusion_proof_rejects_an_index_out_of_range() -> None:
    with pytest.raises(ValueError):
        inclusion_proof(ALL_LEAVES[:4], 4)
    with pytest.raises(ValueError):
        inclusion_proof(ALL_LEAVES[:4], -1)
    with pytest.raises(ValueError):
        inclusion_proof([], 0)


# --- consistency proofs ---------------------------------------------------------------


def test_consistency_proof_verifies_for_every_pair_of_sizes_up_to_33() -> None:
    for new in range(1, MAX_EXHAUSTIVE + 1):
        leaves = ALL_LEAVES[:new]
        for old in range(1, new + 1):
            proof = consistency_proof(leaves, old)
            assert verify_consistency(old, new, PREFIX_ROOTS[old], PREFIX_ROOTS[new], proof), (
                old,
                new,
            )


def test_consistency_proof_for_equal_sizes_is_empty() -> None:
    for n in range(1, MAX_EXHAUSTIVE + 1):
        assert consistency_proof(ALL_LEAVES[:n], n) == []
        assert verify_consistency(n, n, PREFIX_ROOTS[n], PREFIX_ROOTS[n], [])


def test_consistency_proof_fails_when_any_proof_node_is_bit_flipped() -> None:
    for new in range(1, MAX_EXHAUSTIVE + 1):
        leaves = ALL_LEAVES[:new]
        for old in range(1, new + 1):
            proof = consistency_proof(leaves, old)
            for pos in range(len(proof)):
                for bit in (0, 255):
                    bad = list(proof)
                    bad[pos] = _flip_bit(bad[pos], bit)
                    assert not verify_consistency(
                        old, new, PREFIX_ROOTS[old], PREFIX_ROOTS[new], bad
                    ), (old, new, pos)


def test_consistency_proof_fails_when_either_root_is_wrong() -> None:
    for new in range(1, MAX_EXHAUSTIVE + 1):
        leaves = ALL_LEAVES[:new]
        for old in range(1, new + 1):
            proof = consistency_proof(leaves, old)
            old_root, new_root = PREFIX_ROOTS[old], PREFIX_ROOTS[new]
            assert not verify_consistency(old, new, _flip_bit(old_root), new_root, proof)
            assert not verify_consistency(old, new, old_root, _flip_bit(new_root), proof)


def test_consistency_proof_fails_for_the_neighbouring_pairs_of_sizes() -> None:
    # As for inclusion, each neighbouring (old, new) pair is checked with its own genuine
    # roots: size and root always travel together in a signed checkpoint.
    for new in range(1, MAX_EXHAUSTIVE + 1):
        leaves = ALL_LEAVES[:new]
        for old in range(1, new + 1):
            proof = consistency_proof(leaves, old)
            for o, n in ((old + 1, new), (old - 1, new), (old, new + 1), (old, new - 1)):
                if o == 0 and not proof:
                    continue  # an empty proof from the empty tree is legitimately valid
                assert not verify_consistency(o, n, PREFIX_ROOTS[o], PREFIX_ROOTS[n], proof), (
                    old,
                    new,
                    o,
                    n,
                )


def test_consistency_proof_fails_when_the_old_and_new_sizes_are_swapped() -> None:
    for new in range(2, MAX_EXHAUSTIVE + 1):
        for old in range(1, new):
            proof = consistency_proof(ALL_LEAVES[:new], old)
            assert not verify_consistency(new, old, PREFIX_ROOTS[new], PREFIX_ROOTS[old], proof)


def test_consistency_proof_fails_when_a_node_is_added_or_removed() -> None:
    for new in range(2, MAX_EXHAUSTIVE + 1):
        leaves = ALL_LEAVES[:new]
        for old in range(1, new):
            proof = consistency_proof(leaves, old)
            old_root, new_root = PREFIX_ROOTS[old], PREFIX_ROOTS[new]
            assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
            assert not verify_consistency(old, new, old_root, new_root, proof[1:])
            assert not verify_consistency(old, new, old_root, new_root, [*proof, old_root])
            assert not verify_consistency(old, new, old_root, new_root, [old_root, *proof])


def test_consistency_from_a_different_history_is_rejected() -> None:
    forked = [leaf_hash(b"forked"), *ALL_LEAVES[1:20]]
    for old in range(1, 20):
        proof = consistency_proof(ALL_LEAVES[:20], old)
        forked_root = root_from_leaf_hashes(forked[:old])
        assert not verify_consistency(old, 20, forked_root, PREFIX_ROOTS[20], proof)


def test_empty_old_tree_is_consistent_with_anything_only_given_an_empty_proof() -> None:
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, PREFIX_ROOTS[5], [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, PREFIX_ROOTS[5], [PREFIX_ROOTS[5]])


def test_verify_consistency_returns_false_on_malformed_input_instead_of_raising() -> None:
    proof = consistency_proof(ALL_LEAVES[:7], 3)
    r3, r7 = PREFIX_ROOTS[3], PREFIX_ROOTS[7]
    assert verify_consistency(3, 7, r3, r7, proof)
    assert not verify_consistency(7, 3, r7, r3, proof)
    assert not verify_consistency(-1, 7, r3, r7, proof)
    assert not verify_consistency(3, 7, r3, r7, [])
    assert not verify_consistency(3, 7, r3[:31], r7, proof)
    assert not verify_consistency(3, 7, r3, r7 + b"\x00", proof)
    assert not verify_consistency(3, 7, r3, r7, [p[:16] for p in proof])
    assert not verify_consistency(3, 7, r3, r7, None)  # type: ignore[arg-type]
    assert not verify_consistency(3, 3, r3, r7, [])
    assert not verify_consistency(3, 3, r3, r3, proof)
    assert not verify_consistency(3.0, 7, r3, r7, proof)  # type: ignore[arg-type]


def test_consistency_proof_rejects_an_old_size_out_of_range() -> None:
    with pytest.raises(ValueError):
        consistency_proof(ALL_LEAVES[:4], 0)
    with pytest.raises(ValueError):
        consistency_proof(ALL_LEAVES[:4], 5)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_consistency_proofs_verify_for_random_sizes(data: st.DataObject) -> None:
    new = data.draw(st.integers(min_value=1, max_value=300), label="new")
    old = data.draw(st.integers(min_value=1, max_value=new), label="old")
    leaves = _leaves(new)
    proof = consistency_proof(leaves, old)
    old_root = _level_root(leaves[:old])
    new_root = _level_root(leaves)
    assert verify_consistency(old, new, old_root, new_root, proof)
    # The proof length is logarithmic in the new size.
    assert len(proof) <= 2 * new.bit_length()
    if proof:
        pos = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="pos")
        bit = data.draw(st.integers(min_value=0, max_value=255), label="bit")
        bad = list(proof)
        bad[pos] = _flip_bit(bad[pos], bit)
        assert not verify_consistency(old, new, old_root, new_root, bad)
    else:
        assert old == new


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_inclusion_proofs_verify_for_random_sizes(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=300), label="size")
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    leaves = _leaves(size)
    proof = inclusion_proof(leaves, index)
    root = _level_root(leaves)
    assert verify_inclusion(leaves[index], index, size, proof, root)
    assert not verify_inclusion(leaves[index], index, size, proof, _flip_bit(root))
