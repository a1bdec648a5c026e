"""Laporan Hasil Pengawasan (LHP): the pengawas' report on a cooperative over a period.

Three aspects (kelembagaan, usaha, keuangan) with the figures of the database, the audit findings of
the period in words and the pengawas' own notes (``pemeriksaan_berkala`` cases), a standard
recommendation per finding, and the status of every follow-up (``tindak_lanjut_temuan`` cases).
Cases are counted once each, under their status at the end of the period (see ``tally.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.render.formatting import rupiah, tanggal
from engine.adapters.store.db import as_utc
from engine.adapters.store.models import (
    Case,
    CaseEvent,
    Cooperative,
    DefinitionRecord,
    Member,
    Person,
    RoleAssignment,
)
from engine.audit.budget import approved_budget
from engine.audit.findings import Finding
from engine.audit.verify import verify_log
from engine.domain.definitions.model import Definition, WorkingDays
from engine.domain.roles import role_label
from engine.services.documents.audit_report import period_bounds
from engine.services.documents.tally import OUTCOMES, CaseStatus, case_statuses, in_words, word_map

__all__ = ["BASIS", "RECOMMENDATIONS", "LhpView", "lhp_number", "lhp_view"]

#: What the examination rests on (printed in the scope).
BASIS = (
    "Undang-Undang Nomor 25 Tahun 1992 tentang Perkoperasian, Pasal 38 sampai 40 (tugas dan wewenang pengawas)",
    "Peraturan Menteri Koperasi dan UKM Nomor 19 Tahun 2015 tentang Penyelenggaraan Rapat Anggota "
    "(laporan pengawas dalam aspek kelembagaan, usaha dan keuangan)",
    "Anggaran Dasar dan Anggaran Rumah Tangga koperasi, bab pengawas",
    "SOP koperasi yang berlaku dan Rencana Kerja serta RAPB yang disahkan Rapat Anggota",
)

#: The organs whose work the report covers.
ORGANS = "Pengurus, Pengelola (manajer) dan pelaksanaan SOP koperasi"

#: Seats listed under Kelembagaan, in order.
SEATS = ("ketua", "wakil_ketua_usaha", "wakil_ketua_anggota", "sekretaris", "bendahara", "manajer",
         "ketua_pengawas", "pengawas")

#: A term ending within this many days after the period counts as expiring.
EXPIRING_DAYS = 180

#: The standard recommendation per kind of finding.
RECOMMENDATIONS: dict[str, str] = {
    "peran": "Pastikan setiap keputusan diambil oleh pemegang jabatan yang sah pada hari itu; perbarui daftar "
             "pengurus dan masa jabatannya, lalu mintakan pengesahan ulang keputusan ini oleh pejabat yang berwenang.",
    "pemisahan_tugas": "Tegakkan pemisahan tugas: pembuat atau pemeriksa pengajuan tidak menyetujuinya sendiri. "
                       "Keputusan ini agar ditinjau ulang oleh pejabat lain yang berwenang.",
    "jenjang": "Ajukan ulang keputusan melalui jenjang persetujuan sesuai batas kewenangan dalam AD/ART dan "
               "setting koperasi.",
    "kuorum": "Lengkapi persetujuan sampai kuorum menurut AD/ART terpenuhi sebelum keputusan dilaksanakan; bila "
              "sudah terlanjur dilaksanakan, mintakan pengesahan rapat.",
    "tenggat": "Selesaikan setiap langkah dalam mutu baku waktu SOP; tunjuk pengganti (delegasi a.n.) bila pejabat "
               "berhalangan dan tindak lanjuti pengingat tenggat.",
    "rapb": "Hentikan pengeluaran di luar pos atau melebihi pagu RAPB yang disahkan; ajukan perubahan RAPB melalui "
            "rapat pengurus dan pengawas atau Rapat Anggota sesuai AD/ART.",
    "rapb_berubah": "Cocokkan kembali angka RAPB/RK yang berlaku dengan angka yang disetujui; perubahan apa pun "
                    "diajukan untuk disahkan ulang.",
    "macet": "Putuskan atau batalkan kasus yang berhenti; tunjuk penanggung jawab dan batas waktu penyelesaiannya.",
    "definisi_berubah": "Pastikan perubahan SOP di tengah tahun buku diputuskan sah melalui prosedur revisi SOP "
                        "dan diberitahukan kepada semua pelaksana.",
    "kunci_berubah": "Minta penjelasan tertulis operator atas pergantian kunci; cocokkan checkpoint lama yang "
                     "disimpan pengawas dengan log saat ini.",
}

_SEVERITY = {"tinggi": "Tinggi", "sedang": "Sedang", "rendah": "Rendah"}
_CATEGORIES = {"kelembagaan": "Kelembagaan", "usaha": "Usaha", "keuangan": "Keuangan", "pengawasan": "Pengawasan"}
_FOLLOWUP = "tindak_lanjut_temuan"
_EXAMINATION = "pemeriksaan_berkala"


def lhp_number(start: date, end: date) -> str:
    """``LHP-20261101-20261130``."""
    return f"LHP-{start:%Y%m%d}-{end:%Y%m%d}"


@dataclass(frozen=True)
class SeatRow:
    """One seat of an organ at the end of the period."""

    seat: str
    name: str
    term: str
    note: str


@dataclass(frozen=True)
class ProcedureRow:
    """One procedure run in the period: its cases, each counted once."""

    title: str
    cases: int
    done: int
    rejected: int
    returned: int
    running: int
    overdue: int


@dataclass(frozen=True)
class FieldGroup:
    """The procedures of one field (bidang)."""

    title: str
    rows: list[ProcedureRow]


@dataclass(frozen=True)
class SpendRow:
    """Pengeluaran kas on one RAPB line."""

    pos: str
    budget: str
    period: str
    year: str
    left: str
    over: bool


@dataclass(frozen=True)
class FollowUp:
    """A ``tindak_lanjut_temuan`` case at the end of the period."""

    number: str
    subject: str
    severity: str
    responsible: str
    due: str
    status: str
    closed: bool
    finding: int | None


@dataclass(frozen=True)
class FindingRow:
    """An audit finding of the period, in words, with its recommendation and follow-up."""

    no: int
    title: str
    severity: str
    case: str | None
    message: str
    recommendation: str
    follow_up: str


@dataclass(frozen=True)
class ExaminationNote:
    """The pengawas' own notes from one ``pemeriksaan_berkala`` case."""

    number: str
    period: str
    day: str
    scope: str
    cash: str
    stock: str
    compliance: str
    count: int
    findings: str
    due: str
    status: str
    follow_up: str


@dataclass
class LhpView:
    """Everything the LHP prints."""

    start: str
    end: str
    basis: tuple[str, ...]
    organs: str
    trail: str
    trail_ok: bool
    seats: list[SeatRow] = field(default_factory=list)
    seats_filled: int = 0
    seats_total: int = 0
    expiring: int = 0
    members: str = ""
    rat: str = ""
    meetings: list[str] = field(default_factory=list)
    groups: list[FieldGroup] = field(default_factory=list)
    cases_total: int = 0
    overdue_total: int = 0
    budget_year: int = 0
    budget_known: bool = False
    spending: list[SpendRow] = field(default_factory=list)
    spending_total: str = ""
    spending_cases: int = 0
    spending_open: str = ""
    deposits: list[tuple[str, str]] = field(default_factory=list)
    loans: list[tuple[str, str]] = field(default_factory=list)
    findings: list[FindingRow] = field(default_factory=list)
    notes: list[ExaminationNote] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: object, default: str = "—") -> str:
    return str(value).strip() if value not in (None, "") else default


def _day(value: object) -> str:
    if isinstance(value, date):
        return tanggal(value)
    if isinstance(value, str) and value:
        try:
            return tanggal(date.fromisoformat(value[:10]))
        except ValueError:
            return value
    return "—"


def _status_label(d: Definition | None, state: str) -> str:
    spec = d.states.get(state) if d is not None else None
    return (spec.status_label or spec.title) if spec is not None else state.replace("_", " ")


def lhp_view(session: Session, coop: Cooperative, start: date, end: date, tz: ZoneInfo, *,
             definition: Callable[[DefinitionRecord], Definition], findings: list[Finding],
             now: datetime, calendar: WorkingDays | None) -> LhpView:
    """Build the LHP of ``coop`` over the local days ``start`` .. ``end``."""
    low, high = period_bounds(start, end, tz)
    report = verify_log(session, coop)
    trail = (f"Jejak persetujuan Tatakelola: {report.size} catatan, utuh (diperiksa ulang saat laporan dibuat)."
             if report.ok else f"Jejak persetujuan Tatakelola TIDAK utuh: {report.first}.")
    view = LhpView(tanggal(start), tanggal(end), BASIS, ORGANS, trail, report.ok)
    records = {r.id: r for r in session.scalars(select(DefinitionRecord))}
    defs: dict[int, Definition] = {}

    def of(record_id: int) -> Definition | None:
        if record_id not in records:
            return None
        if record_id not in defs:
            defs[record_id] = definition(records[record_id])
        return defs[record_id]

    statuses = case_statuses(session, coop.id, low, high, of)
    _kelembagaan(session, coop, view, start, end, low, high, statuses, records, of)
    reference = min(now, high)
    _usaha(view, statuses, records, of, tz, calendar, reference)
    _keuangan(session, coop, view, end, high, tz, statuses, records, of)
    follow_ups = _follow_ups(session, coop, low, high, records, of)
    _findings(session, coop, view, findings, follow_ups, records, of)
    view.notes = [_note(s, of(s.definition_id)) for s in statuses if records[s.definition_id].workflow_id
                  == _EXAMINATION]
    return view


def _kelembagaan(session: Session, coop: Cooperative, view: LhpView, start: date, end: date, low: datetime,
                 high: datetime, statuses: list[CaseStatus], records: Mapping[int, DefinitionRecord],
                 of: Callable[[int], Definition | None]) -> None:
    rows = session.execute(
        select(RoleAssignment, Person.full_name).join(Person, Person.id == RoleAssignment.person_id)
        .where(RoleAssignment.coop_id == coop.id, RoleAssignment.starts_on <= end)
        .order_by(RoleAssignment.starts_on, RoleAssignment.id)).all()
    current = [(r, name) for r, name in rows if r.ends_on is None or r.ends_on >= end]
    horizon = end + timedelta(days=EXPIRING_DAYS)
    for seat in SEATS:
        held = [(r, name) for r, name in current if r.role == seat]
        view.seats_total += 1
        if not held:
            view.seats.append(SeatRow(role_label(seat), "—", "—", "Kosong"))
            continue
        view.seats_filled += 1
        for r, name in held:
            term = (f"{tanggal(r.starts_on)} s.d. {tanggal(r.ends_on)}" if r.ends_on
                    else f"sejak {tanggal(r.starts_on)}")
            note = r.note or ""
            if r.ends_on is not None and r.ends_on <= horizon:
                view.expiring += 1
                note = f"Masa jabatan berakhir {tanggal(r.ends_on)}" + (f"; {note}" if note else "")
            view.seats.append(SeatRow(role_label(seat), name, term, note))
    register = session.execute(select(Member.joined_on, Member.left_on).where(Member.coop_id == coop.id)).all()
    if register:
        members = sum(1 for joined, left in register if joined <= end and (left is None or left > end))
        joined = sum(1 for day, _ in register if start <= day <= end)
        left = sum(1 for _, day in register if day is not None and start <= day <= end)
        view.members = (f"Buku Daftar Anggota: {members} anggota pada akhir periode ({joined} masuk dan {left} "
                        "keluar dalam periode).")
    else:
        view.members = "Buku Daftar Anggota belum diisi di Tatakelola."
    rats = [c for c in session.scalars(select(Case).where(Case.coop_id == coop.id, Case.created_at < high)
                                       .order_by(Case.created_at))
            if records[c.definition_id].workflow_id == "rat"]
    if rats:
        latest = rats[-1]
        state = _state_at(session, latest, high)
        year = latest.data.get("tahun_buku")
        view.rat = (f"RAT tahun buku {_text(year)}: tanggal {_day(latest.data.get('tanggal_rat'))}, "
                    f"{_status_label(of(latest.definition_id), state).lower()} ({latest.number}).")
    else:
        view.rat = "Belum ada RAT yang tercatat di Tatakelola sampai akhir periode."
    meetings: dict[str, int] = {}
    for s in statuses:
        wf = records[s.definition_id].workflow_id
        day = s.data.get("tanggal_rapat") if wf == "keputusan_rapat_pengurus" else (
            s.data.get("tanggal_rapat_anggota") if wf in ("rk_rapb", "pinjaman_bank_himbara") else
            s.data.get("tanggal_rat") if wf == "rat" else None)
        if isinstance(day, str) and start.isoformat() <= day[:10] <= end.isoformat():
            kind = "Rapat pengurus" if wf == "keputusan_rapat_pengurus" else "Rapat Anggota"
            meetings[kind] = meetings.get(kind, 0) + 1
    view.meetings = [f"{kind}: {n} kali" for kind, n in sorted(meetings.items())] or [
        "tidak ada rapat yang tercatat"]


def _state_at(session: Session, case: Case, high: datetime) -> str:
    last = session.scalars(select(CaseEvent.to_state).where(CaseEvent.case_id == case.id, CaseEvent.at < high)
                           .order_by(CaseEvent.seq.desc()).limit(1)).first()
    return last or case.state


def _overdue(s: CaseStatus, d: Definition | None, tz: ZoneInfo, calendar: WorkingDays | None,
             reference: datetime) -> bool:
    if s.outcome not in ("berjalan", "dikembalikan") or d is None:
        return False
    spec = d.states.get(s.state)
    due = spec.deadline.due(s.entered, tz, calendar, s.data) if spec and spec.deadline else None
    return due is not None and due < reference


def _usaha(view: LhpView, statuses: list[CaseStatus], records: Mapping[int, DefinitionRecord],
           of: Callable[[int], Definition | None], tz: ZoneInfo, calendar: WorkingDays | None,
           reference: datetime) -> None:
    per: dict[str, dict[str, list[CaseStatus]]] = {}
    titles: dict[str, str] = {}
    for s in statuses:
        d = of(s.definition_id)
        wf = records[s.definition_id].workflow_id
        titles[wf] = d.title if d is not None else records[s.definition_id].title
        category: str = d.category if d is not None else "kelembagaan"
        per.setdefault(category, {}).setdefault(wf, []).append(s)
    for category, label in _CATEGORIES.items():
        rows = []
        for wf, items in sorted(per.get(category, {}).items(), key=lambda kv: titles[kv[0]]):
            count = {o: sum(1 for s in items if s.outcome == o) for o in OUTCOMES}
            late = sum(1 for s in items if _overdue(s, of(s.definition_id), tz, calendar, reference))
            rows.append(ProcedureRow(titles[wf], len(items), count["selesai"], count["ditolak"],
                                     count["dikembalikan"], count["berjalan"], late))
            view.cases_total += len(items)
            view.overdue_total += late
        if rows:
            view.groups.append(FieldGroup(label, rows))


def _keuangan(session: Session, coop: Cooperative, view: LhpView, end: date, high: datetime, tz: ZoneInfo,
              statuses: list[CaseStatus], records: Mapping[int, DefinitionRecord],
              of: Callable[[int], Definition | None]) -> None:
    def workflow(s: CaseStatus) -> str:
        return records[s.definition_id].workflow_id

    year = end.year
    view.budget_year = year
    budget = approved_budget(session, coop, year)
    view.budget_known = budget is not None
    year_spent: dict[str, int] = {}
    kas_ids = [r.id for r in records.values() if r.workflow_id == "pengeluaran_kas"]
    if kas_ids:
        for case in session.scalars(select(Case).where(Case.coop_id == coop.id, Case.definition_id.in_(kas_ids),
                                                       Case.closed_at.is_not(None), Case.closed_at < high)):
            closed = as_utc(case.closed_at) if case.closed_at else None
            d = of(case.definition_id)
            spec = d.states.get(case.state) if d is not None else None
            refused = case.state in ("ditolak", "dibatalkan") or (
                spec is not None and (spec.status_label or "").lower().startswith(("ditolak", "dibatalkan")))
            if closed is None or refused or closed.astimezone(tz).year != year:
                continue
            pos = _text(case.data.get("pos_rapb"))
            year_spent[pos] = year_spent.get(pos, 0) + _int(case.data.get("jumlah"))
    spent = [s for s in statuses if workflow(s) == "pengeluaran_kas" and s.outcome == "selesai"]
    period: dict[str, int] = {}
    for s in spent:
        pos = _text(s.data.get("pos_rapb"))
        period[pos] = period.get(pos, 0) + _int(s.data.get("jumlah"))
    for pos in sorted(set(period) | set(budget or {})):
        planned = (budget or {}).get(pos)
        used = year_spent.get(pos, 0)
        view.spending.append(SpendRow(
            pos, rupiah(planned) if planned is not None else ("tidak ada di RAPB" if budget is not None else "—"),
            rupiah(period.get(pos, 0)),
            rupiah(used), rupiah(planned - used) if planned is not None else "—",
            (budget is not None and planned is None) or (planned is not None and used > planned)))
    view.spending_total = rupiah(sum(period.values()))
    view.spending_cases = len(spent)
    waiting = [s for s in statuses if workflow(s) == "pengeluaran_kas" and s.outcome in ("berjalan", "dikembalikan")]
    view.spending_open = (f"{len(waiting)} pengajuan senilai {rupiah(sum(_int(s.data.get('jumlah')) for s in waiting))}"
                          " masih dalam proses pada akhir periode." if waiting else
                          "Tidak ada pengajuan yang masih dalam proses pada akhir periode.")
    deposits = [s for s in statuses if workflow(s) == "setoran_kas_harian"]
    sales = sum(_int(s.data.get("penjualan_tunai")) for s in deposits)
    handed = sum(_int(s.data.get("uang_disetor")) for s in deposits)
    short = [s for s in deposits if _int(s.data.get("uang_disetor")) != _int(s.data.get("penjualan_tunai"))]
    view.deposits = [
        ("Setoran kas harian dalam periode", f"{len(deposits)} hari kas "
                                            f"({sum(1 for s in deposits if s.outcome == 'selesai')} selesai)"),
        ("Penjualan tunai menurut rekap", rupiah(sales)),
        ("Uang tunai diserahkan kepada bendahara", rupiah(handed)),
        ("Selisih (diserahkan dikurangi penjualan)", f"{rupiah(handed - sales)} pada {len(short)} hari kas"),
    ]
    members = [s for s in statuses if workflow(s) == "pinjaman_anggota"]
    bank = [s for s in statuses if workflow(s) == "pinjaman_bank_himbara"]
    view.loans = [
        ("Pinjaman anggota diajukan/diproses", f"{len(members)} kasus, dimohon "
                                              f"{rupiah(sum(_int(s.data.get('jumlah_pinjaman')) for s in members))}"),
        ("Pinjaman anggota dicairkan", rupiah(sum(_int(s.data.get("jumlah_dicairkan")) for s in members))),
        ("Pinjaman anggota ditolak", f"{sum(1 for s in members if s.outcome == 'ditolak')} kasus"),
        ("Pinjaman bank Himbara", f"{len(bank)} kasus, diajukan "
                                  f"{rupiah(sum(_int(s.data.get('jumlah_pinjaman')) for s in bank))}"),
    ]


def _follow_ups(session: Session, coop: Cooperative, low: datetime, high: datetime,
                records: Mapping[int, DefinitionRecord], of: Callable[[int], Definition | None]
                ) -> list[tuple[FollowUp, str | None]]:
    ids = [r.id for r in records.values() if r.workflow_id == _FOLLOWUP]
    if not ids:
        return []
    out = []
    for case in session.scalars(select(Case).where(Case.coop_id == coop.id, Case.definition_id.in_(ids),
                                                   Case.created_at < high).order_by(Case.number)):
        if case.closed_at is not None and as_utc(case.closed_at) < low:
            continue  # settled before the period
        d = of(case.definition_id)
        state = _state_at(session, case, high)
        spec = d.states.get(state) if d is not None else None
        closed = bool(spec and spec.final)
        who = _text(case.data.get("pihak_bertanggung_jawab"), "")
        if not who and d is not None and not closed:
            roles = sorted({r for a in d.actions if state in a.from_ for r in a.roles})
            who = ", ".join(role_label(r) for r in roles) or "—"
        subject = _text(case.data.get("aturan"))
        out.append((FollowUp(case.number, subject, _SEVERITY.get(str(case.data.get("tingkat")), "—"), who or "—",
                             _day(case.data.get("batas_waktu")), _status_label(d, state), closed, None),
                    case.data.get("id_temuan") if isinstance(case.data.get("id_temuan"), str) else None))
    return out


def _findings(session: Session, coop: Cooperative, view: LhpView, findings: list[Finding],
              follow_ups: list[tuple[FollowUp, str | None]], records: Mapping[int, DefinitionRecord],
              of: Callable[[int], Definition | None]) -> None:
    numbers = {f.case for f in findings if f.case}
    case_defs = dict(session.execute(select(Case.number, Case.definition_id).where(
        Case.coop_id == coop.id, Case.number.in_(numbers))).all()) if numbers else {}
    everything = word_map(d for d in (of(r) for r in sorted(records, reverse=True)) if d is not None)
    by_finding = {fid: item for item, fid in follow_ups if fid}
    linked: dict[str, int] = {}
    for no, f in enumerate(findings, start=1):
        d = of(case_defs[f.case]) if f.case in case_defs else None
        words = {**everything, **word_map([d])} if d is not None else everything
        item = by_finding.get(f.id)
        if item is not None:
            linked[item.number] = no
            state = "selesai" if item.closed else "terbuka"
            follow = f"{item.number}: {item.status} ({state}); batas waktu {item.due}; {item.responsible}"
        else:
            follow = "Belum ada tindak lanjut tercatat."
        view.findings.append(FindingRow(no, f.title, _SEVERITY[f.severity], f.case, in_words(f.message, words),
                                        RECOMMENDATIONS.get(f.rule, "Tindak lanjuti sesuai AD/ART dan SOP."),
                                        follow))
    view.follow_ups = [FollowUp(i.number, i.subject, i.severity, i.responsible, i.due, i.status, i.closed,
                                linked.get(i.number)) for i, _ in follow_ups]


def _note(s: CaseStatus, d: Definition | None) -> ExaminationNote:
    data = s.data
    cash = _int(data.get("saldo_kas_fisik")) - _int(data.get("saldo_kas_buku"))
    stock = _int(data.get("nilai_stok_fisik")) - _int(data.get("nilai_stok_buku"))
    open_count = data.get("jumlah_temuan_terbuka")
    follow = _text(data.get("uraian_tindak_lanjut"), "Belum dilaporkan pengurus.")
    if isinstance(open_count, int):
        follow += f" Temuan yang belum tuntas: {open_count}."
    return ExaminationNote(
        s.number, _text(data.get("periode")), _day(data.get("tanggal_pemeriksaan")), _text(data.get("ruang_lingkup")),
        f"buku {rupiah(_int(data.get('saldo_kas_buku')))}, fisik {rupiah(_int(data.get('saldo_kas_fisik')))}, "
        f"selisih {rupiah(cash)}",
        f"buku {rupiah(_int(data.get('nilai_stok_buku')))}, fisik {rupiah(_int(data.get('nilai_stok_fisik')))}, "
        f"selisih {rupiah(stock)}",
        _text(data.get("hasil_kepatuhan")), _int(data.get("jumlah_temuan")),
        _text(data.get("temuan_dan_rekomendasi"), "Tidak ada temuan."), _day(data.get("batas_tindak_lanjut")),
        _status_label(d, s.state), follow)
