"""List and person fields through the service: a list of persons and amounts is stored as typed rows, and
every person must be someone of the cooperative (holding the role a field asks for, on the date it names).
A refusal creates or changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from sqlalchemy import func, select

from engine.adapters.store.models import AuditEntry, Case
from engine.demo import DEMO_ORG
from engine.domain.definitions.registry import Registry
from engine.errors import ValidationError
from engine.services import Services
from engine.settings import Settings
from tests.conftest import Clock
from tests.helpers import COOP

#: The test-only procedure with a person field and a list of candidates (persons, a choice, money, a date).
DAFTAR = Path(__file__).parent / "fixtures" / "daftar"
WF = "uji_daftar_calon"


@pytest.fixture
def services(settings: Settings, clock: Clock, tmp_path: Path) -> Iterator[Services]:
    """The demo KKMP with one more person ("tono") who holds no term of office there."""
    svc = Services(settings, clock=clock, registry=Registry.from_paths([DAFTAR]))
    svc.init()
    yaml = YAML(typ="safe")
    org = yaml.load(DEMO_ORG.read_text(encoding="utf-8"))
    org["people"].append({"username": "tono", "name": "Tono Sugiarto"})
    path = tmp_path / "org.yaml"
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(org, handle)
    svc.import_org(path)
    yield svc
    svc.db.dispose()


def rows(*items: dict[str, object]) -> str:
    return json.dumps(list(items))


def start(services: Services, **values: str) -> str:
    return services.open_case(WF, COOP, "rina", values={"tanggal_rapat": "2026-11-20", **values})


def counts(services: Services) -> tuple[int, int]:
    with services.db.session() as session:
        return (session.scalar(select(func.count()).select_from(Case)) or 0,
                session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def stored(services: Services, number: str) -> dict[str, object]:
    with services.db.session() as session:
        return dict(session.scalars(select(Case.data).where(Case.number == number)).one())


def refused_start(services: Services, match: str, **values: str) -> ValidationError:
    before = counts(services)
    with pytest.raises(ValidationError, match=match) as info:
        start(services, **values)
    assert counts(services) == before
    return info.value


def test_a_list_of_persons_and_amounts_is_stored_as_typed_rows_and_shown_as_a_table(services: Services) -> None:
    number = start(services, ketua_panitia="Joko", calon=rows(
        {"anggota": " SITI ", "jabatan": "ketua", "simpanan": "250.000", "sejak": "15-07-2025"},
        {"anggota": "", "jabatan": "", "simpanan": ""},  # a spare row of the form: dropped
        {"Anggota": "lilik", "Jabatan": "Bendahara", "Simpanan": 1500000}))  # labels as keys, a number as a number
    data = stored(services, number)
    assert data["ketua_panitia"] == "joko"
    assert data["calon"] == [
        {"anggota": "siti", "jabatan": "Ketua", "simpanan": 250000, "sejak": "2025-07-15"},
        {"anggota": "lilik", "jabatan": "Bendahara", "simpanan": 1500000, "sejak": None}]
    view = services.show(number, "rina")
    table = view.tables["calon"]
    assert table.headers == ["Anggota", "Jabatan", "Simpanan", "Anggota sejak"]
    assert table.rows == [["Siti Maemunah (siti)", "Ketua", "Rp 250.000", "15 Juli 2025"],
                          ["Lilik Suryani (lilik)", "Bendahara", "Rp 1.500.000", "—"]]
    facts = {f.name: f for f in view.facts}
    assert facts["calon"].value == "2 baris" and facts["calon"].table == table
    assert facts["ketua_panitia"].value == "Joko Susilo (joko)"
    services.act(number, "ajukan", "rina")
    assert services.act(number, "sahkan", "bambang").to_state == "selesai"


def test_someone_who_is_not_of_the_cooperative_is_refused_by_row_and_column(services: Services) -> None:
    error = refused_start(services, "bukan orang di koperasi ini", calon=rows(
        {"anggota": "siti", "jabatan": "Ketua"},
        {"anggota": "budi", "jabatan": "Sekretaris"},  # no such user
        {"anggota": "tono", "jabatan": "Bendahara"}))  # a user, but no term of office in this cooperative
    assert [p.message for p in error.problems] == ["Baris 2, Anggota: 'budi' bukan orang di koperasi ini",
                                                   "Baris 3, Anggota: 'tono' bukan orang di koperasi ini"]
    assert {p.name for p in error.problems} == {"calon"}


def test_a_person_column_with_of_requires_the_role_on_the_meeting_date(services: Services) -> None:
    # fajar is the manajer, not a member: refused on the meeting's date
    error = refused_start(services, "tidak memegang jabatan Anggota", calon=rows(
        {"anggota": "siti", "jabatan": "Ketua"}, {"anggota": "fajar", "jabatan": "Sekretaris"}))
    assert [p.message for p in error.problems] == [
        "Baris 2, Anggota: 'fajar' tidak memegang jabatan Anggota pada 20 November 2026"]
    # lilik became a member on 2 August 2025: on a meeting of 20 July 2025 she was not one yet, siti was
    error = refused_start(services, "20 Juli 2025", tanggal_rapat="2025-07-20", calon=rows(
        {"anggota": "siti", "jabatan": "Ketua"}, {"anggota": "lilik", "jabatan": "Bendahara"}))
    assert [p.message for p in error.problems] == [
        "Baris 2, Anggota: 'lilik' tidak memegang jabatan Anggota pada 20 Juli 2025"]


def test_a_person_field_names_someone_of_the_cooperative_and_holds_its_role(services: Services) -> None:
    error = refused_start(services, "Ketua panitia", ketua_panitia="fajar", calon=rows({"anggota": "siti",
                                                                                         "jabatan": "Ketua"}))
    assert [str(p) for p in error.problems] == [
        "Ketua panitia (ketua_panitia): 'fajar' tidak memegang jabatan Anggota pada 20 November 2026"]
    error = refused_start(services, "Saksi", saksi="budi")
    assert [str(p) for p in error.problems] == ["Saksi (saksi): 'budi' bukan orang di koperasi ini"]
    # wahyu's term as bendahara ended in 2025: he held one, so he is of the cooperative (no role asked)
    number = start(services, saksi="Wahyu")
    assert stored(services, number)["saksi"] == "wahyu"


def test_each_cell_is_checked_by_its_columns_rules_and_every_problem_is_named(services: Services) -> None:
    error = refused_start(services, "Baris", calon=rows(
        {"anggota": "siti", "jabatan": "Raja", "simpanan": "50.000"},
        {"anggota": "joko"},
        {"anggota": "lilik", "jabatan": "Ketua", "sejak": "kemarin", "warna": "merah"}))
    messages = [p.message for p in error.problems]
    assert messages[:3] == ["Baris 1, Jabatan: pilihan tidak dikenal; pilih salah satu dari: Ketua; Sekretaris; Bendahara",
                            "Baris 1, Simpanan: minimal Rp 100.000", "Baris 2, Jabatan: wajib diisi"]
    assert messages[3].startswith("Baris 3: kolom 'warna' tidak dikenal")
    assert messages[4].startswith("Baris 3, Anggota sejak: ")
    six = rows(*({"anggota": "siti", "jabatan": "Ketua"} for _ in range(6)))
    error = refused_start(services, "terlalu banyak baris", calon=six)
    assert [p.message for p in error.problems] == ["terlalu banyak baris: 6 (maksimal 5)"]
    refused_start(services, "bukan daftar yang dapat dibaca", calon="siti, joko")


def test_changing_the_list_on_a_later_step_is_checked_and_a_refusal_changes_nothing(services: Services) -> None:
    number = start(services, calon=rows({"anggota": "siti", "jabatan": "Ketua"}))
    services.act(number, "ajukan", "rina")
    before = stored(services, number), counts(services)
    with pytest.raises(ValidationError, match="Baris 2, Anggota: 'tono' bukan orang di koperasi ini"):
        services.act(number, "sahkan", "bambang", values={"calon": rows(
            {"anggota": "siti", "jabatan": "Ketua"}, {"anggota": "tono", "jabatan": "Sekretaris"})})
    assert (stored(services, number), counts(services)) == before
    services.act(number, "sahkan", "bambang", values={"calon": rows(
        {"anggota": "siti", "jabatan": "Ketua"}, {"anggota": "joko", "jabatan": "Sekretaris"})})
    assert [r["anggota"] for r in stored(services, number)["calon"]] == ["siti", "joko"]  # type: ignore[index]


def test_moving_the_meeting_date_checks_the_people_again(services: Services) -> None:
    number = start(services, calon=rows({"anggota": "lilik", "jabatan": "Ketua"}))
    before = stored(services, number), counts(services)
    with pytest.raises(ValidationError, match="'lilik' tidak memegang jabatan Anggota pada 20 Juli 2025"):
        services.act(number, "ajukan", "rina", values={"tanggal_rapat": "2025-07-20"})
    assert (stored(services, number), counts(services)) == before


def test_the_berita_acara_prints_the_list_as_a_table_with_the_peoples_names(services: Services) -> None:
    from tests.integration.documents.conftest import pdf_text

    number = start(services, ketua_panitia="joko", calon=rows(
        {"anggota": "siti", "jabatan": "Ketua", "simpanan": "250.000"},
        {"anggota": "lilik", "jabatan": "Bendahara", "sejak": "2025-08-02"}))
    services.act(number, "ajukan", "rina")
    services.act(number, "sahkan", "bambang")
    body = " ".join(pdf_text(services.documents.minutes(number).data).split())
    assert "Daftar calon (2 baris)" in body
    assert "No. Anggota Jabatan Simpanan Anggota sejak" in body
    assert "1 Siti Maemunah (siti) Ketua Rp 250.000 —" in body
    assert "2 Lilik Suryani (lilik) Bendahara — 2 Agustus 2025" in body
    assert "Ketua panitia Joko Susilo (joko)" in body
    assert "[{" not in body and "'anggota'" not in body  # no stored form of the rows
