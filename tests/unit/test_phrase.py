"""Guards read as plain Indonesian with the cooperative's values: no field id, setting key or operator."""

from __future__ import annotations

import re

import pytest

from engine.domain.definitions.loader import load_definition_text
from engine.domain.definitions.model import Definition
from engine.domain.definitions.phrase import guard_sentence, phrase_guard
from engine.domain.definitions.registry import Registry
from engine.errors import GuardError

SOURCE = """\
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
roles: [bendahara]
settings_used:
  batas_manajer: {default: 500000, label: Batas pengeluaran yang cukup diverifikasi bendahara (Rp)}
  persen: {default: 35, label: Rasio angsuran paling tinggi (persen)}
fields:
  jumlah: {type: money, label: Jumlah (Rp)}
  setor: {type: money, label: Uang disetor (Rp)}
  jual: {type: money, label: Penjualan tunai (Rp)}
  jenis: {type: choice, label: Jenis pengajuan, options: [Rencana awal, Revisi]}
  kirim: {type: date, label: Batas waktu kirim}
  pesan: {type: date, label: Tanggal pesanan}
states:
  draf: {title: Draf}
  selesai: {title: Selesai, final: true}
actions:
  - {id: a, kind: submit, from: draf, to: selesai, roles: [bendahara]}
"""


@pytest.fixture(scope="module")
def d() -> Definition:
    return load_definition_text(SOURCE, "contoh.yaml").definition


@pytest.mark.parametrize(("expression", "words"), [
    ("jumlah > settings.batas_manajer", "jumlah di atas Rp 500.000"),
    ("jumlah <= settings.batas_manajer", "jumlah paling banyak Rp 500.000"),
    ("(setor - jual) | abs <= 10000", "selisih uang disetor dan penjualan tunai paling banyak Rp 10.000"),
    ("jenis == 'Revisi'", "jenis pengajuan adalah “Revisi”"),
    ("jenis != 'Revisi' or jumlah >= 1", "jenis pengajuan bukan “Revisi” atau jumlah paling sedikit Rp 1"),
    ("kirim >= pesan", "batas waktu kirim paling cepat tanggal pesanan"),
    ("setor * 100 <= jual * settings.persen", "uang disetor paling banyak 35% dari penjualan tunai"),
    ("jenis in ['Rencana awal', 'Revisi']", "jenis pengajuan salah satu dari “Rencana awal”, “Revisi”"),
    ("kirim is none or kirim is not none", "batas waktu kirim belum diisi atau batas waktu kirim sudah diisi"),
    ("jumlah / 2 > setor % 3", "jumlah dibagi 2 di atas uang disetor sisa bagi 3"),
    ("jenis == 'Revisi' and (jumlah > 5 or setor > 5)",
     "jenis pengajuan adalah “Revisi” dan (jumlah di atas Rp 5 atau uang disetor di atas Rp 5)"),
])
def test_words(d: Definition, expression: str, words: str) -> None:
    assert phrase_guard(expression, d) == words


def test_the_cooperatives_own_values(d: Definition) -> None:
    assert guard_sentence("jumlah > settings.batas_manajer", d, {"batas_manajer": 750000}) == \
        "Jumlah di atas Rp 750.000"


def test_what_cannot_be_phrased_is_refused(d: Definition) -> None:
    with pytest.raises(GuardError, match="tidak dapat diungkapkan"):
        phrase_guard("jumlah | round > 1", d)
    assert guard_sentence("jumlah | round > 1", d) == "Syarat prosedur"


def test_every_shipped_guard_reads_without_code() -> None:
    for loaded in Registry.shipped().all():
        d = loaded.definition
        for action in d.actions:
            if action.when:
                words = phrase_guard(action.when, d)
                leaked = [n for n in [*d.fields, *d.settings_used] if "_" in n and re.search(rf"\b{n}\b", words)]
                assert not leaked, (d.id, action.id, words)
                assert not re.search(r"settings\.|<=|>=|==|!=|\|", words), (d.id, action.id, words)


def test_workflows_check_refuses_a_guard_without_words() -> None:
    from engine.domain.definitions.lint import lint_definition

    text = SOURCE.replace("roles: [bendahara]}", 'roles: [bendahara], when: "jumlah | round > 1"}')
    problems = [str(p) for p in lint_definition(load_definition_text(text, "w.yaml"))]
    assert any("tidak dapat diungkapkan" in p and "w.yaml:" in p for p in problems), problems
    fine = SOURCE.replace("roles: [bendahara]}", 'roles: [bendahara], when: "jumlah > settings.batas_manajer"}')
    assert not [p for p in lint_definition(load_definition_text(fine, "w.yaml")) if "syarat" in p.message]
