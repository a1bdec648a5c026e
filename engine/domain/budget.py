"""RAPB and Rencana Kerja as data: line items, totals, Δ%, rencana SHU and its distribution.

Sections of the RAPB (as printed): A pendapatan per unit usaha; B1 biaya unit usaha, B2 biaya
organisasi, B3 biaya bunga, B4 pajak; C rencana SHU (A − B), split into the part from members and
the part from non-members; D pembagian SHU: the member part split by the percentages of the AD
(setting ``pembagian_shu``, which must sum to 100), the non-member part to the dana cadangan
(UU 25/1992 Pasal 45; SHU from non-members is not shared); E investasi (stored section ``E``)
and its sumber dana (stored ``F``); F rencana permodalan (stored ``M``, grouped by jenis modal);
G proyeksi arus kas bulanan (stored ``GS`` saldo awal, ``GM`` kas masuk and ``GK`` kas keluar, one
line per item and month, the month "01".."12" in the unit column, the amount in Rencana).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from engine.domain.budget_checks import CASH_SECTIONS, line_problems
from engine.errors import FieldProblem, ValidationError

__all__ = [
    "BIDANG",
    "CASH_SECTIONS",
    "DEFAULT_PEMBAGIAN_SHU",
    "MONTHS",
    "SECTIONS",
    "BudgetData",
    "BudgetView",
    "CashRow",
    "CashView",
    "Line",
    "PlanItem",
    "ShuShare",
    "ShuSplit",
    "Totals",
    "budget_view",
    "cash_view",
    "delta_percent",
    "distribute",
    "is_non_member",
    "share_label",
    "shu_shares",
    "shu_split",
]

SECTIONS: dict[str, str] = {
    "A": "Pendapatan",
    "B1": "Biaya unit usaha",
    "B2": "Biaya organisasi",
    "B3": "Biaya bunga",
    "B4": "Pajak",
    "E": "Investasi",
    "F": "Sumber dana",
    "M": "Rencana permodalan",
    "GS": "Saldo awal kas",
    "GM": "Kas masuk",
    "GK": "Kas keluar",
}
#: Month abbreviations of the cash projection, January first.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
_NON_MEMBER = re.compile(r"\b(?:bukan|non)[\s-]*anggota\b", re.IGNORECASE)
COST_SECTIONS = ("B1", "B2", "B3", "B4")

BIDANG: dict[str, str] = {
    "organisasi": "Organisasi dan Kelembagaan",
    "usaha": "Usaha",
    "keuangan": "Keuangan dan Permodalan",
}

#: Documented default split of the SHU (percent); a cooperative sets its own in ``pembagian_shu``.
DEFAULT_PEMBAGIAN_SHU: dict[str, int] = {
    "cadangan": 30,
    "jasa_usaha": 25,
    "jasa_modal": 15,
    "dana_pengurus_pengawas": 10,
    "dana_karyawan": 5,
    "dana_pendidikan": 5,
    "dana_sosial": 5,
    "dana_pembangunan_daerah_kerja": 5,
}

_SHARE_LABELS = {
    "cadangan": "Dana cadangan",
    "jasa_usaha": "Jasa usaha (jasa transaksi anggota)",
    "jasa_anggota": "Jasa anggota",
    "jasa_transaksi": "Jasa transaksi anggota",
    "jasa_modal": "Jasa modal (jasa simpanan anggota)",
    "jasa_simpanan": "Jasa simpanan anggota",
    "dana_pengurus_pengawas": "Dana pengurus dan pengawas",
    "pengurus_pengawas": "Dana pengurus dan pengawas",
    "pengurus": "Dana pengurus",
    "pengawas": "Dana pengawas",
    "dana_karyawan": "Dana karyawan",
    "karyawan": "Dana karyawan",
    "dana_pendidikan": "Dana pendidikan",
    "pendidikan": "Dana pendidikan",
    "dana_sosial": "Dana sosial",
    "sosial": "Dana sosial",
    "dana_pembangunan_daerah_kerja": "Dana pembangunan daerah kerja",
    "pembangunan_daerah_kerja": "Dana pembangunan daerah kerja",
}


@dataclass(frozen=True)
class Line:
    """One RAPB line item (amounts in whole rupiah; None = not filled)."""

    section: str
    unit: str | None
    uraian: str
    realisasi: int | None
    anggaran: int | None
    rencana: int | None
    keterangan: str | None = None

    @property
    def delta(self) -> Decimal | None:
        """Δ% of the plan against the current year's budget."""
        return delta_percent(self.anggaran, self.rencana)


@dataclass(frozen=True)
class PlanItem:
    """One Rencana Kerja activity."""

    bidang: str
    program: str
    kegiatan: str
    target: str | None = None
    waktu: str | None = None
    penanggung_jawab: str | None = None


@dataclass(frozen=True)
class BudgetData:
    """The RAPB lines and Rencana Kerja items of one cooperative and year."""

    year: int
    lines: tuple[Line, ...] = ()
    plan: tuple[PlanItem, ...] = ()

    def section(self, code: str) -> list[Line]:
        """Lines of one section, in order."""
        return [line for line in self.lines if line.section == code]

    @property
    def sha256(self) -> str:
        """The content's fingerprint: what an approval binds and what a printed RAPB/RK is checked against.

        Canonical JSON (sorted keys, no spaces, UTF-8) of the year, every line and every activity.
        """
        payload = {"year": self.year, "lines": [asdict(x) for x in self.lines], "plan": [asdict(x) for x in self.plan]}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def delta_percent(base: int | None, plan: int | None) -> Decimal | None:
    """(plan − base) / base × 100, one decimal; None when there is no base."""
    if not base or plan is None:
        return None
    return (Decimal(plan - base) * 100 / Decimal(base)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    """Sums of the three amount columns."""

    realisasi: int = 0
    anggaran: int = 0
    rencana: int = 0

    @classmethod
    def of(cls, lines: Iterable[Line]) -> Totals:
        """Sum of lines (empty cells count as zero)."""
        items = list(lines)
        return cls(sum(x.realisasi or 0 for x in items), sum(x.anggaran or 0 for x in items),
                   sum(x.rencana or 0 for x in items))

    def __sub__(self, other: Totals) -> Totals:
        return Totals(self.realisasi - other.realisasi, self.anggaran - other.anggaran, self.rencana - other.rencana)

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.realisasi + other.realisasi, self.anggaran + other.anggaran, self.rencana + other.rencana)

    @property
    def delta(self) -> Decimal | None:
        """Δ% of the plan against the current year's budget."""
        return delta_percent(self.anggaran, self.rencana)


@dataclass(frozen=True)
class ShuShare:
    """One part of the SHU distribution."""

    key: str
    label: str
    percent: Decimal
    amount: int = 0


def share_label(key: str) -> str:
    """The words for a key of ``pembagian_shu`` (``jasa_usaha`` -> "Jasa usaha (jasa transaksi anggota)")."""
    return _SHARE_LABELS.get(key, key.replace("_", " ").capitalize())


def shu_shares(settings: Mapping[str, Any]) -> list[ShuShare]:
    """The SHU split from the cooperative's ``pembagian_shu`` setting (default documented above).

    Raises:
        ValidationError: When a percentage is not a number or they do not sum to 100.
    """
    raw = settings.get("pembagian_shu", DEFAULT_PEMBAGIAN_SHU)
    if not isinstance(raw, Mapping) or not raw:
        raise ValidationError([FieldProblem("pembagian_shu", "harus berupa daftar bagian dan persentasenya")],
                              headline="Setting pembagian SHU koperasi tidak sah:")
    shares: list[ShuShare] = []
    problems: list[FieldProblem] = []
    for key, value in raw.items():
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            percent = Decimal(str(value))
        except (InvalidOperation, ValueError):
            problems.append(FieldProblem(f"pembagian_shu.{key}", f"'{value}' bukan persentase"))
            continue
        if percent < 0:
            problems.append(FieldProblem(f"pembagian_shu.{key}", "persentase tidak boleh negatif"))
        shares.append(ShuShare(str(key), share_label(str(key)), percent))
    total = sum((s.percent for s in shares), Decimal(0))
    if not problems and total != 100:
        problems.append(FieldProblem("pembagian_shu", f"jumlah persentase {total.normalize():f}%, harus 100%"))
    if problems:
        raise ValidationError(problems, headline="Setting pembagian SHU koperasi tidak sah:")
    return shares


def distribute(amount: int, shares: Sequence[ShuShare]) -> list[ShuShare]:
    """Split ``amount`` by the shares in whole rupiah; the rounding remainder goes to the first share."""
    if amount <= 0:
        return [ShuShare(s.key, s.label, s.percent, 0) for s in shares]
    parts = [int((Decimal(amount) * s.percent / 100).to_integral_value(rounding="ROUND_FLOOR")) for s in shares]
    if parts:
        parts[0] += amount - sum(parts)
    return [ShuShare(s.key, s.label, s.percent, part) for s, part in zip(shares, parts, strict=True)]


@dataclass(frozen=True)
class Group:
    """Lines of one business unit (or of a section without units), with their subtotal."""

    unit: str | None
    lines: list[Line]
    total: Totals


@dataclass(frozen=True)
class SectionView:
    """A printed section: code, title, groups and total."""

    code: str
    title: str
    groups: list[Group]
    total: Totals

    @property
    def empty(self) -> bool:
        """True when the section has no lines."""
        return not any(g.lines for g in self.groups)


def is_non_member(line: Line) -> bool:
    """True for an income line from non-members: its Uraian says "bukan anggota" or "non-anggota"."""
    return line.section == "A" and bool(_NON_MEMBER.search(line.uraian))


@dataclass(frozen=True)
class ShuSplit:
    """The planned SHU (Rencana column) split into the part from members and the part from non-members.

    The non-member part is the SHU in proportion to income from non-members:
    ``round(shu × pendapatan bukan anggota ÷ jumlah pendapatan)`` (half up, whole rupiah); the member
    part is the rest. Only the member part is shared out by ``pembagian_shu``; the non-member part
    goes to the dana cadangan.
    """

    total: int
    pendapatan: int
    pendapatan_bukan_anggota: int
    bukan_anggota: int
    non_member_lines: tuple[Line, ...] = ()

    @property
    def anggota(self) -> int:
        """SHU from transactions with members (what ``pembagian_shu`` splits)."""
        return self.total - self.bukan_anggota


def shu_split(data: BudgetData) -> ShuSplit:
    """Split the planned SHU (A − B, Rencana column) into the member and the non-member part."""
    income = data.section("A")
    costs = [line for code in COST_SECTIONS for line in data.section(code)]
    total = Totals.of(income).rencana - Totals.of(costs).rencana
    pendapatan = Totals.of(income).rencana
    tagged = tuple(line for line in income if is_non_member(line))
    from_non_members = Totals.of(tagged).rencana
    part = 0
    if total > 0 and pendapatan > 0:
        part = int((Decimal(total) * from_non_members / pendapatan).to_integral_value(rounding=ROUND_HALF_UP))
    return ShuSplit(total, pendapatan, from_non_members, part, tagged)


@dataclass(frozen=True)
class CashRow:
    """One item of the cash projection: its amount per month (12) and the year's sum."""

    uraian: str
    months: tuple[int, ...]
    keterangan: str | None = None

    @property
    def total(self) -> int:
        """The year's sum."""
        return sum(self.months)


@dataclass(frozen=True)
class CashView:
    """G. The monthly cash projection: opening balance, receipts, payments, closing balance per month."""

    opening: int
    masuk: list[CashRow]
    keluar: list[CashRow]

    @property
    def empty(self) -> bool:
        """True when nothing was projected."""
        return not self.masuk and not self.keluar

    @property
    def masuk_total(self) -> list[int]:
        """Receipts per month."""
        return [sum(r.months[m] for r in self.masuk) for m in range(12)]

    @property
    def keluar_total(self) -> list[int]:
        """Payments per month."""
        return [sum(r.months[m] for r in self.keluar) for m in range(12)]

    @property
    def net(self) -> list[int]:
        """Receipts minus payments per month."""
        return [a - b for a, b in zip(self.masuk_total, self.keluar_total, strict=True)]

    @property
    def opening_by_month(self) -> list[int]:
        """The balance at the start of each month."""
        out = [self.opening]
        for change in self.net[:-1]:
            out.append(out[-1] + change)
        return out

    @property
    def closing(self) -> list[int]:
        """The balance at the end of each month."""
        return [a + n for a, n in zip(self.opening_by_month, self.net, strict=True)]

    @property
    def short_months(self) -> list[str]:
        """Months whose closing balance is negative (the plan needs more funding there)."""
        return [MONTHS[m] for m, value in enumerate(self.closing) if value < 0]


def _cash_rows(lines: Sequence[Line]) -> list[CashRow]:
    items: dict[str, list[int]] = {}
    notes: dict[str, str | None] = {}
    for line in lines:
        month = int(line.unit or "1")
        months = items.setdefault(line.uraian, [0] * 12)
        if 1 <= month <= 12:
            months[month - 1] += line.rencana or 0
        if line.keterangan and not notes.get(line.uraian):
            notes[line.uraian] = line.keterangan
    return [CashRow(uraian, tuple(months), notes.get(uraian)) for uraian, months in items.items()]


def cash_view(data: BudgetData) -> CashView:
    """The monthly cash projection (G) from the ``GS``/``GM``/``GK`` lines."""
    opening = sum(line.rencana or 0 for line in data.section("GS"))
    return CashView(opening, _cash_rows(data.section("GM")), _cash_rows(data.section("GK")))


@dataclass(frozen=True)
class BudgetView:
    """Everything the RAPB template prints, computed once."""

    year: int
    pendapatan: SectionView
    biaya: list[SectionView]
    total_biaya: Totals
    shu: Totals
    split: ShuSplit
    shares: list[ShuShare]
    investasi: SectionView
    sumber: SectionView
    permodalan: SectionView
    cash: CashView
    problems: list[str] = field(default_factory=list)
    plan: dict[str, list[PlanItem]] = field(default_factory=dict)

    @property
    def funding_gap(self) -> int:
        """Planned sources of funds minus planned investment (0 = balanced)."""
        return self.sumber.total.rencana - self.investasi.total.rencana

    @property
    def cadangan_total(self) -> int:
        """All of the planned SHU that goes to the dana cadangan: its share of the member part + the non-member part."""
        from_members = sum(s.amount for s in self.shares if s.key == "cadangan")
        return from_members + self.split.bukan_anggota

    @property
    def line_count(self) -> int:
        """Number of printed RAPB line items in sections A, B, E and F (the cash projection's rows not counted)."""
        sections = [self.pendapatan, *self.biaya, self.investasi, self.sumber, self.permodalan]
        return sum(len(g.lines) for s in sections for g in s.groups)


def _section(code: str, lines: Sequence[Line], *, by_unit: bool) -> SectionView:
    groups: list[Group] = []
    if by_unit:
        order: dict[str, list[Line]] = {}
        for line in lines:
            order.setdefault(line.unit or "Lain-lain", []).append(line)
        groups = [Group(unit, items, Totals.of(items)) for unit, items in order.items()]
    elif lines:
        groups = [Group(None, list(lines), Totals.of(lines))]
    return SectionView(code, SECTIONS[code], groups, Totals.of(lines))


_COLUMN_WORDS = {"realisasi": "Realisasi", "anggaran": "Anggaran", "rencana": "Rencana", "keterangan": "Keterangan"}


def budget_view(data: BudgetData, settings: Mapping[str, Any]) -> BudgetView:
    """Compute the RAPB: sections, totals, SHU = pendapatan − biaya, its member/non-member split and distribution.

    ``problems`` lists every figure that contradicts the rule its Keterangan states (``budget_checks``);
    the import refuses such a workbook, so this is only non-empty for data stored before the check.
    """
    shares = shu_shares(settings)
    pendapatan = _section("A", data.section("A"), by_unit=True)
    biaya = [_section(code, data.section(code), by_unit=code == "B1") for code in COST_SECTIONS]
    total_biaya = Totals.of(line for code in COST_SECTIONS for line in data.section(code))
    shu = pendapatan.total - total_biaya
    split = shu_split(data)
    plan: dict[str, list[PlanItem]] = {key: [] for key in BIDANG}
    for item in data.plan:
        plan.setdefault(item.bidang, []).append(item)
    problems = [f"{data.lines[p.index].uraian} ({_COLUMN_WORDS[p.column]}): {p.message}"
                for p in line_problems(data.lines)]
    return BudgetView(
        year=data.year, pendapatan=pendapatan, biaya=biaya, total_biaya=total_biaya, shu=shu, split=split,
        shares=distribute(split.anggota, shares), investasi=_section("E", data.section("E"), by_unit=False),
        sumber=_section("F", data.section("F"), by_unit=False),
        permodalan=_section("M", data.section("M"), by_unit=True), cash=cash_view(data), problems=problems,
        plan=plan,
    )
