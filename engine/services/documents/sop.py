"""The printed SOP, generated from the same definition that drives the engine."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.adapters.render.common import CATEGORY_LABELS, Signer, setting_value_text
from engine.adapters.render.flowchart import VERIFICATION_TAIL, Flowchart, build_flowchart, legend_svgs
from engine.adapters.render.formatting import tanggal
from engine.adapters.store.models import Cooperative
from engine.domain.attendance import rule_for
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.definitions.model import MEMBER_REGISTER, Action, Definition, Effect
from engine.domain.definitions.phrase import phrase_guard, sentence
from engine.domain.roles import role_label
from engine.domain.values import resolved_settings
from engine.errors import GuardError, ValidationError
from engine.services.documents.lookups import signer_for

__all__ = ["ActionRules", "SopView", "action_rules", "sop_date", "sop_number", "sop_view"]

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
class ActionRules:
    """Every rule the engine applies to one action, in words (the SOP's "Ketentuan Pelaksanaan")."""

    steps: str
    state: str
    action: str
    who: str
    rules: list[str]


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
    rules: list[ActionRules]


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
    flow = build_flowchart(d, settings, tail=VERIFICATION_TAIL)
    return SopView(
        id=d.id, anchor=f"sop-{d.id}", title=d.title, nomor=s.nomor, version=d.version,
        category=CATEGORY_LABELS.get(d.category, d.category.capitalize()), year=sop_date(loaded).year,
        tanggal_pembuatan=tanggal(s.tanggal_pembuatan),
        tanggal_revisi=tanggal(s.tanggal_revisi) if s.tanggal_revisi else "— (belum pernah direvisi)",
        tanggal_efektif=tanggal(s.tanggal_efektif), pengesahan=ratifier,
        dasar_hukum=list(s.dasar_hukum), kualifikasi_pelaksana=list(s.kualifikasi_pelaksana),
        keterkaitan=list(s.keterkaitan), peralatan=list(s.peralatan), peringatan=s.peringatan,
        pencatatan=list(s.pencatatan), summary=" ".join(d.summary.split()) if d.summary else None,
        settings=rows, settings_source=source, flow=flow, legend=legend_svgs(),
        rules=action_rules(d, settings, {step.state: step.no for step in flow.steps}),
    )


_KIND_WORDS = {"submit": "mengajukan", "verify": "memverifikasi", "approve": "menyetujui", "reject": "menolak",
               "return": "mengembalikan untuk perbaikan", "cancel": "membatalkan"}


def _words(expression: str, d: Definition, settings: Mapping[str, Any], for_each: str | None = None) -> str:
    try:
        return phrase_guard(expression, d, settings, for_each)
    except GuardError:  # a definition that skipped `workflows check`: named, never printed as code
        return "syarat prosedur (lihat berkas prosedur)"


def _field_label(d: Definition, name: str) -> str:
    list_name, _, column = name.partition(".")
    spec = d.fields.get(list_name)
    if spec is None:
        return name
    if column and spec.columns and column in spec.columns:
        return f"{_plain(spec.columns[column].label)} dalam {_plain(spec.label)}"
    return _plain(spec.label)


def _plain(label: str) -> str:
    """A label without its unit ("Jumlah (Rp)" is "Jumlah"), as the guards' words name fields."""
    return label.removesuffix("(Rp)").strip()


_PLACEHOLDER = re.compile(r"{{\s*(.*?)\s*}}", re.S)
_ATTR_WORDS = {"nama": "nama {}", "username": "{}", "peran": "jabatan {}", "anggota": "status anggota {}",
               "anggota_sejak": "tanggal {} mulai menjadi anggota"}


def _message_words(message: str, d: Definition, settings: Mapping[str, Any], for_each: str | None) -> str:
    """A rule's message as printed in the SOP: each ``{{ value }}`` named in brackets ("[Calon]",
    "[nomor baris]"), a setting by its value, so no code reaches the page."""
    columns = (d.fields[for_each].columns or {}) if for_each and for_each in d.fields else {}

    def label(name: str) -> str | None:
        spec = columns.get(name) or d.fields.get(name)
        if spec is not None:
            return _plain(spec.label)
        return {"nomor": "nomor baris", "today": "hari ini", "actor": "yang mengambil langkah ini"}.get(name)

    def word(match: re.Match[str]) -> str:
        expression = match.group(1).split("|")[0].strip()
        name, _, attr = expression.partition(".")
        if name == "settings" and attr in d.settings_used:
            spec = d.settings_used[attr]
            return setting_value_text(settings.get(attr, spec.default), spec.label)
        base = label(name) if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else None
        if base is None:
            return "[jumlah]" if re.match(r"(count|sum|members_on|holders)\s*\(", expression) else "[nilai]"
        if attr:
            return f"[{_ATTR_WORDS[attr].format(base)}]" if attr in _ATTR_WORDS else "[nilai]"
        return f"[{base}]"

    return " ".join(_PLACEHOLDER.sub(word, message).split())


def _effect_words(d: Definition, effect: Effect) -> str:
    if effect.appoint is not None:
        a = effect.appoint
        until = "sampai kasus selesai" if a.until == "selesai" else f"sampai {_field_label(d, a.until)}"
        return (f"Saat aksi ini diambil, {_field_label(d, a.people)} diangkat sebagai {role_label(a.role)} "
                f"sejak hari itu {until}; tercatat di jejak persetujuan.")
    assert effect.install is not None
    i = effect.install
    end = f" sampai {_field_label(d, i.end)}" if i.end else " tanpa tanggal akhir"
    return (f"Saat aksi ini diambil, setiap baris {_field_label(d, i.rows)} menjadi masa jabatan: "
            f"{_field_label(d, f'{i.rows}.{i.person}')} memegang jabatan pada kolom "
            f"{_field_label(d, f'{i.rows}.{i.role}')} mulai {_field_label(d, i.start)}{end}. Pemegang jabatan itu "
            "sebelumnya berhenti sehari sebelumnya (serah terima pada satu tanggal); tercatat di jejak persetujuan.")


def _rules_of(d: Definition, action: Action, settings: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    if action.when:
        out.append(f"Hanya bila {_words(action.when, d, settings)}.")
    for rule in action.rules:
        check = _words(rule.check, d, settings, rule.for_each)
        scope = f"Setiap baris {_field_label(d, rule.for_each)}: " if rule.for_each else "Aturan: "
        message = _message_words(rule.message, d, settings, rule.for_each)
        out.append(f"{scope}{check}; bila tidak, ditolak dengan pesan “{message}”.")
    needed = list(action.requires)
    if action.kind == "submit" and d.initial_state in action.from_:
        needed += [n for n, f in d.fields.items() if f.required and n not in needed]
    if needed:
        out.append("Wajib terisi: " + ", ".join(_field_label(d, n) for n in needed) + ".")
    checks = d.required_checks(action)
    if checks:
        labels = {i.id: i.label for s in action.from_ if s in d.states for i in d.states[s].checklist}
        out.append("Wajib dicentang: " + "; ".join(labels.get(c, c) for c in checks) + ".")
    if action.requires_comment:
        out.append("Wajib disertai catatan (alasan).")
    if d.initial_state in action.from_:
        out.append("Selama kasus masih draf, hanya pembuat kasus yang dapat mengambil aksi ini.")
    if action.kind == "approve":
        out.append("Pemisahan tugas: pembuat kasus, yang mengajukan atau memverifikasinya, dan yang sudah "
                   "menyetujui lewat aksi lain tidak boleh menyetujui.")
    if action.not_by:
        names = ", ".join(f"“{_display(d, other)}”" for other in action.not_by)
        starts = {a.id for a in d.actions_from(d.initial_state) if a.kind == "submit"}
        maker = " (pembuat kasus dihitung sebagai pengaju)" if starts & set(action.not_by) else ""
        out.append(f"Pemisahan tugas: tidak boleh diambil oleh orang yang sudah mengambil {names} pada kasus "
                   f"ini{maker}.")
    if action.not_roles:
        out.append("Tidak boleh diambil oleh pemegang jabatan " + " atau ".join(role_label(r) for r in action.not_roles)
                   + " pada hari itu.")
    if action.quorum is not None:
        count = action.quorum.count
        needed_votes = settings.get(count, count) if isinstance(count, str) else count
        spec = d.settings_used.get(count) if isinstance(count, str) else None
        source = f" (setting: {spec.label})" if spec is not None else ""
        voters = " atau ".join(role_label(r) for r in ([action.quorum.role] if action.quorum.role else action.roles))
        out.append(f"Kuorum: diputuskan bila {needed_votes} {voters} yang berbeda memberi suara{source}; "
                   "satu orang satu suara.")
    if action.attendance is not None:
        block = action.attendance
        text = f"Daftar hadir {_field_label(d, block.field)} wajib terisi"
        try:
            quorum = rule_for(block, settings)
        except ValidationError:  # a setting of the wrong type: refused when the case runs
            quorum = None
        if quorum is not None:
            text += (f"; kuorum kehadiran {quorum.words} dari yang dapat hadir pada tanggal rapat"
                     if block.reached else f"; hanya bila kuorum kehadiran ({quorum.words}) tidak tercapai")
        listed = d.fields.get(block.field)
        if action.quorum is not None and listed is not None and listed.of != MEMBER_REGISTER:
            text += "; hanya yang tercatat hadir yang memberi suara"
        out.append(text + ".")
    out += [_effect_words(d, effect) for effect in action.effects]
    return out


def _display(d: Definition, action_id: str) -> str:
    return next((a.display for a in d.actions if a.id == action_id), action_id)


def action_rules(d: Definition, settings: Mapping[str, Any], step_of: Mapping[str, int]) -> list[ActionRules]:
    """Each action of ``d`` with every rule the engine applies to it, in words, in the order of the
    flowchart's steps (``step_of``: state id -> step number)."""
    out: list[ActionRules] = []
    def order(state_id: str) -> int:
        return step_of.get(state_id, 10_000)

    for state_id in sorted(d.states, key=order):
        for action in d.actions_from(state_id):
            if min(action.from_, key=order) != state_id:
                continue  # an action from several steps is listed once, at its first
            steps = sorted(step_of[s] for s in action.from_ if s in step_of)
            to = d.states.get(action.to)
            target = f" → {to.title}" if to is not None else ""
            out.append(ActionRules(
                steps=", ".join(str(n) for n in steps),
                state=f"{_KIND_WORDS.get(action.kind, action.kind).capitalize()}, dari {d.states[state_id].title}",
                action=f"{action.display}{target}",
                who=" atau ".join(role_label(r) for r in action.roles),
                rules=[sentence(r) for r in _rules_of(d, action, settings)]))
    return out


def midnight(day: date) -> datetime:
    """00:00 UTC of a date (the document time of dated data)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
