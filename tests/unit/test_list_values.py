"""Person and list values: parsing what people type, the stored form, each problem's message, and who a
person field may name (someone of the cooperative, holding the role asked on the date asked)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from starlette.datastructures import FormData

from engine.domain.definitions.model import MAX_LIST_ROWS, Definition, FieldDef
from engine.domain.people_fields import check_people, people_problems
from engine.domain.policy import Roster
from engine.domain.values import (
    ListTable,
    editable_rows,
    format_value,
    list_table,
    parse_value,
    validate_value,
)
from engine.errors import ValidationError
from engine.web.list_form import SPARE_ROWS, form_values, grid_of

CALON = FieldDef.model_validate({
    "type": "list", "label": "Calon", "min_rows": 2, "max_rows": 4, "columns": {
        "anggota": {"type": "person", "label": "Anggota", "required": True, "of": "anggota", "on": "tanggal"},
        "jabatan": {"type": "choice", "label": "Jabatan", "options": ["Ketua", "Sekretaris"]},
        "jumlah": {"type": "money", "label": "Jumlah", "min": 1000, "max": 5_000_000},
        "tanggal": {"type": "date", "label": "Tanggal"},
        "urut": {"type": "integer", "label": "Urut", "min": 1},
        "catatan": {"type": "text", "label": "Catatan", "max_length": 10, "pattern": "[A-Z].*",
                    "pattern_hint": "awali dengan huruf besar"}}})
SETTINGS: dict[str, Any] = {}


def parse(raw: Any, field: FieldDef = CALON) -> Any:
    return parse_value("calon", field, raw, SETTINGS)


def problems(raw: Any, field: FieldDef = CALON) -> list[str]:
    with pytest.raises(ValidationError) as info:
        parse(raw, field)
    assert {p.name for p in info.value.problems} == {"calon"}
    assert {p.label for p in info.value.problems} == {"Calon"}
    return [p.message for p in info.value.problems]


def rows(*items: dict[str, Any]) -> str:
    return json.dumps(list(items))


# -- person ---------------------------------------------------------------------------------

PERSON = FieldDef(type="person", label="Saksi")


def test_a_person_is_a_user_name_trimmed_and_lower_cased() -> None:
    assert parse_value("saksi", PERSON, "  Siti.Maemunah ", SETTINGS) == "siti.maemunah"
    assert parse_value("saksi", PERSON, "  ", SETTINGS) is None
    assert validate_value("saksi", PERSON, "siti", SETTINGS) is None
    assert format_value(PERSON, "siti") == "siti"


@pytest.mark.parametrize(("typed", "message"), [
    ("siti maemunah", "'siti maemunah' bukan nama pengguna"),
    ("s", "'s' bukan nama pengguna"),
    ("siti\x07", "berisi karakter kendali"),
    ("a" * 65, "terlalu panjang (65 huruf, maksimal 64)"),
])
def test_a_person_that_is_not_a_user_name_is_refused(typed: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_value("saksi", PERSON, typed, SETTINGS)


def test_a_stored_person_must_be_a_user_name() -> None:
    problem = validate_value("saksi", PERSON, "Siti Maemunah", SETTINGS)
    assert problem is not None and problem.message == "harus nama pengguna"


# -- list: the stored form ------------------------------------------------------------------


def test_rows_are_stored_in_column_order_with_each_cell_parsed_by_its_column() -> None:
    value = parse(rows({"Jumlah": "Rp 1.250.000", "ANGGOTA": " Siti ", "jabatan": "2", "tanggal": "20-01-2026"},
                       {"anggota": "joko", "jumlah": 5000, "urut": 2.0, "catatan": None},
                       {"anggota": "", "jabatan": "", "jumlah": None}))  # an empty row: dropped
    assert value == [
        {"anggota": "siti", "jabatan": "Sekretaris", "jumlah": 1250000, "tanggal": "2026-01-20", "urut": None,
         "catatan": None},
        {"anggota": "joko", "jabatan": None, "jumlah": 5000, "tanggal": None, "urut": 2, "catatan": None}]
    assert [list(row) for row in value] == [list(CALON.columns or {})] * 2
    assert validate_value("calon", CALON, value, SETTINGS) is None
    assert parse(value) == value  # an already parsed list reads the same
    assert format_value(CALON, value) == "2 baris"


def test_nothing_typed_is_no_list() -> None:
    assert parse("") is None and parse("  ") is None and parse("[]") is None and parse("null") is None
    assert parse(rows({}, {"anggota": " "})) is None
    assert format_value(CALON, None) == "—"


def test_a_table_shows_column_labels_and_formatted_cells_and_people_by_name() -> None:
    value = parse(rows({"anggota": "siti", "jumlah": "1.250.000", "tanggal": "2026-01-20"},
                       {"anggota": "joko", "jabatan": "Ketua"}))
    assert list_table(CALON, value, {"siti": "Siti Maemunah"}) == ListTable(
        ["Anggota", "Jabatan", "Jumlah", "Tanggal", "Urut", "Catatan"],
        [["Siti Maemunah (siti)", "—", "Rp 1.250.000", "20 Januari 2026", "—", "—"],
         ["joko", "Ketua", "—", "—", "—", "—"]])
    assert editable_rows(CALON, value)[0] == {"anggota": "siti", "jabatan": "", "jumlah": "1.250.000",
                                              "tanggal": "2026-01-20", "urut": "", "catatan": ""}
    assert parse(json.dumps(editable_rows(CALON, value))) == value  # what a form shows reads back the same


# -- list: each problem ---------------------------------------------------------------------


def test_each_cell_problem_names_its_row_and_column() -> None:
    assert problems(rows(
        {"anggota": "siti", "jabatan": "Bendahara", "jumlah": "500", "tanggal": "31-02-2026"},
        {"jabatan": "Ketua", "jumlah": "6.000.000", "urut": "0", "catatan": "kecil"},
        {"anggota": "budi", "jumlah": "sejuta", "urut": "satu", "catatan": "Terlalu panjang"})) == [
        "Baris 1, Jabatan: pilihan tidak dikenal; pilih salah satu dari: Ketua; Sekretaris",
        "Baris 1, Jumlah: minimal Rp 1.000",
        "Baris 1, Tanggal: " + _date_problem("31-02-2026"),
        "Baris 2, Anggota: wajib diisi",
        "Baris 2, Jumlah: maksimal Rp 5.000.000",
        "Baris 2, Urut: minimal 1",
        "Baris 2, Catatan: awali dengan huruf besar",
        "Baris 3, Jumlah: jumlah uang tidak dikenali; tulis misalnya 1.250.000 (rupiah utuh)",
        "Baris 3, Urut: " + _integer_problem("satu"),
        "Baris 3, Catatan: terlalu panjang (15 huruf, maksimal 10)"]


def _date_problem(text: str) -> str:
    with pytest.raises(ValidationError) as info:
        parse_value("t", FieldDef(type="date", label="T"), text, SETTINGS)
    return info.value.problems[0].message


def _integer_problem(text: str) -> str:
    with pytest.raises(ValidationError) as info:
        parse_value("u", FieldDef(type="integer", label="U"), text, SETTINGS)
    return info.value.problems[0].message


def test_a_row_or_key_or_cell_of_the_wrong_shape_is_named() -> None:
    assert problems(rows({"anggota": "siti", "warna": "merah"}, {"anggota": "joko"})) == [
        "Baris 1: kolom 'warna' tidak dikenal; kolom yang ada: anggota (Anggota), jabatan (Jabatan), "
        "jumlah (Jumlah), tanggal (Tanggal), urut (Urut), catatan (Catatan)"]
    shape = problems('[["siti"], {"anggota": "joko"}, {"anggota": "dwi", "jumlah": 1.5}, {"anggota": true}]')
    assert shape[0].startswith("Baris 1: harus berisi kolom dan nilainya, mis. [{\"anggota\": \"siti\"")
    assert shape[1:] == ["Baris 3, Jumlah: harus teks atau bilangan bulat",
                         "Baris 4, Anggota: harus teks atau bilangan bulat"]


def test_text_that_is_not_a_list_is_refused_with_an_example() -> None:
    assert problems("siti, joko")[0].startswith("bukan daftar yang dapat dibaca; tulis sebagai JSON, mis. [{")
    assert problems('{"anggota": "siti"}')[0].startswith("harus daftar baris, mis. [{")
    assert problems("[" * 100_000)[0].startswith("bukan daftar yang dapat dibaca")


def test_too_few_and_too_many_rows() -> None:
    one = {"anggota": "siti"}
    assert problems(rows(one)) == ["minimal 2 baris (terisi 1)"]
    assert parse(rows(one, one)) is not None and parse(rows(one, one, one, one)) is not None  # at 2 and at 4
    assert problems(rows(*[one] * 5)) == ["terlalu banyak baris: 5 (maksimal 4)"]
    assert parse(rows(one, {}, {}, {}, {}, one)) is not None  # empty rows do not count
    uncapped = FieldDef(type="list", label="Calon", columns={"anggota": {"type": "person", "label": "Anggota"}})
    assert len(parse(rows(*[one] * MAX_LIST_ROWS), uncapped)) == MAX_LIST_ROWS
    assert problems(rows(*[one] * (MAX_LIST_ROWS + 1)), uncapped) == [
        f"terlalu banyak baris: {MAX_LIST_ROWS + 1} (maksimal {MAX_LIST_ROWS})"]
    assert problems(rows(*[one] * (2 * MAX_LIST_ROWS + 1)), uncapped) == [
        f"terlalu banyak baris: {2 * MAX_LIST_ROWS + 1} (maksimal {MAX_LIST_ROWS})"]  # refused before parsing
    assert problems("x" * 1_000_001)[0].startswith("daftar terlalu besar")


def test_stored_rows_are_validated_by_their_columns() -> None:
    good = {"anggota": "siti", "jabatan": "Ketua", "jumlah": 2000, "tanggal": "2026-01-20", "urut": 1,
            "catatan": "Ya"}
    assert validate_value("calon", CALON, [good, good], SETTINGS) is None
    for bad, message in (
            ("siti", "harus daftar baris"),
            ([good], "minimal 2 baris (terisi 1)"),
            ([good] * 5, "terlalu banyak baris: 5 (maksimal 4)"),
            ([good, "siti"], "Baris 2: bukan baris"),
            ([good, {**good, "x": 1}], "Baris 2: kolom 'x' tidak dikenal"),
            ([good, {**good, "anggota": None}], "Baris 2, Anggota: wajib diisi"),
            ([good, {**good, "jumlah": "2000"}], "Baris 2, Jumlah: harus bilangan bulat"),
            ([good, {**good, "jabatan": "Raja"}], "Baris 2, Jabatan: pilihan tidak dikenal"),
            ([good, {**good, "tanggal": "kemarin"}], "Baris 2, Tanggal: tanggal tidak sah"),
            ([good, {**good, "anggota": "Siti M"}], "Baris 2, Anggota: harus nama pengguna")):
        problem = validate_value("calon", CALON, bad, SETTINGS)
        assert problem is not None and problem.message.startswith(message), (bad, problem)


# -- who a person may be --------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    person_id: int
    role: str
    starts_on: date
    ends_on: date | None = None


ROSTER = Roster([Term(1, "anggota", date(2025, 7, 15)),            # siti
                 Term(2, "anggota", date(2025, 8, 2)),             # lilik, a member from 2 August 2025
                 Term(3, "manajer", date(2025, 9, 1)),             # fajar, not a member
                 Term(4, "bendahara", date(2025, 7, 1), date(2025, 12, 31))])  # wahyu, held a term
IDS = {"siti": 1, "lilik": 2, "fajar": 3, "wahyu": 4, "tono": 5}  # tono: a user with no term here
DAY = date(2026, 11, 24)


def definition() -> Definition:
    return Definition.model_validate({
        "id": "uji", "version": 1, "title": "Uji", "category": "kelembagaan", "number_prefix": "UJI",
        "sop": {"nomor": "SOP-UJI", "tanggal_pembuatan": "2026-01-01", "tanggal_efektif": "2026-01-01",
                "disahkan_oleh": "ketua", "dasar_hukum": ["AD"], "kualifikasi_pelaksana": ["-"], "peralatan": ["-"],
                "peringatan": "-", "pencatatan": ["-"]},
        "roles": ["ketua"],
        "fields": {"tanggal_rat": {"type": "date", "label": "Tanggal RAT"},
                   "saksi": {"type": "person", "label": "Saksi"},
                   "ketua_panitia": {"type": "person", "label": "Ketua panitia", "of": "anggota",
                                     "on": "tanggal_rat"},
                   "calon": {"type": "list", "label": "Calon", "columns": {
                       "anggota": {"type": "person", "label": "Anggota", "of": "anggota", "on": "mulai"},
                       "mulai": {"type": "date", "label": "Mulai"}}}},
        "states": {"draf": {"title": "Draf"}, "selesai": {"title": "Selesai", "final": True}},
        "actions": [{"id": "ajukan", "kind": "submit", "from": "draf", "to": "selesai", "roles": ["ketua"]}]})


def test_a_person_must_hold_or_have_held_a_term_in_the_cooperative() -> None:
    d = definition()
    assert people_problems(d, {"saksi": "wahyu"}, ROSTER, IDS, DAY) == []  # held a term; no role asked
    for who in ("tono", "budi"):
        (problem,) = people_problems(d, {"saksi": who}, ROSTER, IDS, DAY)
        assert (problem.label, problem.message, problem.name) == ("Saksi", f"'{who}' bukan orang di koperasi ini",
                                                                  "saksi")


def test_of_asks_for_the_role_on_the_date_of_on_or_else_the_day_of_the_action() -> None:
    d = definition()
    assert people_problems(d, {"ketua_panitia": "siti"}, ROSTER, IDS, DAY) == []
    (problem,) = people_problems(d, {"ketua_panitia": "fajar"}, ROSTER, IDS, DAY)
    assert problem.message == "'fajar' tidak memegang jabatan Anggota pada 24 November 2026"  # no date: the day
    (problem,) = people_problems(d, {"ketua_panitia": "lilik", "tanggal_rat": "2025-08-01"}, ROSTER, IDS, DAY)
    assert problem.message == "'lilik' tidak memegang jabatan Anggota pada 1 Agustus 2025"  # the day before
    assert people_problems(d, {"ketua_panitia": "lilik", "tanggal_rat": "2025-08-02"}, ROSTER, IDS, DAY) == []


def test_a_person_column_reads_its_date_from_the_same_row() -> None:
    d = definition()
    calon = [{"anggota": "siti", "mulai": "2025-08-01"}, {"anggota": "lilik", "mulai": "2025-08-01"},
             {"anggota": "lilik", "mulai": "2025-08-02"}, {"anggota": "tono", "mulai": None}]
    assert [p.message for p in people_problems(d, {"calon": calon}, ROSTER, IDS, DAY)] == [
        "Baris 2, Anggota: 'lilik' tidak memegang jabatan Anggota pada 1 Agustus 2025",
        "Baris 4, Anggota: 'tono' bukan orang di koperasi ini"]
    with pytest.raises(ValidationError, match="Baris 4, Anggota"):
        check_people(d, {"calon": calon}, ROSTER, IDS, DAY)


def test_only_changed_fields_and_those_whose_date_changed_are_checked() -> None:
    d = definition()
    data = {"ketua_panitia": "lilik", "tanggal_rat": "2025-07-20", "saksi": "tono"}
    assert people_problems(d, data, ROSTER, IDS, DAY, changed=set()) == []
    assert [p.name for p in people_problems(d, data, ROSTER, IDS, DAY, changed={"tanggal_rat"})] == ["ketua_panitia"]
    assert [p.name for p in people_problems(d, data, ROSTER, IDS, DAY, changed={"saksi"})] == ["saksi"]


# -- the web form's table -------------------------------------------------------------------


def test_a_forms_table_is_posted_as_rows_and_shown_with_spare_rows() -> None:
    form = FormData([("f.judul", "Rapat"), ("f.calon__0__anggota", "siti"), ("f.calon__0__jabatan", "Ketua"),
                     ("f.calon__2__anggota", "joko"), ("f.calon__3__anggota", ""), ("f.hadir", "a"), ("f.hadir", "b"),
                     ("f.calon__9999__anggota", "x"), ("a.berkas", "")])
    typed, grids = form_values(form)
    assert typed["judul"] == "Rapat" and typed["hadir"] == "a,b"
    assert json.loads(typed["calon"]) == [{"anggota": "siti", "jabatan": "Ketua"}, {}, {"anggota": "joko"},
                                          {"anggota": ""}]
    assert grids["calon"][2] == {"anggota": "joko"}
    assert len(grid_of(grids["calon"])) == 3 + SPARE_ROWS  # row numbers kept; trailing empty rows: the spare ones
    assert len(grid_of(grids["calon"], more=True)) == 3 + 1 + SPARE_ROWS
    assert grid_of([]) == [{}] * SPARE_ROWS
    assert len(grid_of(grids["calon"], more=True, most=5)) == 5  # no more rows than the field may hold
    assert len(grid_of(grids["calon"], most=2)) == 3  # rows typed are never cut off
