"""A guard that does not hold names the failing clause in words, not the expression, and does not ask
for optional fields the failing clause does not read (issue 13, messages)."""

from __future__ import annotations

import pytest

from engine.domain.definitions.loader import load_definition_text
from engine.domain.definitions.registry import Registry
from engine.errors import ValidationError
from engine.services import Services
from tests.helpers import COOP

PROCEDURE = """\
id: uji_syarat
version: 1
title: Uji pesan syarat
category: keuangan
number_prefix: UJS
sop:
  nomor: SOP-UJI-02
  tanggal_pembuatan: 2026-01-01
  tanggal_efektif: 2026-01-01
  disahkan_oleh: ketua
  dasar_hukum: [AD/ART]
  kualifikasi_pelaksana: [Memahami AD/ART]
  peralatan: [Formulir]
  peringatan: Tidak ada
  pencatatan: [Buku kas]
roles: [manajer, bendahara]
settings_used:
  batas_manajer: {default: 500000, label: Batas pengeluaran oleh manajer (Rp)}
fields:
  jumlah: {type: money, label: Jumlah (Rp)}
  tanggal_nota: {type: date, label: Tanggal nota}
  catatan_vendor: {type: text, label: Catatan vendor}
  tanggal_bayar: {type: date, label: Tanggal bayar}
states:
  draf: {title: Draf}
  diperiksa: {title: Diperiksa}
  selesai: {title: Selesai, final: true}
actions:
  - id: ajukan
    kind: submit
    from: draf
    to: diperiksa
    roles: [manajer]
    when: "jumlah <= settings.batas_manajer and (catatan_vendor is none or catatan_vendor != 'x') and tanggal_nota <= today"
  - id: bayar
    kind: approve
    from: diperiksa
    to: selesai
    roles: [bendahara]
    when: "tanggal_bayar >= tanggal_nota"
"""


@pytest.fixture
def guarded(services: Services) -> Services:
    return Services(services.settings, clock=services.clock,
                    registry=Registry([load_definition_text(PROCEDURE, "uji_syarat.yaml")]))


def refusal(svc: Services, number: str, action: str, user: str, **values: str) -> str:
    with pytest.raises(ValidationError) as info:
        svc.act(number, action, user, values=values, checks=[], comment=None)
    return str(info.value)


def test_the_failing_clause_is_named_in_words_and_the_others_are_not(guarded: Services) -> None:
    number = guarded.start_case("uji_syarat", COOP, "fajar", values={
        "jumlah": "600.000", "tanggal_nota": "2026-11-20"}).summary.number
    text = refusal(guarded, number, "ajukan", "fajar")
    assert "Jumlah paling banyak Rp 500.000 — tidak terpenuhi (isian kini: Jumlah (Rp): Rp 600.000)" in text
    assert "catatan vendor" not in text.lower() and "tanggal nota" not in text.lower()
    assert "settings." not in text and "<=" not in text


def test_an_empty_field_a_failing_clause_reads_is_asked_for(guarded: Services) -> None:
    number = guarded.start_case("uji_syarat", COOP, "fajar", values={"jumlah": "100.000"}).summary.number
    text = refusal(guarded, number, "ajukan", "fajar")
    assert "Tanggal nota" in text and "wajib diisi sebelum langkah ini" in text
    assert "Catatan vendor" not in text  # optional and read only by a clause that holds


def test_a_date_clause_against_today_is_named(guarded: Services) -> None:
    number = guarded.start_case("uji_syarat", COOP, "fajar", values={
        "jumlah": "100.000", "tanggal_nota": "2026-12-31"}).summary.number
    text = refusal(guarded, number, "ajukan", "fajar")
    assert "Tanggal nota paling lambat hari ini — tidak terpenuhi" in text
