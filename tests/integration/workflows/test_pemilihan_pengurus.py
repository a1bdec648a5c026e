"""SOP-KEL-11 Pemilihan Pengurus dan Pengawas: the showcase of the SOP language (issue 13) — a committee
role the procedure declares and appoints for its own duration, candidate lists checked against the
organisation (membership length, seats held, the committee), an attendance quorum over the register,
the elected barred from certifying themselves, and the new board installed with a same-day handover."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from sqlalchemy import select

from engine.adapters.store.models import Cooperative, Person, RoleAssignment
from engine.demo import DEMO_ORG
from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, members, pdfs, present, refused, start, state

WF = "pemilihan_pengurus"
RAT = "2026-12-19"


def add_people(services: Services, tmp_path: Path, chair: tuple[date, date] | None = None) -> None:
    """Three more members with accounts: ani and heru's membership since 2024, budi since June 2026;
    ``chair``: joko's term as pimpinan rapat moved to these dates."""
    yaml = YAML(typ="safe")
    org = yaml.load(DEMO_ORG.read_text(encoding="utf-8"))
    org["people"] += [{"username": "ani", "name": "Ani Rahmawati"}, {"username": "budi", "name": "Budi Hartono"}]
    if chair is not None:
        for term in org["cooperatives"][0]["roles"]:
            if term["role"] == "pimpinan_rapat":
                term["start"], term["end"] = chair
    org["cooperatives"][0]["roles"] += [
        {"person": "ani", "role": "anggota", "start": date(2024, 1, 1)},
        {"person": "budi", "role": "anggota", "start": date(2026, 6, 1)},
        {"person": "heru", "role": "anggota", "start": date(2024, 1, 1)},
    ]
    path = tmp_path / "org-pemilihan.yaml"
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(org, handle)
    services.import_org(path)


def rows(*items: dict[str, Any]) -> str:
    return json.dumps(list(items))


PANITIA = rows({"anggota": "siti", "tugas": "Ketua panitia"}, {"anggota": "lilik", "tugas": "Sekretaris panitia"},
               {"anggota": "ani", "tugas": "Anggota panitia"})


def terms(services: Services, username: str, role: str) -> list[tuple[date, date | None]]:
    with services.db.session() as session:
        found = session.execute(
            select(RoleAssignment.starts_on, RoleAssignment.ends_on).join(Person, Person.id == RoleAssignment.person_id)
            .join(Cooperative, Cooperative.id == RoleAssignment.coop_id)
            .where(Person.username == username, RoleAssignment.role == role)
            .order_by(RoleAssignment.starts_on)).all()
    return [(s, e) for s, e in found]


@pytest.fixture
def election(services: Services, tmp_path: Path) -> str:
    add_people(services, tmp_path)
    return start(services, WF, "rina", {"tanggal_rat": RAT, "tempat_rat": "Balai Kelurahan Sentanan",
                                        "panitia": PANITIA})


def with_committee(services: Services, number: str) -> None:
    act(services, number, "ajukan_panitia", "rina")
    for voter in ("bambang", "dwi", "endang"):
        act(services, number, "sahkan_panitia", voter)


CALON = rows({"orang": "bambang", "jabatan": "Ketua Pengurus"}, {"orang": "rina", "jabatan": "Sekretaris"})


def candidates(services: Services, number: str, listed: str = CALON) -> None:
    act(services, number, "tetapkan_calon", "siti", values={"calon": listed})


def test_the_committee_is_appointed_by_the_board_quorum_for_the_case_only(services: Services, election: str) -> None:
    with_committee(services, election)
    assert state(services, election) == "pendaftaran_calon"
    assert terms(services, "ani", "panitia_pemilihan") == [(date(2026, 11, 24), None)]
    assert {p for p in ("siti", "lilik", "ani") if terms(services, p, "panitia_pemilihan")} == {"siti", "lilik", "ani"}


def test_a_committee_member_who_holds_a_seat_is_refused_by_name(services: Services, election: str) -> None:
    error = refused(services, election, "ajukan_panitia", "rina", ValidationError, values={"panitia": rows(
        {"anggota": "bambang", "tugas": "Ketua panitia"}, {"anggota": "siti", "tugas": "Anggota panitia"})})
    text = str(error)
    assert "Panitia 1 (Bambang Sutrisno) sedang menjabat pengurus atau pengawas" in text
    assert "baru 2 orang" in text and "sekurang-kurangnya 3 orang" in text


def test_candidates_are_checked_against_the_organisation_in_words(services: Services, election: str) -> None:
    with_committee(services, election)
    error = refused(services, election, "tetapkan_calon", "siti", ValidationError, values={"calon": rows(
        {"orang": "bambang", "jabatan": "Ketua Pengurus"}, {"orang": "budi", "jabatan": "Bendahara"},
        {"orang": "lilik", "jabatan": "Sekretaris"}, {"orang": "heru", "jabatan": "Wakil Ketua Bidang Usaha"})})
    text = str(error)
    assert "Calon 2 (Budi Hartono) belum 12 bulan menjadi anggota pada 19 Desember 2026 (anggota sejak 1 Juni " \
           "2026)" in text
    assert "Calon 3 (Lilik Suryani) duduk di Panitia Pemilihan" in text
    assert "Calon 4 (Heru Wibowo) sedang menjabat pengawas" in text
    assert "Calon 1" not in text and "months_between" not in text


def test_only_the_committee_fixes_the_candidates(services: Services, election: str) -> None:
    with_committee(services, election)
    refused(services, election, "tetapkan_calon", "bambang", PermissionDeniedError, "Panitia Pemilihan",
            values={"calon": CALON})


def vote(services: Services, files: Files, number: str, hasil: str, by: str = "lilik") -> None:
    numbers = members(services, 30)
    act(services, number, "catat_hasil", by, values={"daftar_hadir": present(numbers), "hasil": hasil},
        files=pdfs(files, "berita_acara_suara"))


HASIL = rows({"terpilih": "bambang", "jabatan": "Ketua Pengurus", "suara": 21},
             {"terpilih": "rina", "jabatan": "Sekretaris", "suara": 25})


def test_votes_cannot_exceed_those_present(services: Services, files: Files, election: str) -> None:
    with_committee(services, election)
    candidates(services, election)
    numbers = members(services, 30)
    refused(services, election, "catat_hasil", "lilik", ValidationError,
            "Bambang Sutrisno tercatat memperoleh 31 suara, lebih banyak dari 30 anggota yang hadir",
            values={"daftar_hadir": present(numbers), "hasil": rows(
                {"terpilih": "bambang", "jabatan": "Ketua Pengurus", "suara": 31})},
            files=pdfs(files, "berita_acara_suara"))


def test_the_elected_board_takes_office_on_the_start_date_and_the_committee_ends(
        services: Services, files: Files, election: str) -> None:
    with_committee(services, election)
    candidates(services, election)
    vote(services, files, election, HASIL)
    assert state(services, election) == "pengesahan_hasil"
    refused(services, election, "sahkan_hasil", "siti", PermissionDeniedError,
            values={"tanggal_mulai": "2027-01-01", "tanggal_akhir": "2031-12-31"})
    act(services, election, "sahkan_hasil", "joko", values={"tanggal_mulai": "2027-01-01",
                                                           "tanggal_akhir": "2031-12-31"})
    assert state(services, election) == "ditetapkan"
    assert terms(services, "bambang", "ketua") == [(date(2025, 7, 1), date(2026, 12, 31)),
                                                  (date(2027, 1, 1), date(2031, 12, 31))]
    assert terms(services, "rina", "sekretaris")[-1] == (date(2027, 1, 1), date(2031, 12, 31))
    assert terms(services, "ani", "panitia_pemilihan") == [(date(2026, 11, 24), date(2026, 11, 24))]
    assert all(report.ok for report in services.verify())
    assert [f.message for f in services.findings("kkmp-sentanan").findings if f.case == election] == []


def test_the_elected_cannot_certify_their_own_election(services: Services, files: Files, tmp_path: Path,
                                                       election: str) -> None:
    with_committee(services, election)
    candidates(services, election, rows({"orang": "bambang", "jabatan": "Ketua Pengurus"},
                                        {"orang": "joko", "jabatan": "Bendahara"}))
    vote(services, files, election, rows({"terpilih": "joko", "jabatan": "Bendahara", "suara": 20}))
    refused(services, election, "sahkan_hasil", "joko", ValidationError,
            "Joko Susilo termasuk yang terpilih dalam pemilihan ini",
            values={"tanggal_mulai": "2027-01-01", "tanggal_akhir": "2031-12-31"})


def test_a_committee_member_who_chairs_the_meeting_cannot_certify_the_count(services: Services, files: Files,
                                                                           tmp_path: Path) -> None:
    add_people(services, tmp_path)
    number = start(services, WF, "rina", {"tanggal_rat": RAT, "tempat_rat": "Balai Kelurahan Sentanan",
                                          "panitia": rows({"anggota": "siti", "tugas": "Ketua panitia"},
                                                          {"anggota": "joko", "tugas": "Sekretaris panitia"},
                                                          {"anggota": "ani", "tugas": "Anggota panitia"})})
    with_committee(services, number)
    candidates(services, number)
    vote(services, files, number, HASIL, by="ani")
    refused(services, number, "sahkan_hasil", "joko", PermissionDeniedError,
            "Anda Panitia Pemilihan pada 24 November 2026; 'Sahkan hasil pemilihan' tidak boleh diambil oleh "
            "Panitia Pemilihan", values={"tanggal_mulai": "2027-01-01", "tanggal_akhir": "2031-12-31"})
