"""The SOP language: loading, located errors, lint, schema, guards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.domain.definitions import (
    GuardError,
    Registry,
    compile_guard,
    data_dir,
    guard_names,
    lint_definition,
    lint_many,
    load_definition_text,
)
from engine.domain.definitions.loader import definition_hash
from engine.domain.definitions.schema import json_schema_text
from engine.errors import DefinitionError

SHIPPED = data_dir("workflows")
MINIMAL = """\
id: contoh
version: 1
title: Prosedur contoh
category: keuangan
number_prefix: CTH
sop:
  nomor: SOP-CTH-01
  tanggal_pembuatan: 2025-01-01
  tanggal_efektif: 2025-02-01
  disahkan_oleh: ketua
  dasar_hukum: [AD/ART]
  kualifikasi_pelaksana: [Memahami AD/ART]
  peralatan: [Formulir]
  peringatan: Tidak ada
  pencatatan: [Buku kas]
roles: [bendahara, ketua]
settings_used:
  batas: {default: 100, label: Batas}
fields:
  jumlah: {type: money, label: Jumlah, required: true}
states:
  draf: {title: Draf}
  menunggu: {title: Menunggu ketua}
  selesai: {title: Selesai, final: true}
actions:
  - {id: ajukan, kind: submit, from: draf, to: menunggu, roles: [bendahara], requires: [jumlah]}
  - {id: setujui, kind: approve, from: menunggu, to: selesai, roles: [ketua], when: "jumlah <= settings.batas"}
  - {id: tolak, kind: reject, from: menunggu, to: selesai, roles: [ketua]}
"""


def lint_text(text: str) -> list[str]:
    return [str(p) for p in lint_definition(load_definition_text(text, "w.yaml"))]


def test_every_shipped_workflow_loads_and_lints_clean() -> None:
    registry = Registry.from_paths([SHIPPED])
    assert {"pengeluaran_kas", "penerimaan_anggota", "keputusan_rapat_pengurus"} <= {
        d.definition.id for d in registry.all()}
    assert lint_many(registry.all()) == []


def test_a_minimal_definition_is_clean() -> None:
    assert lint_text(MINIMAL) == []


def test_broken_yaml_is_reported_with_file_line_and_column() -> None:
    with pytest.raises(DefinitionError) as info:
        load_definition_text("id: x\nversion: 1\n  title: [\n", "rusak.yaml")
    problem = info.value.problems[0]
    assert (problem.file, problem.line) == ("rusak.yaml", 3)
    assert str(problem).startswith("rusak.yaml:3:")


def test_schema_errors_point_at_the_offending_value() -> None:
    text = MINIMAL.replace("kind: reject", "kind: tolak")
    with pytest.raises(DefinitionError) as info:
        load_definition_text(text, "w.yaml")
    [problem] = info.value.problems
    assert problem.line == text.splitlines().index(
        next(line for line in text.splitlines() if "kind: tolak" in line)) + 1
    assert "actions[2].kind" in problem.message and "harus salah satu dari" in problem.message


def test_unknown_keys_and_missing_fields_are_named() -> None:
    text = MINIMAL.replace("title: Prosedur contoh\n", "judul: Prosedur contoh\n")
    with pytest.raises(DefinitionError) as info:
        load_definition_text(text, "w.yaml")
    messages = [p.message for p in info.value.problems]
    assert "judul: kunci tidak dikenal" in messages
    assert "title: wajib diisi" in messages
    assert next(p for p in info.value.problems if "judul" in p.message).line == 3


def test_duplicate_yaml_keys_are_refused_with_a_position() -> None:
    with pytest.raises(DefinitionError) as info:
        load_definition_text(MINIMAL + "roles: [ketua]\n", "w.yaml")
    assert info.value.problems[0].line > 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("roles: [bendahara, ketua]", "roles: [bendahara, ketua, bendahari]"), "peran 'bendahari' tidak dikenal"),
        (("roles: [ketua], when", "roles: [pengawas], when"), "peran 'pengawas' tidak ada di daftar roles"),
        (("  selesai: {title: Selesai, final: true}", "  selesai: {title: Selesai, final: true}\n  yatim: {title: Yatim}"),
         "status 'yatim' tidak dapat dicapai"),
        (("to: selesai, roles: [ketua], when", "to: buntu, roles: [ketua], when"), "status tujuan 'buntu' tidak ada"),
        (("when: \"jumlah <= settings.batas\"", "when: \"jumlah <= settings.batas_lain\""),
         "setting 'batas_lain' yang tidak dideklarasikan"),
        (("when: \"jumlah <= settings.batas\"", "when: \"nominal <= settings.batas\""), "field 'nominal' yang tidak ada"),
        (("when: \"jumlah <= settings.batas\"", "when: \"jumlah <= (\""), "ekspresi tidak sah"),
        (("requires: [jumlah]", "requires: [jumlah, catatan]"), "field 'catatan' tidak ada"),
        (("roles: [ketua], when", "roles: [ketua], quorum: {count: 2}, when"), "kuorum 2 lebih besar dari jumlah kursi"),
        (("roles: [ketua], when", "roles: [ketua], not_by: [tolak_x], when"), "not_by menyebut aksi 'tolak_x'"),
    ],
)
def test_lint_finds(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in MINIMAL
    findings = lint_text(MINIMAL.replace(old, new, 1))
    assert any(expected in f for f in findings), findings
    assert all(f.startswith("w.yaml:") for f in findings)


def test_lint_finds_a_non_final_state_with_no_way_out() -> None:
    text = MINIMAL.replace("  selesai: {title: Selesai, final: true}",
                           "  selesai: {title: Selesai, final: true}\n  macet: {title: Macet}")
    text += "  - {id: parkir, kind: return, from: menunggu, to: macet, roles: [ketua]}\n"
    assert any("status 'macet' bukan status akhir" in f for f in lint_text(text))


def test_lint_finds_an_action_nobody_can_take_because_of_segregation() -> None:
    text = MINIMAL.replace("roles: [ketua], when", "roles: [bendahara], not_by: [ajukan], when")
    assert any("tidak ada yang dapat mengambil aksi ini" in f for f in lint_text(text))


def test_lint_finds_duplicate_ids_and_numbers_across_files() -> None:
    a = load_definition_text(MINIMAL, "a.yaml")
    b = load_definition_text(MINIMAL.replace("Prosedur contoh", "Prosedur lain"), "b.yaml")
    findings = [str(p) for p in lint_many([a, b])]
    assert any(f.startswith("b.yaml:1:") and "id 'contoh' ganda" in f for f in findings)
    assert any("nomor SOP 'SOP-CTH-01' ganda" in f for f in findings)


def test_lint_finds_an_ambiguous_duplicate_action() -> None:
    text = MINIMAL + "  - {id: tolak, kind: reject, from: menunggu, to: selesai, roles: [ketua]}\n"
    assert any("id ganda" in f for f in lint_text(text))


def test_the_hash_ignores_comments_and_layout_but_not_content() -> None:
    base = load_definition_text(MINIMAL, "w.yaml").sha256
    assert load_definition_text("# komentar\n" + MINIMAL, "w.yaml").sha256 == base
    assert load_definition_text(MINIMAL.replace("Draf", "Draf pengajuan"), "w.yaml").sha256 != base


def test_the_shipped_json_schema_is_current() -> None:
    shipped = SHIPPED / "tatakelola-workflow.schema.json"
    assert shipped.read_text(encoding="utf-8") == json_schema_text()
    schema = json.loads(shipped.read_text(encoding="utf-8"))
    assert "actions" in schema["properties"] and "sop" in schema["required"]


def test_guards_read_fields_and_settings() -> None:
    guard = compile_guard("jumlah > settings.batas_ketua")
    assert guard({"jumlah": 6, "settings": {"batas_ketua": 5}}) is True
    assert guard({"jumlah": 5, "settings": {"batas_ketua": 5}}) is False
    names = guard_names("jumlah > settings.batas_ketua and pos == 'ATK'")
    assert names.fields == {"jumlah", "pos"} and names.settings == {"batas_ketua"}


@pytest.mark.parametrize("expression", [
    "jumlah.__class__.__mro__",
    "settings.__init__.__globals__",
    "().__class__.__bases__[0].__subclasses__()",
])
def test_guards_are_sandboxed(expression: str) -> None:
    with pytest.raises(GuardError):
        compile_guard(expression)({"jumlah": 1, "settings": {}})


def test_a_guard_over_an_empty_field_is_an_error_not_a_crash() -> None:
    with pytest.raises(GuardError):
        compile_guard("jumlah > 5")({"jumlah": None, "settings": {}})


def test_function_calls_in_guards_are_linted() -> None:
    names = guard_names("range(3) and jumlah.upper() and count(baris) > 1")
    assert any(o.startswith("pemanggilan fungsi 'range'") for o in names.other)
    assert any(o.startswith("pemanggilan fungsi 'metode'") for o in names.other)
    assert names.functions == {"count"} and "range" not in names.fields and "count" not in names.fields


def test_files_are_read_with_clear_errors(tmp_path: Path) -> None:
    from engine.domain.definitions import load_definition

    bad = tmp_path / "biner.yaml"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DefinitionError) as info:
        load_definition(bad)
    assert "bukan UTF-8" in str(info.value)


def test_every_shipped_workflow_validates_against_the_json_schema() -> None:
    from jsonschema import Draft202012Validator

    from engine.domain.definitions.loader import plain

    validator = Draft202012Validator(json.loads((SHIPPED / "tatakelola-workflow.schema.json").read_text()))
    for loaded in Registry.from_paths([SHIPPED]).all():
        data = json.loads(json.dumps(plain(loaded.tree), default=str))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
        assert errors == [], (loaded.path, errors[:5])


def test_guards_reading_hidden_attributes_are_linted() -> None:
    assert "atribut tersembunyi '__class__'" in guard_names("keperluan.__class__").other


def test_a_path_on_which_one_person_approves_alone_is_flagged() -> None:
    solo = MINIMAL.replace("kind: approve, from: menunggu", "kind: verify, from: menunggu").replace(
        "roles: [ketua], when", "roles: [bendahara, ketua], when")
    [problem] = lint_text(solo)
    assert "satu orang dapat membawa kasus sampai 'selesai' sendirian (ajukan → setujui)" in problem


def test_a_side_path_around_the_approval_is_flagged_on_its_own_line() -> None:
    side = MINIMAL + "  - {id: bayar_langsung, kind: verify, from: menunggu, to: selesai, roles: [bendahara]}\n"
    [problem] = lint_text(side)
    assert problem.startswith("w.yaml:29:5:") and "(ajukan → bayar_langsung)" in problem


def test_a_check_by_another_person_closes_the_solo_path() -> None:
    for guarded in ("roles: [bendahara, ketua], not_by: [ajukan]", "roles: [bendahara, ketua], quorum: {count: 2}"):
        side = MINIMAL + f"  - {{id: periksa, kind: verify, from: menunggu, to: selesai, {guarded}}}\n"
        assert lint_text(side) == [], guarded


def test_every_procedure_lets_the_maker_cancel_a_draft_without_changing_its_hash() -> None:
    loaded = load_definition_text(MINIMAL, "w.yaml")
    cancel = [a for a in loaded.definition.actions if a.kind == "cancel"]
    assert [(a.from_, a.to, a.requires_comment) for a in cancel] == [(["draf"], "dibatalkan", True)]
    assert loaded.definition.states["dibatalkan"].final
    assert "dibatalkan" not in loaded.as_written.states
    assert loaded.sha256 == definition_hash(loaded.as_written)


MEETING = MINIMAL.replace("""  jumlah: {type: money, label: Jumlah, required: true}
""", """  jumlah: {type: money, label: Jumlah, required: true}
  tanggal_rapat: {type: date, label: Tanggal rapat}
  hadir: {type: attendance, label: Pengurus yang hadir, of: pengurus, on: tanggal_rapat}
""").replace("""  batas: {default: 100, label: Batas}
""", """  batas: {default: 100, label: Batas}
  kuorum_hadir: {default: 50, label: Kuorum kehadiran (persen)}
  lebih_dari: {default: true, label: Lebih dari persentase
""".rstrip("\n") + "}\n").replace(
    "roles: [bendahara], requires: [jumlah]}",
    "roles: [bendahara], requires: [jumlah, hadir],\n"
    "     attendance: {field: hadir, percent: kuorum_hadir, more_than: lebih_dari}}")


def test_an_attendance_field_and_an_attendance_quorum_are_clean() -> None:
    assert lint_text(MEETING) == []


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(
    ("change", "expected", "needle"),
    [
        (("field: hadir, percent", "field: hadirin, percent"), "daftar hadir menyebut field 'hadirin' yang tidak ada",
         "attendance:"),
        (("field: hadir, percent", "field: jumlah, percent"), "field 'jumlah' bukan bertipe attendance", "attendance:"),
        (("percent: kuorum_hadir", "percent: kuorum_lain"), "setting 'kuorum_lain' yang tidak dideklarasikan",
         "attendance:"),
        (("more_than: lebih_dari", "more_than: batas"), "setting 'batas' harus true atau false", "attendance:"),
        (("kuorum_hadir: {default: 50", "kuorum_hadir: {default: 150"), "setting 'kuorum_hadir' harus 1 sampai 100",
         "attendance:"),
        (("of: pengurus", "of: pengurus_inti"), "peran 'pengurus_inti' tidak dikenal", "hadir: {type: attendance"),
        (("on: tanggal_rapat", "on: jumlah"), "field 'jumlah' bukan bertipe date", "hadir: {type: attendance"),
        (("on: tanggal_rapat", "on: tanggal_rat"), "field tanggal 'tanggal_rat' tidak ada", "hadir: {type: attendance"),
    ],
)
def test_lint_finds_a_bad_attendance_block_on_its_line(change: tuple[str, str], expected: str, needle: str) -> None:
    old, new = change
    assert old in MEETING
    text = MEETING.replace(old, new, 1)
    findings = lint_text(text)
    found = [f for f in findings if expected in f]
    assert found, findings
    assert found[0].startswith(f"w.yaml:{_line_of(text, needle)}:"), (found, _line_of(text, needle))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("percent: kuorum_hadir", "percent: 0"), "persentase kuorum kehadiran harus 1 sampai 100"),
        (("percent: kuorum_hadir", "percent: 101"), "persentase kuorum kehadiran harus 1 sampai 100"),
        (("percent: kuorum_hadir", "percent: kuorum_hadir, quorum: 2"), "kunci tidak dikenal"),
        (("of: pengurus, on: tanggal_rapat", "on: tanggal_rapat"), "memerlukan 'of'"),
        (("jumlah: {type: money, label: Jumlah, required: true}",
          "jumlah: {type: money, label: Jumlah, required: true, of: anggota}"), "'of' dan 'on' hanya untuk"),
    ],
)
def test_a_malformed_attendance_block_is_refused_with_its_line(change: tuple[str, str], expected: str) -> None:
    old, new = change
    text = MEETING.replace(old, new, 1)
    with pytest.raises(DefinitionError) as info:
        load_definition_text(text, "w.yaml")
    problem = next(p for p in info.value.problems if expected in p.message)
    assert problem.file == "w.yaml" and problem.line > 1


def test_a_vote_at_a_meeting_needs_the_list_recorded_before_it_and_covering_the_voters() -> None:
    votes = MEETING.replace("kind: approve, from: menunggu, to: selesai, roles: [ketua], when",
                            "kind: approve, from: menunggu, to: selesai, roles: [ketua], quorum: {count: 1},\n"
                            "     attendance: {field: hadir}, when")
    assert lint_text(votes) == []
    recording = votes.replace("attendance: {field: hadir}, when", "attendance: {field: hadir}, sets: [hadir], when")
    assert any("harus dicatat sebelum pemungutan suara" in f for f in lint_text(recording))
    others = votes.replace("of: pengurus", "of: pengawas")
    assert any("tidak mencakup semua pemberi suara (ketua)" in f for f in lint_text(others))
