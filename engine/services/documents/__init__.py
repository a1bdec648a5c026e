"""Printed documents: SOP (Permenpan-RB 35/2012), Buku SOP, RK/RAPB, Berita Acara, audit report.

Templates live in ``sop_templates/`` (Jinja2, StrictUndefined, autoescape); WeasyPrint renders
PDF/A-3b with the decision entries, their inclusion proofs and the signed checkpoint embedded.
Every issued PDF is signed (PAdES) with the installation's certificate and its SHA-256 recorded;
``verify_pdf`` checks one offline or against a database. The SOP and the Buku SOP are kept by
content and built on a worker thread (``cache.py``).
"""

from engine.adapters.render.evidence import DefinitionEvidence, Evidence, LogEvidence
from engine.adapters.render.flowchart import Flowchart, build_flowchart
from engine.adapters.render.formatting import angka, hari, persen, porsi, rupiah, tanggal, tanggal_waktu, terbilang
from engine.adapters.render.issue import IssuedPdf
from engine.adapters.render.pdf import document_time
from engine.adapters.render.workbook import (
    EXAMPLE_WORKBOOK,
    WorkbookError,
    example_budget,
    read_workbook,
    write_workbook,
)
from engine.domain.budget import (
    DEFAULT_PEMBAGIAN_SHU,
    SECTIONS,
    BudgetData,
    BudgetView,
    Line,
    PlanItem,
    ShuShare,
    Totals,
    budget_view,
    distribute,
    shu_shares,
)
from engine.services.documents.service import BudgetImport, BudgetSection, BudgetSummary, DocumentService
from engine.services.documents.verify import Check, PdfVerification, verify_pdf

__all__ = [
    "DEFAULT_PEMBAGIAN_SHU",
    "EXAMPLE_WORKBOOK",
    "SECTIONS",
    "BudgetData",
    "BudgetImport",
    "BudgetSection",
    "BudgetSummary",
    "BudgetView",
    "Check",
    "DefinitionEvidence",
    "DocumentService",
    "Evidence",
    "Flowchart",
    "IssuedPdf",
    "Line",
    "LogEvidence",
    "PdfVerification",
    "PlanItem",
    "ShuShare",
    "Totals",
    "WorkbookError",
    "angka",
    "budget_view",
    "build_flowchart",
    "distribute",
    "document_time",
    "example_budget",
    "hari",
    "persen",
    "porsi",
    "read_workbook",
    "rupiah",
    "shu_shares",
    "tanggal",
    "tanggal_waktu",
    "terbilang",
    "verify_pdf",
    "write_workbook",
]
