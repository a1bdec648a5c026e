"""The pengawas' report: a cooperative's trail over a period, with its verification status."""

from __future__ import annotations

import json
from datetime import date

import pytest

from engine.errors import ValidationError
from engine.services import Services
from engine.services.documents import DocumentService
from tests.conftest import ON_POSTGRES
from tests.helpers import COOP, submitted_kas
from tests.integration.documents.conftest import attachments, pdf_text, quorum_kas

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def test_the_report_lists_the_period_and_says_the_trail_is_intact(docs: DocumentService, services: Services,
                                                                  files) -> None:
    number = quorum_kas(services, files)
    issued = docs.audit_report(COOP, *NOVEMBER)
    text = pdf_text(issued.data)
    assert issued.number == "LHP-JEJAK-20261101-20261130"
    assert "LAPORAN JEJAK PERSETUJUAN" in text and "1 November 2026 s.d. 30 November 2026" in text
    assert "Jejak persetujuan utuh: 6 catatan, 6 checkpoint bertanda tangan sah." in text
    assert number in text and "Persetujuan Pengeluaran Kas" in text and "2 dari 2" in text
    assert "Verifikasi bendahara → Persetujuan ketua" in text
    assert "Heru Wibowo" in text and "Agus Santoso, S.Sos." in text and "Nur Aini" in text
    assert "tatakelola/kkmp-sentanan" in text  # the checkpoint printed for the pengawas to keep
    files_in = attachments(issued.data)
    assert len(files_in["entries.jsonl"].decode().splitlines()) == 6
    assert [p["seq"] for p in json.loads(files_in["proofs.json"])] == [1, 2, 3, 4, 5, 6]
    assert docs.verify(issued.data).ok


def test_a_period_without_entries_still_carries_the_checkpoint(docs: DocumentService, services: Services,
                                                              files) -> None:
    submitted_kas(services, 100_000, files("n.pdf"))
    issued = docs.audit_report(COOP, date(2026, 10, 1), date(2026, 10, 31))
    text = pdf_text(issued.data)
    assert "Tidak ada catatan jejak dalam periode ini." in text
    assert attachments(issued.data)["entries.jsonl"] == b""
    assert docs.verify(issued.data).ok


def test_a_tampered_trail_is_reported_as_not_intact(docs: DocumentService, services: Services, files) -> None:
    quorum_kas(services, files)
    with services.db.db_engine.begin() as conn:
        if ON_POSTGRES:
            conn.exec_driver_sql("ALTER TABLE audit_entries DISABLE TRIGGER ALL")
        else:
            conn.exec_driver_sql("DROP TRIGGER trg_audit_entries_no_update")
        conn.exec_driver_sql("UPDATE audit_entries SET body = replace(body, '\"sri\"', '\"wahyu\"') WHERE seq = 3")
    text = pdf_text(docs.audit_report(COOP, *NOVEMBER).data)
    assert "Jejak persetujuan TIDAK utuh" in text and "catatan #3" in text


def test_a_period_that_ends_before_it_starts_is_refused(docs: DocumentService) -> None:
    with pytest.raises(ValidationError, match="Periode tidak sah"):
        docs.audit_report(COOP, date(2026, 11, 30), date(2026, 11, 1))


def test_the_report_lists_the_audit_findings_of_the_period(docs: DocumentService, services: Services, files,
                                                          clock) -> None:
    from tests.helpers import KAS_VERIFY_CHECKS

    clean = docs.audit_report(COOP, *NOVEMBER)
    assert "Tidak ada temuan" in pdf_text(clean.data)
    late = submitted_kas(services, 200_000, files("late.pdf"))
    clock.advance(days=5)
    services.act(late, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    text = pdf_text(docs.audit_report(COOP, *NOVEMBER).data)
    assert "II. Temuan audit" in text and "Langkah melewati tenggat" in text and late in text


def test_the_summary_counts_each_case_once_and_names_steps_by_their_titles(docs: DocumentService,
                                                                          services: Services, files) -> None:
    from tests.helpers import KAS_PAY_CHECKS

    paid = quorum_kas(services, files)  # 4 decisions, 2 of them approvals by the pengawas
    services.act(paid, "bayar", "sri", checks=KAS_PAY_CHECKS, files={"kuitansi": files("k.pdf")})
    submitted_kas(services, 100_000, files("n.pdf"))  # still with the bendahara
    issued = docs.audit_report(COOP, *NOVEMBER)
    text = pdf_text(issued.data)
    # Kasus, Dimulai, Selesai/disetujui, Ditolak, Dikembalikan, Masih berjalan, Catatan (entries: every action)
    assert "Persetujuan Pengeluaran Kas 2 2 1 0 0 1 9" in text
    assert "Jumlah 2 2 1 0 0 1 9" in text
    assert "Menunggu verifikasi bendahara" in text.split("Kasus yang masih terbuka")[1]
    assert "verifikasi_bendahara" not in text and "setujui_pengawas" not in text
