"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification.

Pure functions over SHA-256 hashes; standard library only so the module can be
copied verbatim into an offline verifier.

Leaf hash: ``SHA-256(0x00 || data)``; interior node: ``SHA-256(0x01 || left || right)``.
The tree over ``n`` leaves splits at the largest power of two strictly less than ``n``
(RFC 6962 section 2.1). The empty tree hashes to ``SHA-256("")``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeGuard

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Size in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""Root hash of the empty tree: ``SHA-256("")``."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """Hash one leaf entry.

    Args:
        data: The raw leaf data.

    Returns:
        ``SHA-256(0x00 || data)``.
    """
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an interior node from its two children.

    Args:
        left: Hash of the left subtree.
        right: Hash of the right subtree.

    Returns:
        ``SHA-256(0x01 || left || right)``.
    """
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _is_hash(value: object) -> TypeGuard[bytes]:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_hash(value: object, what: str) -> bytes:
    if not _is_hash(value):
        raise ValueError(f"{what} must be {HASH_SIZE} bytes")
    return value


def _hash_list(proof: object) -> list[bytes] | None:
    """Copy a proof into a list, or return None if it is not a sequence of hashes."""
    if isinstance(proof, str | bytes | bytearray) or not isinstance(proof, Sequence):
        return None
    nodes = list(proof)
    if not all(_is_hash(p) for p in nodes):
        return None
    return nodes


class CompactRange:
    """Compact range (frontier) of a Merkle tree: the roots of its perfect subtrees.

    For a tree of size ``n`` it keeps one hash per set bit of ``n``, ordered from the
    leftmost (largest) subtree to the rightmost (smallest). That is enough to append
    further leaves in O(log n) and to compute the root of the current tree.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        """Create the compact range of the empty tree."""
        self._size = 0
        self._hashes: list[bytes] = []

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """Perfect-subtree roots, largest (leftmost) first."""
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf.

        Args:
            leaf_hash: The already-hashed leaf (see :func:`leaf_hash`).

        Raises:
            ValueError: If ``leaf_hash`` is not a 32-byte value.
        """
        self._append_unchecked(_check_hash(leaf_hash, "leaf hash"))

    def append_data(self, data: bytes) -> bytes:
        """Append the leaf holding ``data`` (hashed as :func:`leaf_hash`) and return its leaf hash."""
        leaf = hashlib.sha256(_LEAF_PREFIX + data).digest()
        self._append_unchecked(leaf)
        return leaf

    def _append_unchecked(self, leaf_hash: bytes) -> None:
        hashes = self._hashes
        hashes.append(leaf_hash)
        carry = self._size
        # Each trailing 1 bit of the old size is a subtree of equal size to merge with.
        sha256 = hashlib.sha256
        while carry & 1:
            right = hashes.pop()
            hashes[-1] = sha256(_NODE_PREFIX + hashes[-1] + right).digest()  # node_hash, inlined: a verifier
            carry >>= 1  # computes this for every entry
        self._size += 1

    def root(self) -> bytes:
        """Return the root hash of the tree made of all appended leaves."""
        hashes = self._hashes
        if not hashes:
            return EMPTY_ROOT
        root = hashes[-1]
        sha256 = hashlib.sha256
        for i in range(len(hashes) - 2, -1, -1):
            root = sha256(_NODE_PREFIX + hashes[i] + root).digest()  # node_hash(hashes[i], root), inlined
        return root

    def to_list(self) -> list[str]:
        """Return the subtree roots as lowercase hex strings (for JSON storage)."""
        return [h.hex() for h in self._hashes]

    @classmethod
    def from_list(cls, size: int, hashes_hex: Sequence[str]) -> CompactRange:
        """Rebuild a compact range from :meth:`to_list` output.

        Args:
            size: The tree size the hashes belong to.
            hashes_hex: Hex-encoded subtree roots, largest first.

        Returns:
            The restored compact range.

        Raises:
            ValueError: If the size is negative, the number of hashes does not match
                the number of set bits of ``size``, or a hash is not 32 bytes of hex.
        """
        if not _is_count(size):
            raise ValueError("size must be a non-negative integer")
        if isinstance(hashes_hex, str | bytes):
            raise ValueError("hashes_hex must be a sequence of hex strings")
        expected = size.bit_count()
        if len(hashes_hex) != expected:
            raise ValueError(
                f"compact range of size {size} needs {expected} hashes, got {len(hashes_hex)}"
            )
        hashes: list[bytes] = []
        for item in hashes_hex:
            if not isinstance(item, str) or len(item) != 2 * HASH_SIZE:
                raise ValueError(f"each hash must be {2 * HASH_SIZE} hex characters")
            try:
                hashes.append(bytes.fromhex(item))
            except ValueError:
                raise ValueError(f"invalid hex hash: {item!r}") from None
        result = cls()
        result._size = size
        result._hashes = hashes
        return result

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    def __hash__(self) -> int:
        return hash((self._size, tuple(self._hashes)))

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, hashes={self.to_list()!r})"


def _range_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH of ``leaf_hashes[start:end]`` without copying, in O(end - start)."""
    compact = CompactRange()
    for i in range(start, end):
        compact._append_unchecked(leaf_hashes[i])
    return compact.root()


def _check_leaves(leaf_hashes: Sequence[bytes]) -> None:
    for i, h in enumerate(leaf_hashes):
        if not _is_hash(h):
            raise ValueError(f"leaf hash at index {i} must be {HASH_SIZE} bytes")


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """Compute the Merkle tree hash MTH(D[n]) over already-hashed leaves.

    Runs in O(n) time and O(log n) extra memory; no recursion.

    Args:
        leaf_hashes: The leaf hashes, in log order.

    Returns:
        The 32-byte root hash (:data:`EMPTY_ROOT` for no leaves).

    Raises:
        ValueError: If a leaf hash is not 32 bytes.
    """
    _check_leaves(leaf_hashes)
    return _range_root(leaf_hashes, 0, len(leaf_hashes))


def _split_point(n: int) -> int:
    """Largest power of two strictly less than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Build the RFC 6962 audit path PATH(m, D[n]) for one leaf.

    Args:
        leaf_hashes: All leaf hashes of the tree; ``n = len(leaf_hashes)``.
        index: Index ``m`` of the leaf to prove, ``0 <= m < n``.

    Returns:
        The proof nodes, from the leaf level up to just below the root.

    Raises:
        ValueError: If ``index`` is out of range or a leaf hash is not 32 bytes.
    """
    size = len(leaf_hashes)
    if not _is_count(index) or index >= size:
        raise ValueError(f"leaf index {index!r} out of range for tree size {size}")
    _check_leaves(leaf_hashes)
    siblings: list[bytes] = []  # collected from the root downwards
    start, end, m = 0, size, index
    while end - start > 1:
        k = _split_point(end - start)
        if m < k:
            siblings.append(_range_root(leaf_hashes, start + k, end))
            end = start + k
        else:
            siblings.append(_range_root(leaf_hashes, start, start + k))
            start += k
            m -= k
    siblings.reverse()
    return siblings


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Build the RFC 6962 consistency proof PROOF(m, D[n]).

    Args:
        leaf_hashes: All leaf hashes of the new tree; ``n = len(leaf_hashes)``.
        old_size: Size ``m`` of the old tree, ``0 < m <= n``.

    Returns:
        The proof nodes (empty when ``m == n``).

    Raises:
        ValueError: If ``old_size`` is out of range or a leaf hash is not 32 bytes.
    """
    size = len(leaf_hashes)
    if not _is_count(old_size) or not 0 < old_size <= size:
        raise ValueError(f"old size {old_size!r} out of range for tree size {size}")
    _check_leaves(leaf_hashes)
    siblings: list[bytes] = []  # collected from the root downwards
    start, end, m = 0, size, old_size
    complete = True  # the "b" flag of SUBPROOF: subtree is the whole old tree
    while m != end - start:
        k = _split_point(end - start)
        if m <= k:
            siblings.append(_range_root(leaf_hashes, start + k, end))
            end = start + k
        else:
            siblings.append(_range_root(leaf_hashes, start, start + k))
            start += k
            m -= k
            complete = False
    proof = [] if complete else [_range_root(leaf_hashes, start, end)]
    proof.extend(reversed(siblings))
    return proof


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Verify an inclusion proof (RFC 9162 section 2.1.3.2).

    Args:
        leaf_hash: Hash of the leaf claimed to be in the tree.
        index: Index of that leaf.
        size: Size of the tree.
        proof: The audit path, leaf level first.
        root: Expected root hash of the tree of ``size`` leaves.

    Returns:
        True if the proof is valid; False on any mismatch or malformed input.
        Never raises.
    """
    if not (_is_count(index) and _is_count(size) and index < size):
        return False
    if not (_is_hash(leaf_hash) and _is_hash(root)):
        return False
    nodes = _hash_list(proof)
    if nodes is None:
        return False
    fn, sn = index, size - 1
    r = leaf_hash
    for p in nodes:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Verify a consistency proof (RFC 9162 section 2.1.4.2).

    An empty old tree is consistent with any tree given an empty proof; equal sizes
    require an empty proof and equal roots.

    Args:
        old_size: Size of the old tree.
        new_size: Size of the new tree.
        old_root: Root hash of the old tree.
        new_root: Root hash of the new tree.
        proof: The consistency proof nodes.

    Returns:
        True if the proof is valid; False on any mismatch or malformed input.
        Never raises.
    """
    if not (_is_count(old_size) and _is_count(new_size) and old_size <= new_size):
        return False
    path = _hash_list(proof)
    if path is None:
        return False
    if old_size == 0:
        return len(path) == 0
    if not (_is_hash(old_root) and _is_hash(new_root)):
        return False
    if old_size == new_size:
        return len(path) == 0 and old_root == new_root
    if len(path) == 0:
        return False

    if old_size & (old_size - 1) == 0:  # exact power of two: old root is a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
