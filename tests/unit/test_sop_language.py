"""The SOP language's typed data in guards: dates, people, lists, functions, rules with messages,
not_roles, effects and declared roles as lint sees them, deadlines relative to a date (issue 13)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.domain.definitions.expr import compile_guard, guard_names
from engine.domain.definitions.lint import lint_definition
from engine.domain.definitions.loader import definition_hash, load_definition_text
from engine.domain.definitions.model import Definition
from engine.domain.definitions.phrase import phrase_clauses, phrase_guard
from engine.domain.guard_context import Facts, GuardDate, add_months, guard_context, months_between
from engine.domain.policy import History, Roster, who_may
from engine.domain.roles import ROLES, role_label, role_of
from engine.domain.rules import rule_problems
from tests.unit.test_definitions import MINIMAL

TZ = ZoneInfo("Asia/Jakarta")

LANGUAGE = """\
id: bahasa_uji
version: 1
title: Prosedur uji bahasa
category: kelembagaan
number_prefix: UJI
sop:
  nomor: SOP-UJI-01
  tanggal_pembuatan: 2026-01-01
  tanggal_efektif: 2026-01-01
  disahkan_oleh: ketua
  dasar_hukum: [AD/ART]
  kualifikasi_pelaksana: [Memahami AD/ART]
  peralatan: [Formulir]
  peringatan: Tidak ada
  pencatatan: [Buku]
declared_roles:
  panitia_bahasa: {label: Panitia Bahasa, max_seats: 3}
roles: [sekretaris, ketua, panitia_bahasa]
settings_used:
  masa: {default: 12, label: Masa keanggotaan calon (bulan)}
fields:
  tanggal_rat: {type: date, label: Tanggal rapat}
  ketua_baru: {type: person, label: Ketua terpilih}
  calon:
    type: list
    label: Daftar calon
    columns:
      orang: {type: person, label: Calon}
      jabatan: {type: choice, label: Jabatan, options: [Ketua Pengurus, Bendahara]}
      suara: {type: integer, label: Suara}
  mulai: {type: date, label: Tanggal mulai}
states:
  draf: {title: Draf}
  pendaftaran: {title: Pendaftaran, deadline: 7 hari sebelum tanggal_rat}
  selesai: {title: Selesai, final: true}
actions:
  - id: ajukan
    kind: submit
    from: draf
    to: pendaftaran
    roles: [sekretaris]
    effects:
      - appoint: {role: panitia_bahasa, people: calon.orang}
  - id: tetapkan
    kind: approve
    from: pendaftaran
    to: selesai
    roles: [ketua, panitia_bahasa]
    not_roles: [sekretaris]
    rules:
      - for_each: calon
        check: months_between(orang.anggota_sejak, tanggal_rat) >= settings.masa
        message: "Calon {{ nomor }} ({{ orang }}) belum {{ settings.masa }} bulan menjadi anggota (masuk {{ orang.anggota_sejak }})"
      - check: actor != ketua_baru
        message: "{{ actor }} tidak dapat mengesahkan pemilihannya sendiri"
      - check: sum(calon, "suara") <= 100
        message: "Jumlah suara {{ sum(calon, 'suara') }} melebihi 100"
    effects:
      - install: {rows: calon, person: orang, role: jabatan, start: mulai}
"""


@dataclass(frozen=True)
class Term:
    person_id: int
    role: str
    starts_on: date
    ends_on: date | None = None


def language() -> Definition:
    return load_definition_text(LANGUAGE, "bahasa.yaml").definition


ROSTER = Roster([
    Term(1, "anggota", date(2025, 1, 20)),
    Term(1, "ketua", date(2025, 7, 1), date(2030, 6, 30)),
    Term(2, "anggota", date(2026, 1, 20)),
    Term(3, "anggota", date(2024, 1, 1), date(2024, 12, 31)),
    Term(3, "anggota", date(2025, 1, 1)),  # unbroken: since 2024
    Term(4, "anggota", date(2023, 1, 1), date(2023, 12, 31)),
    Term(4, "anggota", date(2025, 6, 1)),  # a break: since 2025-06-01
    Term(5, "sekretaris", date(2025, 7, 1)),
])
PEOPLE = {"bambang": (1, "Bambang Sutrisno"), "siti": (2, "Siti Maemunah"), "joko": (3, "Joko Susilo"),
          "lilik": (4, "Lilik Suryani"), "rina": (5, "Rina Wulandari")}


def facts(actor: str | None = None, day: date = date(2026, 12, 20)) -> Facts:
    return Facts(roster=ROSTER, people=PEOPLE, members_on=lambda on: 40 if on.year >= 2026 else 30, today=day,
                 actor=actor)


def data(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "tanggal_rat": "2026-12-20", "ketua_baru": "bambang", "mulai": "2027-01-01",
        "calon": [{"orang": "bambang", "jabatan": "Ketua Pengurus", "suara": 30},
                  {"orang": "siti", "jabatan": "Bendahara", "suara": 25}]}
    return {**base, **changes}


def holds(expression: str, actor: str | None = None, **changes: object) -> bool:
    return compile_guard(expression)(guard_context(language(), data(**changes), {"masa": 12}, facts(actor)))


def test_a_date_field_is_a_date_and_still_compares_with_iso_text() -> None:
    assert holds("tanggal_rat > today") is False
    assert holds("tanggal_rat >= '2026-12-01'") and holds("tanggal_rat[:4] | int == 2026")
    assert holds("add_days(tanggal_rat, 12) == mulai") and holds("add_months(mulai, -1) == '2026-12-01'")
    assert holds("days_between(tanggal_rat, mulai) == 12") and holds("months_between(tanggal_rat, mulai) == 0")


def test_months_between_counts_whole_months_and_month_ends_clamp() -> None:
    assert months_between(date(2025, 12, 20), date(2026, 12, 20)) == 12
    assert months_between(date(2025, 12, 21), date(2026, 12, 20)) == 11
    assert months_between(date(2026, 12, 20), date(2025, 12, 21)) == -11
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_a_person_field_reads_name_roles_and_membership_on_the_day() -> None:
    assert holds("ketua_baru.nama == 'Bambang Sutrisno' and 'ketua' in ketua_baru.peran")
    assert holds("'pengurus' in ketua_baru.peran")  # implied by ketua
    assert holds("ketua_baru.anggota and ketua_baru.anggota_sejak == '2025-01-20'")
    assert holds("ketua_baru.anggota_sejak == '2024-01-01'", ketua_baru="joko")  # terms without a break
    assert holds("ketua_baru.anggota_sejak == '2025-06-01'", ketua_baru="lilik")  # a break starts a new run
    assert holds("ketua_baru.anggota_sejak is none and not ketua_baru.anggota", ketua_baru="rina")
    assert holds("'ketua' in roles_on(ketua_baru, '2025-06-30')") is False


def test_actor_and_register_facts() -> None:
    assert holds("actor == ketua_baru", actor="bambang") and holds("actor != ketua_baru", actor="siti")
    assert holds("members_on(tanggal_rat) == 40 and members_on('2025-12-31') == 30")
    assert holds("holders('ketua', today) == 1 and holders('anggota', today) == 4")


def test_list_functions_read_rows_and_outer_names() -> None:
    assert holds("count(calon) == 2 and count(calon, 'suara > 26') == 1")
    assert holds("sum(calon, 'suara') == 55")
    assert holds("all(calon, 'orang.anggota') and any(calon, \"jabatan == 'Bendahara'\")")
    assert holds("any(calon, 'orang == ketua_baru')")  # a row condition reads names outside the row
    assert holds("count(calon, 'nomor > 1') == 1")


def test_rules_name_the_failing_row_in_words() -> None:
    d = language()
    action = next(a for a in d.actions if a.id == "tetapkan")
    context = guard_context(d, data(), {"masa": 12}, facts(actor="bambang"))
    messages = [p.message for p in rule_problems(d, action, context)]
    assert messages == ["Calon 2 (Siti Maemunah) belum 12 bulan menjadi anggota (masuk 20 Januari 2026)",
                        "Bambang Sutrisno tidak dapat mengesahkan pemilihannya sendiri"]
    context = guard_context(d, data(calon=[{"orang": "joko", "jabatan": "Bendahara", "suara": 120}]),
                            {"masa": 12}, facts(actor="siti"))
    assert [p.message for p in rule_problems(d, action, context)] == ["Jumlah suara 120 melebihi 100"]


def test_not_roles_refuses_a_holder_with_the_reason() -> None:
    d = language()
    action = next(a for a in d.actions if a.id == "tetapkan")

    @dataclass
    class CaseRow:
        created_by: int = 9
        state: str = "pendaftaran"

    roster = Roster([*ROSTER.terms, Term(5, "ketua", date(2026, 1, 1))])
    refused = who_may(d, CaseRow(), action, 5, date(2026, 12, 20), roster, History([], {}), {})
    assert not refused.allowed and refused.rule == "peran_terlarang" and "Sekretaris" in (refused.reason or "")
    assert who_may(d, CaseRow(), action, 1, date(2026, 12, 20), roster, History([], {}), {}).allowed


def test_guards_and_rules_are_phrased_without_code() -> None:
    d = language()
    words = [phrase_guard(r.check, d, {"masa": 12}, r.for_each) for a in d.actions for r in a.rules]
    assert words == [
        "lamanya (dalam bulan) dari tanggal calon mulai menjadi anggota sampai tanggal rapat paling sedikit 12",
        "yang mengambil langkah ini bukan ketua terpilih",
        "jumlah suara dalam daftar calon paling banyak 100",
    ]
    clauses = phrase_clauses("count(calon) >= 2 and not any(calon, 'suara > 50')", d)
    assert [w for _, w in clauses] == ["banyaknya daftar calon paling sedikit 2",
                                      "tidak ada daftar calon yang suara di atas 50"]


def test_lint_accepts_the_new_language_and_finds_its_mistakes() -> None:
    assert [str(p) for p in lint_definition(load_definition_text(LANGUAGE, "b.yaml"))] == []
    broken = (LANGUAGE.replace("not_roles: [sekretaris]", "not_roles: [ketua]")
              .replace("people: calon.orang", "people: calon.jabatan")
              .replace("for_each: calon", "for_each: tanggal_rat")
              .replace("start: mulai", "start: tanggal_salah")
              .replace("7 hari sebelum tanggal_rat", "7 hari sebelum mulai_rapat"))
    found = " | ".join(str(p) for p in lint_definition(load_definition_text(broken.replace("bahasa_uji", "rusak"),
                                                                            "b.yaml")))
    for expected in ("not_roles: peran 'ketua' juga ada di roles", "'calon.jabatan' bukan kolom bertipe person",
                     "for_each 'tanggal_rat' bukan field bertipe list", "start 'tanggal_salah' bukan field",
                     "tenggat dihitung dari 'mulai_rapat'"):
        assert expected in found


def test_row_conditions_name_only_columns_and_fields() -> None:
    names = guard_names("all(calon, 'suara > batas_suara') and count(calon, 'orang.anggota') > 0")
    assert names.rows == (("calon", frozenset({"suara", "batas_suara"})), ("calon", frozenset({"orang"})))
    text = LANGUAGE.replace("sum(calon, \"suara\") <= 100", "all(calon, 'jumlah_suara > 0')")
    problems = [str(p) for p in lint_definition(load_definition_text(text.replace("bahasa_uji", "x2"), "b.yaml"))]
    assert any("kolom 'jumlah_suara' yang tidak ada" in p for p in problems)


def test_a_declared_role_joins_the_catalogue_with_its_label() -> None:
    language()
    assert role_label("panitia_bahasa") == "Panitia Bahasa" and ROLES["panitia_bahasa"].max_seats == 3
    assert role_of("Ketua Pengurus") == "ketua" and role_of("bendahara") == "bendahara" and role_of("x") is None
    clash = LANGUAGE.replace("id: bahasa_uji", "id: bentrok").replace("label: Panitia Bahasa", "label: Panitia Lain")
    problems = [str(p) for p in lint_definition(load_definition_text(clash, "c.yaml"))]
    assert any("berbeda dengan yang sudah ditetapkan prosedur 'bahasa_uji'" in p for p in problems)
    catalogue = LANGUAGE.replace("panitia_bahasa: {label", "ketua: {label").replace("id: bahasa_uji", "id: kat")
    problems = [str(p) for p in lint_definition(load_definition_text(catalogue, "k.yaml"))]
    assert any("sudah ada di katalog peran" in p for p in problems)


def test_a_relative_deadline_is_due_at_the_end_of_its_target_day() -> None:
    state = language().states["pendaftaran"]
    assert state.deadline is not None and state.deadline.words(language()) == "7 hari sebelum tanggal rapat"
    since = datetime(2026, 12, 1, 3, tzinfo=UTC)
    due = state.deadline.due(since, TZ, None, {"tanggal_rat": "2026-12-20"})
    assert due == datetime(2026, 12, 14, tzinfo=TZ)
    assert state.deadline.due(since, TZ, None, {}) is None
    working = load_definition_text(LANGUAGE.replace("7 hari sebelum", "2 hari kerja sebelum"), "w.yaml")
    deadline = working.definition.states["pendaftaran"].deadline
    assert deadline is not None  # Monday 2026-12-21: two working days before is Thursday the 17th
    assert deadline.due(since, TZ, None, {"tanggal_rat": "2026-12-21"}) == datetime(2026, 12, 18, tzinfo=TZ)


def test_files_without_the_new_keys_keep_their_hash() -> None:
    loaded = load_definition_text(MINIMAL, "w.yaml")
    assert definition_hash(loaded.as_written) == loaded.sha256
    assert "not_roles" not in str(loaded.sha256)
    payload_keys = {"not_roles", "rules", "effects", "declared_roles", "columns", "relative_to"}
    from engine.domain.definitions.loader import definition_payload

    text = str(definition_payload(loaded.as_written))
    assert not any(f"'{k}'" in text for k in payload_keys)


def test_guard_dates_print_as_people_read_them() -> None:
    assert str(GuardDate(2026, 1, 20)) == "20 Januari 2026"
    with pytest.raises(TypeError):
        _ = GuardDate(2026, 1, 20) < 5


def test_an_action_from_two_steps_asks_only_for_the_checklist_of_the_step_the_case_is_in() -> None:
    text = (MINIMAL.replace("  draf: {title: Draf}", "  draf: {title: Draf, checklist: [Formulir lengkap]}")
            .replace("  menunggu: {title: Menunggu ketua}",
                     "  menunggu: {title: Menunggu ketua, checklist: [Nota diperiksa]}")
            .replace("{id: tolak, kind: reject, from: menunggu,", "{id: tolak, kind: reject, from: [draf, menunggu],"
                     " checks: all,"))
    d = load_definition_text(text, "w.yaml").definition
    tolak = next(a for a in d.actions if a.id == "tolak")
    assert d.required_checks(tolak) == ["formulir_lengkap", "nota_diperiksa"]  # the printed SOP: both steps
    assert d.required_checks(tolak, "menunggu") == ["nota_diperiksa"]
    assert d.required_checks(tolak, "draf") == ["formulir_lengkap"]


def test_an_effect_is_hashed_as_written_so_a_kind_added_later_keeps_the_hash() -> None:
    from engine.domain.definitions.loader import definition_payload

    payload = definition_payload(language())
    effects = [e for a in payload["actions"] for e in a.get("effects", [])]
    assert effects == [{"appoint": {"role": "panitia_bahasa", "people": "calon.orang", "until": "selesai"}},
                       {"install": {"rows": "calon", "person": "orang", "role": "jabatan", "start": "mulai"}}]
    rules = [r for a in payload["actions"] for r in a.get("rules", [])]
    assert [sorted(r) for r in rules] == [["check", "for_each", "message"], ["check", "message"], ["check", "message"]]
