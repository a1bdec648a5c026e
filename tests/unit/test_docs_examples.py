"""Every example in docs/bahasa-sop.md runs: the SOP author's reference cannot drift from the engine.

Each ```yaml block of the guide is extracted. A whole procedure (``id`` and ``sop``) is loaded and
linted and must be clean. A fragment must parse; a ``fields``/``states``/``actions``/``rules``
fragment (or a list of actions, or a map of states) is spliced into :data:`BASE`, a small procedure
holding every field and setting the guide's examples name, and the result must load and lint clean
(except for the flow findings a spliced-in step cannot avoid: unreachable, dead-end, one-person paths).
Every ``when`` and ``check`` in the blocks, and every example expression in the tables of the guard
sections, is read with ``guard_names`` and phrased with ``phrase_guard``. A block marked
``# contoh salah`` is an example of an error and must fail.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from engine.domain.definitions import Registry, data_dir, guard_names, lint_definition, lint_many, load_definition_text
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.definitions.phrase import phrase_guard
from engine.domain.definitions.safe_yaml import safe_load
from engine.errors import DefinitionError, GuardError

DOC = Path(__file__).resolve().parents[2] / "docs" / "bahasa-sop.md"
WRONG = "# contoh salah"

#: Findings about the flow of a spliced procedure: a fragment's steps are not wired into a whole path.
FLOW_FINDINGS = ("tidak dapat dicapai", "perangkap", "sendirian", "buntu", "tidak punya aksi keluar")


def _column(kind: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "label": label, **extra}


#: The procedure fragments are spliced into: every field, setting and role the guide's examples name.
BASE: dict[str, Any] = {
    "id": "contoh_dokumen",
    "version": 1,
    "title": "Contoh untuk panduan bahasa SOP",
    "category": "kelembagaan",
    "number_prefix": "CDK",
    "sop": {
        "nomor": "SOP-CDK-01", "tanggal_pembuatan": "2026-01-05", "tanggal_efektif": "2026-02-01",
        "disahkan_oleh": "ketua", "dasar_hukum": ["AD/ART Koperasi"], "kualifikasi_pelaksana": ["Memahami AD/ART"],
        "peralatan": ["Formulir"], "peringatan": "Keputusan tanpa prosedur ini tidak sah.", "pencatatan": ["Arsip"],
    },
    "roles": ["manajer", "bendahara", "ketua", "sekretaris", "pengawas", "pengurus", "anggota", "pimpinan_rapat"],
    "declared_roles": {"panitia_pemilihan": {"label": "Panitia Pemilihan", "max_seats": 7}},
    "settings_used": {
        "batas_manajer": {"default": 500000, "label": "Batas persetujuan manajer (Rp)"},
        "batas_ketua": {"default": 5000000, "label": "Batas persetujuan ketua (Rp)"},
        "batas_pinjam_tanpa_ketua": {"default": 1000000, "label": "Batas pinjam tanpa ketua (Rp)"},
        "toleransi_selisih_kas": {"default": 10000, "label": "Toleransi selisih kas (Rp)"},
        "suara_keputusan_ra_persen": {"default": 50, "label": "Suara keputusan rapat anggota (persen)"},
        "kelurahan": {"default": "Sentanan", "label": "Kelurahan wilayah koperasi"},
        "kuorum_pengawas": {"default": 2, "label": "Jumlah pengawas yang harus menyetujui"},
        "kuorum_keputusan_pengurus": {"default": 3, "label": "Suara pengurus untuk keputusan"},
        "kuorum_hadir_rapat_pengurus_persen": {"default": 50, "label": "Kuorum hadir rapat pengurus (persen)"},
        "kuorum_rapat_anggota_persen": {"default": 50, "label": "Kuorum rapat anggota (persen)"},
        "kuorum_rapat_anggota_lebih_dari": {"default": True, "label": "Kuorum rapat anggota: lebih dari"},
        "masa_keanggotaan_calon": {"default": 12, "label": "Masa keanggotaan minimal calon (bulan)"},
    },
    "fields": {
        "jumlah": _column("money", "Jumlah (Rp)", min=1),
        "nilai_buku": _column("money", "Nilai buku barang (Rp)"),
        "uang_disetor": _column("money", "Uang disetor (Rp)"),
        "penjualan_tunai": _column("money", "Penjualan tunai (Rp)"),
        "suara_setuju": _column("integer", "Suara setuju"),
        "tercantum_rapb": _column("choice", "Tercantum di RAPB", options=["Ya", "Tidak"]),
        "pos_rapb": _column("text", "Pos RAPB"),
        "kondisi": _column("choice", "Kondisi saat kembali", options=["Baik", "Rusak ringan", "Rusak berat", "Hilang"]),
        "jenis": _column("choice", "Jenis perubahan", options=["Baru", "Revisi"]),
        "nomor_anggota": _column("text", "Nomor anggota"),
        "kelurahan_ktp": _column("text", "Kelurahan pada KTP"),
        "keperluan": _column("text", "Keperluan"),
        "judul": _column("text", "Judul keputusan"),
        "uraian": _column("text", "Uraian"),
        "notulen": _column("attachment", "Notulen", accept=["pdf"]),
        "daftar_hadir_ttd": _column("attachment", "Daftar hadir bertanda tangan", accept=["pdf", "jpg"]),
        "batas_waktu_kirim": _column("date", "Batas waktu kirim"),
        "tanggal_pesanan": _column("date", "Tanggal pesanan"),
        "tanggal_rapat": _column("date", "Tanggal rapat"),
        "tanggal_rat": _column("date", "Tanggal RAT"),
        "tanggal_undangan": _column("date", "Tanggal undangan"),
        "tanggal_masuk": _column("date", "Tanggal masuk"),
        "tanggal_mulai": _column("date", "Tanggal mulai masa jabatan"),
        "tanggal_akhir": _column("date", "Tanggal akhir masa jabatan"),
        "hadir": _column("attendance", "Pengurus yang hadir", of="pengurus", on="tanggal_rapat"),
        "daftar_hadir": _column("attendance", "Anggota yang hadir", of="anggota", on="tanggal_rat"),
        "calon_ketua": _column("person", "Calon ketua", of="anggota", on="tanggal_rat"),
        "penerima_kuasa": _column("person", "Penerima kuasa"),
        "calon": _column("list", "Calon pengurus", min_rows=1, max_rows=15, columns={
            "anggota": _column("person", "Calon", of="anggota", on="tanggal_rat", required=True),
            "jabatan": _column("choice", "Jabatan yang dicalonkan", options=["Ketua Pengurus", "Sekretaris", "Bendahara"],
                               required=True),
            "suara": _column("integer", "Suara", min=0),
        }),
        "panitia": _column("list", "Panitia pemilihan", min_rows=3, max_rows=5, columns={
            "anggota": _column("person", "Anggota panitia", of="anggota", required=True),
        }),
        "hasil": _column("list", "Hasil pemilihan", columns={
            "anggota": _column("person", "Terpilih", required=True),
            "jabatan": _column("choice", "Jabatan", options=["Ketua Pengurus", "Sekretaris", "Bendahara",
                                                                          "Pengawas"],
                               required=True),
        }),
    },
    "states": {
        "draf": {"title": "Draf", "guidance": "Isi data."},
        "menunggu_ketua": {"title": "Persetujuan ketua"},
        "selesai": {"title": "Selesai", "final": True},
    },
    "actions": [
        {"id": "ajukan", "kind": "submit", "from": "draf", "to": "menunggu_ketua", "roles": ["manajer"]},
        {"id": "putuskan", "kind": "approve", "from": "menunggu_ketua", "to": "selesai", "roles": ["ketua"]},
        {"id": "daftarkan_calon", "kind": "submit", "from": "draf", "to": "menunggu_ketua", "roles": ["anggota"],
         "not_roles": ["pengawas"]},
    ],
}

_PROCEDURE_KEYS = {"fields", "states", "actions", "settings_used", "declared_roles", "roles", "checklist", "rules"}


def _blocks() -> list[tuple[int, str]]:
    """(line, text) of every ```yaml block, dedented to its fence."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        match = re.fullmatch(r"( *)```yaml", lines[i])
        if match is None:
            i += 1
            continue
        indent, start, body = len(match.group(1)), i + 1, []
        i += 1
        while lines[i].strip() != "```":
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        out.append((start, "\n".join(body) + "\n"))
        i += 1
    return out


BLOCKS = _blocks()


def _load(data: dict[str, Any], name: str) -> LoadedDefinition:
    return load_definition_text(json.dumps(data, ensure_ascii=False, default=str), name)


def _splice(fragment: Any) -> dict[str, Any] | None:
    """BASE with the fragment in it; None when the fragment is not a procedure part (a bare ``when``)."""
    base = copy.deepcopy(BASE)
    if isinstance(fragment, list) and fragment and all(isinstance(a, dict) and "kind" in a for a in fragment):
        fragment = {"actions": fragment}
    elif isinstance(fragment, dict) and fragment and not set(fragment) & _PROCEDURE_KEYS \
            and all(isinstance(v, dict) for v in fragment.values()):
        fragment = {"states": fragment}  # a map of states, e.g. one state's escalation
    if not isinstance(fragment, dict) or not set(fragment) & _PROCEDURE_KEYS:
        return None
    base["fields"].update(fragment.get("fields", {}))
    base["settings_used"].update(fragment.get("settings_used", {}))
    base["declared_roles"].update(fragment.get("declared_roles", {}))
    base["roles"] += [r for r in fragment.get("roles", []) if r not in base["roles"]]
    for name, state in fragment.get("states", {}).items():
        base["states"][name] = {**base["states"].get(name, {"title": name.replace("_", " ").capitalize()}), **state}
    if "checklist" in fragment:
        base["states"]["draf"]["checklist"] = fragment["checklist"]
    if "rules" in fragment:
        base["actions"].append({"id": "periksa_aturan", "kind": "verify", "from": "menunggu_ketua", "to": "selesai",
                                "roles": ["sekretaris"], "rules": fragment["rules"],
                                "when": "jumlah > settings.batas_ketua"})
        base["actions"][1]["when"] = "jumlah <= settings.batas_ketua"
    actions = fragment.get("actions", [])
    sources = {s for a in actions for s in ([a["from"]] if isinstance(a["from"], str) else a["from"])}
    for action in actions:
        for state in [*sources, action["to"]]:
            if state not in base["states"]:
                base["states"][state] = {"title": state.replace("_", " ").capitalize(),
                                         **({} if state in sources else {"final": True})}
        for role in action["roles"]:
            if role not in base["roles"]:
                base["roles"].append(role)
        base["actions"].append(action)
    return base


def _problems(loaded: LoadedDefinition) -> list[str]:
    return [p.message for p in lint_definition(loaded) if not any(f in p.message for f in FLOW_FINDINGS)]


def _org_problems(text: str, tmp_path: Path) -> list[str]:
    """What importing this organisation file (against the shipped procedures) refuses."""
    from engine.services.organisation import load_org

    path = tmp_path / "organisasi.yaml"
    path.write_text(text, encoding="utf-8")
    shipped = [x.as_written for x in Registry.from_paths([data_dir("workflows")]).all()]
    try:
        load_org(path, shipped)
    except DefinitionError as exc:
        return [p.message for p in exc.problems]
    return []


def _expressions(data: Any) -> list[tuple[str, str | None]]:
    """Every ``when`` and ``check`` in a parsed block, with the list a rule reads row by row."""
    out: list[tuple[str, str | None]] = []
    if isinstance(data, dict):
        for key in ("when", "check"):
            if isinstance(data.get(key), str):
                out.append((data[key], data.get("for_each") if key == "check" else None))
        for value in data.values():
            out += _expressions(value)
    elif isinstance(data, list):
        for item in data:
            out += _expressions(item)
    return out


def _check_expression(expression: str, d: Any, for_each: str | None) -> str:
    names = guard_names(expression, row_context=for_each is not None)
    assert not names.other, f"{expression}: {sorted(names.other)}"
    columns = set((d.fields[for_each].columns or {}) if for_each else ())
    assert names.fields <= set(d.fields) | columns, f"{expression}: {sorted(names.fields - set(d.fields))}"
    assert names.settings <= set(d.settings_used), f"{expression}: {sorted(names.settings)}"
    words = phrase_guard(expression, d, {}, for_each)
    assert words and "settings." not in words and "_" not in words.replace("Rp_", ""), words
    return words


def test_the_guide_has_yaml_examples() -> None:
    assert len(BLOCKS) >= 20
    assert any(WRONG in text for _, text in BLOCKS), "the guide shows at least one wrong example"


@pytest.mark.parametrize(("line", "text"), BLOCKS, ids=[f"baris-{line}" for line, _ in BLOCKS])
def test_every_yaml_example_of_the_guide_holds(line: int, text: str, tmp_path: Path) -> None:
    wrong = WRONG in text
    try:
        data = safe_load(text, f"bahasa-sop.md:{line}")
    except DefinitionError:
        assert wrong, f"line {line}: not YAML"
        return
    if isinstance(data, dict) and "cooperatives" in data:  # an organisation file
        assert _org_problems(text, tmp_path) if wrong else not _org_problems(text, tmp_path)
        return
    if isinstance(data, dict) and "id" in data and "sop" in data:
        name = f"bahasa-sop.md:{line}"
        loaded = load_definition_text(text, name)
        # beside the shipped procedures, as the guide tells the author to check it (--workflows twice)
        shipped = Registry.from_paths([data_dir("workflows")]).all()
        problems = [p.message for p in lint_many([*shipped, loaded]) if p.file == name]
        assert bool(problems) == wrong, problems
        return
    spliced = _splice(data)
    problems: list[str] = []
    d = None
    if spliced is not None:
        try:
            loaded = _load(spliced, f"bahasa-sop.md:{line}")
        except DefinitionError as exc:
            problems = [p.message for p in exc.problems]
        else:
            d = loaded.as_written
            problems = _problems(loaded)
    base = d or _load(BASE, "base").as_written
    for expression, for_each in _expressions(data):
        try:
            _check_expression(expression, base, for_each)
        except (GuardError, AssertionError, KeyError) as exc:
            problems.append(f"{expression}: {exc}")
    if wrong:
        assert problems, f"line {line} is marked '{WRONG}' but holds"
    else:
        assert not problems, f"line {line}: {problems}"


def _table_examples() -> list[str]:
    """Example expressions in the last column of the tables of the guide's guard sections."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Ekspresi syarat")
    section = text[start:text.index("\n## ", start + 1)]
    out: list[str] = []
    for row in section.splitlines():
        if not row.startswith("|") or row.startswith("|---"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        if len(cells) < 2 or cells[-1] in ("Contoh",):
            continue
        out += [code.replace("\\|", "|") for code in re.findall(r"`([^`]+)`", cells[-1])]
    return out


TABLE_EXAMPLES = _table_examples()


def test_the_guard_tables_have_examples() -> None:
    assert len(TABLE_EXAMPLES) >= 20
    assert "count(daftar_hadir) * 2 > members_on(tanggal_rat)" in TABLE_EXAMPLES


@pytest.mark.parametrize("expression", TABLE_EXAMPLES)
def test_every_guard_example_in_the_tables_reads_and_prints_in_words(expression: str) -> None:
    d = _load(BASE, "base").as_written
    assert _check_expression(expression, d, None)


def test_the_base_procedure_is_clean() -> None:
    assert _problems(_load(BASE, "base")) == []


def test_every_procedure_the_guide_links_to_exists_and_is_clean() -> None:
    linked = set(re.findall(r"\]\(\.\./workflows/([a-z_]+\.yaml)\)", DOC.read_text(encoding="utf-8")))
    assert {"pengeluaran_kas.yaml", "pemilihan_pengurus.yaml"} <= linked
    registry = Registry.from_paths([data_dir("workflows")])
    for name in sorted(linked):
        loaded = registry.get(name.removesuffix(".yaml"))
        assert lint_definition(loaded) == [], name
