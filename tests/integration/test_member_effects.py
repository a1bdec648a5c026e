"""The ``add_member`` and ``end_member`` effects: a procedure a cooperative writes itself (admission of an
UMKM as a member, say) changes the Buku Daftar Anggota in the decision's own transaction (issue 13)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.adapters.store.models import Member
from engine.domain.definitions.lint import lint_definition
from engine.domain.definitions.loader import load_definition_text
from engine.domain.definitions.registry import Registry
from engine.errors import ValidationError
from engine.services import Services
from tests.helpers import COOP

PROCEDURE = """\
id: keanggotaan_umkm
version: 1
title: Keanggotaan pelaku UMKM
category: kelembagaan
number_prefix: KUM
sop:
  nomor: SOP-UJI-03
  tanggal_pembuatan: 2026-01-01
  tanggal_efektif: 2026-01-01
  disahkan_oleh: ketua
  dasar_hukum: [AD/ART]
  kualifikasi_pelaksana: [Memahami AD/ART]
  peralatan: [Formulir]
  peringatan: Tidak ada
  pencatatan: [Buku Daftar Anggota]
roles: [sekretaris, ketua]
fields:
  jenis: {type: choice, label: Permohonan, options: [Masuk, Keluar], required: true}
  nomor_umkm: {type: text, label: Nomor anggota, max_length: 30}
  pemilik: {type: text, label: Nama pemilik usaha, max_length: 120}
  nik_pemilik: {type: text, label: NIK pemilik, pattern: "^[0-9]{16}$"}
  alamat_usaha: {type: text, label: Alamat usaha, max_length: 300}
  tanggal_keputusan: {type: date, label: Tanggal keputusan}
states:
  draf: {title: Draf}
  keputusan: {title: Keputusan ketua}
  selesai: {title: Selesai, final: true}
  ditolak: {title: Ditolak, final: true}
actions:
  - {id: ajukan, kind: submit, from: draf, to: keputusan, roles: [sekretaris], requires: [nomor_umkm]}
  - id: terima
    label: Terima sebagai anggota
    kind: approve
    from: keputusan
    to: selesai
    roles: [ketua]
    when: "jenis == 'Masuk'"
    sets: [tanggal_keputusan]
    effects:
      - add_member: {number: nomor_umkm, name: pemilik, nik: nik_pemilik, address: alamat_usaha,
                     joined: tanggal_keputusan}
  - id: terima
    label: Setujui keluar
    kind: approve
    from: keputusan
    to: selesai
    roles: [ketua]
    when: "jenis == 'Keluar'"
    sets: [tanggal_keputusan]
    effects:
      - end_member: {number: nomor_umkm, nik: nik_pemilik, on: tanggal_keputusan}
  - {id: tolak, kind: reject, from: keputusan, to: ditolak, roles: [ketua], requires_comment: true}
"""


@pytest.fixture
def umkm(services: Services) -> Services:
    return Services(services.settings, clock=services.clock,
                    registry=Registry([load_definition_text(PROCEDURE, "keanggotaan_umkm.yaml")]))


def line(svc: Services, number: str) -> Member | None:
    with svc.db.session() as session:
        return session.scalar(select(Member).where(Member.number == number))


def decide(svc: Services, values: dict[str, str], when: str = "2026-11-24") -> str:
    number = svc.start_case("keanggotaan_umkm", COOP, "rina", values=values).summary.number
    svc.act(number, "ajukan", "rina", values={}, checks=[], comment=None)
    svc.act(number, "terima", "bambang", values={"tanggal_keputusan": when}, checks=[], comment=None)
    return number


def test_the_procedure_lints_clean() -> None:
    assert lint_definition(load_definition_text(PROCEDURE, "keanggotaan_umkm.yaml")) == []
    broken = PROCEDURE.replace("joined: tanggal_keputusan}", "joined: pemilik}")
    found = [str(p) for p in lint_definition(load_definition_text(broken.replace("keanggotaan_umkm", "kx"), "k.yaml"))]
    assert any("add_member.joined: 'pemilik' bukan field bertipe date" in p for p in found)


def test_admission_writes_the_register_line_and_leaving_ends_it(umkm: Services) -> None:
    admitted = decide(umkm, {"jenis": "Masuk", "nomor_umkm": "KKMP-STN-UMKM-01", "pemilik": "Sumiati",
                             "nik_pemilik": "3576014101800001", "alamat_usaha": "Jl. Empunala 5"}, "2026-11-20")
    member = line(umkm, "KKMP-STN-UMKM-01")
    assert member is not None and (member.full_name, member.address, str(member.joined_on)) == (
        "Sumiati", "Jl. Empunala 5", "2026-11-20")
    assert member.left_on is None and member.case_id is not None
    assert umkm.show(admitted, None).summary.state == "selesai"
    decide(umkm, {"jenis": "Keluar", "nomor_umkm": "KKMP-STN-UMKM-01", "nik_pemilik": "3576014101800001"},
           "2026-11-24")
    member = line(umkm, "KKMP-STN-UMKM-01")
    assert member is not None and str(member.left_on) == "2026-11-24" and member.status == "berhenti"


def test_leaving_with_a_wrong_nik_changes_nothing(umkm: Services) -> None:
    decide(umkm, {"jenis": "Masuk", "nomor_umkm": "KKMP-STN-0007", "pemilik": "Siti Maemunah",
                  "nik_pemilik": "3576015507790003"})
    number = umkm.start_case("keanggotaan_umkm", COOP, "rina", values={
        "jenis": "Keluar", "nomor_umkm": "KKMP-STN-0007", "nik_pemilik": "3576019999999999"}).summary.number
    umkm.act(number, "ajukan", "rina", values={}, checks=[], comment=None)
    with pytest.raises(ValidationError, match="NIK tidak cocok"):
        umkm.act(number, "terima", "bambang", values={}, checks=[], comment=None)
    member = line(umkm, "KKMP-STN-0007")
    assert member is not None and member.left_on is None
    assert umkm.show(number, None).summary.state == "keputusan"
