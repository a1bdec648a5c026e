"""The printed SOP, generated from the same definition that drives the engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.adapters.render.common import CATEGORY_LABELS, Signer, setting_value_text
from engine.adapters.render.flowchart import VERIFICATION_TAIL, Flowchart, build_flowchart, legend_svgs
from engine.adapters.render.formatting import tanggal
from engine.adapters.store.models import Cooperative
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.roles import role_label
from engine.domain.values import resolved_settings
from engine.services.documents.lookups import signer_for

__all__ = ["SopView", "sop_date", "sop_number", "sop_view"]

_CATEGORY_ORDER = {"kelembagaan": 0, "usaha": 1, "keuangan": 2, "pengawasan": 3}


def sop_number(loaded: LoadedDefinition) -> str:
    """Document number of a printed SOP: its SOP number and definition version (``SOP-KEU-03-V1``)."""
    d = loaded.as_written
    return f"{d.sop.nomor}-V{d.version}"


def sop_date(loaded: LoadedDefinition) -> date:
    """The latest of the SOP's dates (made, revised, effective)."""
    s = loaded.as_written.sop
    return max(d for d in (s.tanggal_pembuatan, s.tanggal_revisi, s.tanggal_efektif) if d is not None)


def sort_key(loaded: LoadedDefinition) -> tuple[int, str]:
    """Book order: by field (kelembagaan, usaha, keuangan, pengawasan), then SOP number."""
    d = loaded.as_written
    return _CATEGORY_ORDER.get(d.category, 9), d.sop.nomor


@dataclass(frozen=True)
class SettingRow:
    """One AD/ART parameter the procedure reads."""

    label: str
    value: str


@dataclass(frozen=True)
class SopView:
    """What the SOP templates print for one procedure."""

    id: str
    anchor: str
    title: str
    nomor: str
    version: int
    category: str
    year: int
    tanggal_pembuatan: str
    tanggal_revisi: str
    tanggal_efektif: str
    pengesahan: Signer
    dasar_hukum: list[str]
    kualifikasi_pelaksana: list[str]
    keterkaitan: list[str]
    peralatan: list[str]
    peringatan: str
    pencatatan: list[str]
    summary: str | None
    settings: list[SettingRow]
    settings_source: str
    flow: Flowchart
    legend: Mapping[str, Any]


def sop_view(session: Session | None, loaded: LoadedDefinition, coop: Cooperative | None) -> SopView:
    """Build the printable view of one definition (names of office holders when a cooperative is given)."""
    d = loaded.as_written
    s = d.sop
    coop_settings: dict[str, Any] = dict(coop.settings) if coop is not None else {}
    settings = resolved_settings(d, coop_settings)
    meta = f"Tanggal efektif {tanggal(s.tanggal_efektif)}"
    if session is not None and coop is not None:
        ratifier = signer_for(session, coop, s.disahkan_oleh, s.tanggal_efektif, meta=meta)
    else:
        ratifier = Signer(role_label(s.disahkan_oleh), None, meta)
    rows = [SettingRow(spec.label, setting_value_text(settings[name], spec.label))
            for name, spec in d.settings_used.items()]
    if coop is None:
        source = "Nilai bawaan prosedur; koperasi menetapkannya dalam AD/ART atau Peraturan Khusus."
    else:
        own = [name for name in d.settings_used if name in coop_settings]
        source = (f"Nilai setting {coop.name}" + ("" if len(own) == len(d.settings_used)
                                                  else "; yang belum ditetapkan memakai nilai bawaan") + ".")
    return SopView(
        id=d.id, anchor=f"sop-{d.id}", title=d.title, nomor=s.nomor, version=d.version,
        category=CATEGORY_LABELS.get(d.category, d.category.capitalize()), year=sop_date(loaded).year,
        tanggal_pembuatan=tanggal(s.tanggal_pembuatan),
        tanggal_revisi=tanggal(s.tanggal_revisi) if s.tanggal_revisi else "— (belum pernah direvisi)",
        tanggal_efektif=tanggal(s.tanggal_efektif), pengesahan=ratifier,
        dasar_hukum=list(s.dasar_hukum), kualifikasi_pelaksana=list(s.kualifikasi_pelaksana),
        keterkaitan=list(s.keterkaitan), peralatan=list(s.peralatan), peringatan=s.peringatan,
        pencatatan=list(s.pencatatan), summary=" ".join(d.summary.split()) if d.summary else None,
        settings=rows, settings_source=source, flow=build_flowchart(d, settings, tail=VERIFICATION_TAIL),
        legend=legend_svgs(),
    )


def midnight(day: date) -> datetime:
    """00:00 UTC of a date (the document time of dated data)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
