"""Limits declared once (``engine/domain/limits.py``), the same answer on SQLite and PostgreSQL.

Every refusal here is exit 1 or 2 with an Indonesian message and no row written; every value at
the limit is stored, read back and verified on both databases. Run with ``TATAKELOLA_TEST_DB`` set
to a PostgreSQL URL for the second database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import Session

from engine.adapters.store import models
from engine.adapters.store.db import normalise_url
from engine.audit.entry import canonical
from engine.domain.definitions.model import FieldDef
from engine.domain.limits import COLUMN_LIMITS, FILENAME_MAX, MONEY_MAX, SAFE_INTEGER, safe_filename, terminal_safe
from engine.domain.values import parse_value, validate_value
from engine.errors import ValidationError
from engine.services import Services
from tests.helpers import COOP, tiny_png
from tests.reliability.conftest import scale
from tests.reliability.test_cli_args import Installation, Outcome, refused_cleanly, trail_verifies

ROOT = Path(__file__).resolve().parents[2]
KAS = ["case", "start", "pengeluaran_kas", "--coop", COOP, "--as", "fajar", "--set", "keperluan=Beli kertas",
       "--set", "penerima=Toko Maju", "--set", "pos_rapb=1"]
RAT = ["case", "start", "rat", "--coop", COOP, "--as", "rina"]


@pytest.fixture
def installation(services: Services, monkeypatch: pytest.MonkeyPatch) -> Installation:
    monkeypatch.delenv("TATAKELOLA_DEBUG", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return Installation(services.settings.db_url, services.settings.resolved_key_path)


def refused(inst: Installation, *args: str, says: str) -> Outcome:
    """Run a command that must be refused with ``says`` in its message and nothing written."""
    before = inst.counts()
    outcome = inst.run(*args)
    refused_cleanly(inst, outcome, before)
    assert says in outcome.err, outcome.err
    return outcome


def behind_the_engine(inst: Installation, change: Any) -> None:
    """Edit stored rows directly (data an older version let in, or a hand edit)."""
    db_engine = create_engine(normalise_url(inst.db_url))
    try:
        with Session(db_engine) as session, session.begin():
            change(session)
    finally:
        db_engine.dispose()


# -- declared once ------------------------------------------------------------------------------

def test_the_declared_text_limits_are_the_stored_column_lengths() -> None:
    for name, limit in COLUMN_LIMITS.items():
        table, column = name.split(".")
        column_type = models.Base.metadata.tables[table].c[column].type
        assert isinstance(column_type, String) and column_type.length == limit, name
    assert models.Attachment.__table__.c.filename.type.length >= FILENAME_MAX  # type: ignore[attr-defined]


# -- numbers and dates ---------------------------------------------------------------------------

NUMBERS_AND_DATES = [
    ([*KAS, "--set", f"jumlah={2**53}"], "di luar batas wajar"),
    ([*KAS, "--set", f"jumlah={MONEY_MAX + 1}"], "di luar batas wajar"),
    ([*KAS, "--set", "jumlah=" + "9" * 5000], "di luar batas"),
    ([*KAS, "--set", "jumlah=٣٠٠٠٠"], "pakai angka 0–9"),
    ([*KAS, "--set", "jumlah=３００００"], "pakai angka 0–9"),
    ([*RAT, "--set", f"suara_setuju={2**53}"], "di luar batas yang dapat disimpan"),
    ([*RAT, "--set", f"suara_setuju=-{2**53}"], "di luar batas yang dapat disimpan"),
    ([*RAT, "--set", "suara_setuju=" + "1" * 4301], "di luar batas yang dapat disimpan"),
    ([*RAT, "--set", "suara_setuju=١٢"], "pakai angka 0–9"),
    ([*RAT, "--set", "tanggal_rat=2026-1-5"], "pakai TTTT-BB-HH"),
    ([*RAT, "--set", "tanggal_rat=٢٠٢٦-٠١-٠٥"], "pakai angka 0–9"),
    ([*RAT, "--set", "tanggal_rat=5-1-2026"], "pakai TTTT-BB-HH"),
]


def test_numbers_and_dates_outside_the_limits_are_refused_at_input(installation: Installation) -> None:
    """Money and counts beyond 2^53−1 (or 4.300 digits), digits other than 0–9, unpadded dates."""
    for args, says in NUMBERS_AND_DATES:
        outcome = refused(installation, *args, says=says)
        assert outcome.code == 1, args


def test_the_largest_safe_integer_is_stored_and_reads_back(installation: Installation) -> None:
    started = installation.run(*RAT, "--set", f"suara_setuju={SAFE_INTEGER}", "--set", "tanggal_rat=2027-01-05")
    assert started.code == 0, started.err
    number = started.out.strip()
    shown = installation.run("case", "show", number, "--as", "rina")
    assert shown.code == 0 and str(SAFE_INTEGER) in shown.out and "5 Januari 2027" in shown.out, shown.err
    for args in (["case", "list"], ["tasks", "--as", "rina"]):
        assert installation.run(*args).code == 0
    trail_verifies(installation)


def test_a_stored_setting_too_large_for_json_is_a_named_error_not_a_crash(installation: Installation) -> None:
    def huge(session: Session) -> None:
        coop = session.scalars(select(models.Cooperative).where(models.Cooperative.slug == COOP)).one()
        coop.settings = {**coop.settings, "batas_ketua": 10**30}

    behind_the_engine(installation, huge)
    outcome = refused(installation, *KAS, "--set", "jumlah=25.000", says="Setting koperasi tidak sah")
    assert "batas_ketua" in outcome.err and outcome.code == 1
    assert installation.run("case", "list").code == 0


# -- organisation files: text lengths, control characters, settings --------------------------------

ORG = """\
people:
  - {{username: uji, name: {name}}}
cooperatives:
  - slug: kkmp-uji
    name: Koperasi Uji
    city: {city}
    kelurahan: Uji
    settings: {{batas_ketua: {limit}}}
    roles:
      - {{person: uji, role: ketua, start: 2026-01-01, note: {note}}}
"""


def org_file(tmp_path: Path, *, name: str = "Uji Coba", city: str = "Kota Uji", note: str = "catatan",
             limit: str = "5000000") -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(ORG.format(name=name, city=city, note=note, limit=limit), encoding="utf-8")
    return path


ORG_REFUSALS = [
    ({"city": "K" * 121}, "terlalu panjang (121 huruf, maksimal 120)"),
    ({"note": "n" * 201}, "terlalu panjang (201 huruf, maksimal 200)"),
    ({"name": '"Uji\\0Coba"'}, "karakter kendali U+0000"),
    ({"name": '"Uji\\e[31mCoba"'}, "karakter kendali U+001B"),
    ({"city": '"Kota\\x85Uji"'}, "karakter kendali U+0085"),
    ({"note": '"baris\\nbaru"'}, "karakter kendali U+000A"),
    ({"limit": "[Kas, \"B\\0\"]"}, "karakter kendali U+0000"),
    ({"limit": str(10**30)}, "org.yaml:"),
]


def test_organisation_text_beyond_its_column_or_with_control_characters_is_refused(
        installation: Installation, tmp_path: Path) -> None:
    """City over 120, note over 200, NUL, ANSI or C1 in names, a setting of 10^30: located, nothing stored."""
    for change, says in ORG_REFUSALS:
        outcome = refused(installation, "org", "import", str(org_file(tmp_path, **change)), says=says)
        assert outcome.code == 1 and "org.yaml:" in outcome.err, change


def test_organisation_text_at_its_limits_is_stored_on_both_databases(installation: Installation,
                                                                     tmp_path: Path) -> None:
    path = org_file(tmp_path, name="N" * 200, city="K" * 120, note="n" * 200)
    imported = installation.run("org", "import", str(path))
    assert imported.code == 0, imported.err
    listing = installation.run("org", "list")
    assert listing.code == 0 and "kkmp-uji" in listing.out


def test_a_workflow_title_with_nul_or_too_long_is_refused_before_anything_is_stored(
        installation: Installation, tmp_path: Path) -> None:
    source = (ROOT / "workflows" / "pengeluaran_kas.yaml").read_text(encoding="utf-8")
    title = next(line for line in source.splitlines() if line.startswith("title:"))
    version = next(line for line in source.splitlines() if line.startswith("version:"))
    for bad, says in (('title: "Kas\\0keluar"', "karakter kendali U+0000"), ("title: " + "J" * 201, "terlalu panjang")):
        folder = tmp_path / f"wf{len(bad)}"
        folder.mkdir()
        edited = source.replace(title, bad, 1).replace(version, "version: 99", 1)  # a new version: not yet stored
        (folder / "pengeluaran_kas.yaml").write_text(edited, encoding="utf-8")
        outcome = refused(installation, "--workflows", str(folder), *KAS, "--set", "jumlah=25.000", says=says)
        assert "Judul prosedur" in outcome.err and outcome.code == 1


# -- comments, attachments, file names --------------------------------------------------------------

def test_a_comment_with_control_characters_is_refused_and_tabs_and_lines_are_kept(installation: Installation
                                                                                  ) -> None:
    refused(installation, *KAS, "--set", "jumlah=25.000", "--comment", "ok\x1b[2J", says="karakter kendali U+001B")
    refused(installation, *KAS, "--set", "jumlah=25.000", "--comment", "x" * 4001, says="terlalu panjang")
    started = installation.run(*KAS, "--set", "jumlah=25.000", "--comment", "baris satu\n\tbaris dua")
    assert started.code == 0, started.err


def test_attaching_to_an_unknown_field_names_the_attachment_fields(installation: Installation,
                                                                   tmp_path: Path) -> None:
    nota = tmp_path / "nota.png"
    nota.write_bytes(tiny_png())
    outcome = refused(installation, *KAS, "--set", "jumlah=25.000", "--attach", f"tidak_ada={nota}",
                      says="field lampiran yang ada: nota")
    assert outcome.code == 1
    refused(installation, *KAS, "--set", "jumlah=25.000", "--attach", f"keperluan={nota}", says="bukan field lampiran")


def test_a_long_file_name_keeps_its_extension(services: Services, installation: Installation,
                                              tmp_path: Path) -> None:
    long_name = "Nota pembelian " + "sangat " * 40 + ".png"
    view = services.start_case("pengeluaran_kas", COOP, "fajar", values={
        "keperluan": "Beli kertas", "jumlah": "25000", "pos_rapb": "1", "penerima": "Toko Maju"},
        files={"nota": ("C:\\Users\\x\\" + long_name.replace("Nota", "Nota\x1b[31m"), tiny_png())})
    name = _stored_name(installation, view.summary.number)
    assert name.endswith(".png") and len(name) <= FILENAME_MAX and "\x1b" not in name and "\\" not in name
    on_disk = tmp_path / ("n" * 240 + ".png")
    on_disk.write_bytes(tiny_png())
    started = installation.run(*KAS, "--set", "jumlah=25.000", "--attach", f"nota={on_disk}")
    assert started.code == 0, started.err
    name = _stored_name(installation, started.out.strip())
    assert name == "n" * (FILENAME_MAX - 4) + ".png"


def _stored_name(inst: Installation, number: str) -> str:
    db_engine = create_engine(normalise_url(inst.db_url))
    try:
        with Session(db_engine) as session:
            case = session.scalars(select(models.Case).where(models.Case.number == number)).one()
            return str(case.data["nota"]["name"])
    finally:
        db_engine.dispose()


def test_file_names_are_normalised() -> None:
    assert safe_filename("../../e\u0301tat.pdf") == "\u00e9tat.pdf"
    assert safe_filename("a\x00b\x1bc\u0085.pdf") == "abc.pdf"
    assert safe_filename("x" * 300 + ".xlsx").endswith("x.xlsx") and len(safe_filename("x" * 300 + ".xlsx")) == 200
    assert safe_filename("   ") == "lampiran"


# -- terminal output -------------------------------------------------------------------------------

def test_control_sequences_in_stored_data_are_shown_not_obeyed(installation: Installation, services: Services,
                                                               tmp_path: Path) -> None:
    nota = tmp_path / "nota.png"
    nota.write_bytes(tiny_png())
    view = services.start_case("pengeluaran_kas", COOP, "fajar", values={
        "keperluan": "Beli kertas", "jumlah": "25000", "pos_rapb": "1", "penerima": "Toko Maju"},
        files={"nota": nota})

    def poison(session: Session) -> None:
        person = session.scalars(select(models.Person).where(models.Person.username == "fajar")).one()
        person.full_name = "Fajar \x1b[2J\x1b]0;judul\x07\u202eNugroho"
        coop = session.scalars(select(models.Cooperative).where(models.Cooperative.slug == COOP)).one()
        coop.name = "Koperasi \x1b[31mMerah"

    behind_the_engine(installation, poison)
    for args in (["case", "show", view.summary.number, "--as", "fajar"], ["case", "list"],
                 ["tasks", "--as", "fajar"], ["org", "list"], ["anggota", "daftar", "--coop", COOP]):
        outcome = installation.run(*args)
        assert outcome.code == 0, (args, outcome.err)
        printed = outcome.out + outcome.err
        assert "\x1b" not in printed and "\x07" not in printed and "\u202e" not in printed, args
    shown = installation.run("case", "show", view.summary.number, "--as", "fajar").out
    assert "Fajar \\x1b[2J" in shown
    assert terminal_safe("a\tb\nc\r") == "a\tb\nc\\r"


# -- value parsing, as a property -------------------------------------------------------------------

FIELDS = {
    "money": FieldDef(type="money", label="Jumlah"),
    "integer": FieldDef(type="integer", label="Jumlah suara"),
    "date": FieldDef(type="date", label="Tanggal"),
    "text": FieldDef(type="text", label="Keperluan"),
    "choice": FieldDef(type="choice", label="Pos", options=["Alat tulis kantor", "Transportasi"]),
    "attendance": FieldDef(type="attendance", label="Hadir", of="anggota"),
}


@settings(max_examples=scale(400, 20_000), deadline=None, derandomize=True)
@given(kind=st.sampled_from(sorted(FIELDS)), typed=st.one_of(
    st.text(max_size=40), st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.from_regex(r"[0-9٠-٩０-９]{1,5}([-/.][0-9]{1,4}){0,2}", fullmatch=True), st.just("9" * 5000)))
def test_a_typed_value_is_refused_by_name_or_storable_everywhere(kind: str, typed: str) -> None:
    field = FIELDS[kind]
    try:
        value = parse_value("f", field, typed, {})
    except ValidationError as exc:
        assert exc.problems and exc.problems[0].label == field.label
        return
    if value is None:
        return
    assert validate_value("f", field, value, {}) is None
    canonical({"f": value})  # RFC 8785: what the trail commits to must encode exactly
    if isinstance(value, int):
        assert -SAFE_INTEGER <= value <= SAFE_INTEGER
        assert str(value).lstrip("-").isascii()
    if isinstance(value, str):
        assert "\x00" not in value and not any("\ud800" <= c <= "\udfff" for c in value)
