"""Static checks of workflow definitions beyond the schema.

Every finding is a located Problem, so an editor or CI log points at the exact line.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime

from engine.domain.definitions.expr import FUNCTIONS, GuardError, guard_names
from engine.domain.definitions.loader import LoadedDefinition
from engine.domain.definitions.model import FORWARD_KINDS, MEMBER_REGISTER, Action, Definition, Effect
from engine.domain.definitions.phrase import phrase_guard
from engine.domain.roles import CATALOGUE, ROLES, declared_role_conflicts, expand_roles, role_of
from engine.errors import Problem

__all__ = ["SOP_NUMBER", "cited_sop_number", "lint_definition", "lint_many", "lint_references"]

#: The shape of an SOP number in the library (SOP-KEU-03, SOP-KEL-10, SOP-USH-06, SOP-KEL-07A).
SOP_NUMBER = re.compile(r"SOP-[A-Z]{2,5}-[0-9]{1,3}[A-Z]?")


def lint_definition(loaded: LoadedDefinition) -> list[Problem]:
    """Return every finding for one definition (empty when clean)."""
    d = loaded.as_written
    out: list[Problem] = []
    p = loaded.problem

    for i, role in enumerate(d.roles):
        if role not in ROLES:
            out.append(p(f"peran '{role}' tidak dikenal (dikenal: {', '.join(sorted(ROLES))})", "roles", i))
    if d.sop.disahkan_oleh not in ROLES:
        out.append(p(f"peran '{d.sop.disahkan_oleh}' tidak dikenal", "sop", "disahkan_oleh"))
    if len(set(d.roles)) != len(d.roles):
        out.append(p("peran ganda dalam daftar roles", "roles"))
    for role_id in d.declared_roles:
        if role_id in CATALOGUE:
            out.append(p(f"peran '{role_id}' sudah ada di katalog peran; pakai kode lain untuk peran baru",
                         "declared_roles", role_id))
    out += [p(message, "declared_roles") for message in declared_role_conflicts(d.id)]

    if d.initial is not None and d.initial not in d.states:
        out.append(p(f"status awal '{d.initial}' tidak ada di states", "initial"))
    if not any(s.final for s in d.states.values()):
        out.append(p("tidak ada status akhir (final: true)", "states"))

    for state_id, state in d.states.items():
        ids = [item.id for item in state.checklist]
        for dup in sorted({x for x in ids if ids.count(x) > 1}):
            out.append(p(f"butir checklist ganda '{dup}'", "states", state_id, "checklist"))
        out += _lint_escalation(loaded, state_id)
        relative = state.deadline.relative_to if state.deadline is not None else None
        if relative is not None and (relative not in d.fields or d.fields[relative].type != "date"):
            out.append(p(f"tenggat dihitung dari '{relative}', yang bukan field bertipe date",
                         "states", state_id, "deadline"))

    for name, field in d.fields.items():
        if field.options_setting and field.options_setting not in d.settings_used:
            out.append(p(f"setting '{field.options_setting}' tidak dideklarasikan di settings_used",
                         "fields", name, "options_setting"))
        if field.type == "person" and field.of is not None and field.of not in ROLES:
            out.append(p(f"field '{name}': peran '{field.of}' tidak dikenal", "fields", name, "of"))
        if field.type in ("person", "attendance") and field.on is not None and (
                field.on not in d.fields or d.fields[field.on].type != "date"):
            out.append(p(f"field '{name}': '{field.on}' bukan field bertipe date", "fields", name, "on"))
        for column_name, column in (field.columns or {}).items():
            if column.options_setting and column.options_setting not in d.settings_used:
                out.append(p(f"kolom '{column_name}': setting '{column.options_setting}' tidak dideklarasikan",
                             "fields", name, "columns", column_name))
            if column.of is not None and column.of not in ROLES:
                out.append(p(f"kolom '{column_name}': peran '{column.of}' tidak dikenal",
                             "fields", name, "columns", column_name))
        if field.type == "attendance":
            if field.of is not None and field.of not in ROLES:
                out.append(p(f"daftar hadir '{name}': peran '{field.of}' tidak dikenal (pakai 'anggota' untuk "
                             "Buku Daftar Anggota, atau kode peran seperti pengurus, pengawas)", "fields", name, "of"))
            if field.on is not None and field.on not in d.fields:
                out.append(p(f"daftar hadir '{name}': field tanggal '{field.on}' tidak ada", "fields", name, "on"))
            elif field.on is not None and d.fields[field.on].type != "date":
                out.append(p(f"daftar hadir '{name}': field '{field.on}' bukan bertipe date", "fields", name, "on"))

    action_ids = set(d.action_ids())
    seen_pairs: dict[tuple[str, str], int] = {}
    for index, action in enumerate(d.actions):
        out += _lint_action(loaded, index, action, action_ids, seen_pairs)

    out += _lint_graph(loaded)
    return sorted(out, key=lambda x: (x.line, x.col, x.message))


#: A Monday morning (UTC) against which escalation levels are put in order (weekends only).
_REFERENCE = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def _lint_escalation(loaded: LoadedDefinition, state_id: str) -> list[Problem]:
    """A state's escalation: needs a deadline, names known roles of the right kind, comes later level by level."""
    d = loaded.as_written
    state = d.states[state_id]
    out: list[Problem] = []

    def p(message: str, *loc: str | int) -> None:
        out.append(loaded.problem(f"status '{state_id}': {message}", "states", state_id, "escalation", *loc))

    if not state.escalation:
        return out
    if state.final:
        p("status akhir tidak punya tenggat; hapus escalation")
        return out
    if state.deadline is None:
        p("escalation tanpa deadline: tambahkan 'deadline' (mis. 2 hari kerja) pada status ini")
    previous: datetime | None = None
    for i, level in enumerate(state.escalation):
        if level.to is not None and level.to not in ROLES:
            p(f"peran '{level.to}' tidak dikenal (dikenal: {', '.join(sorted(ROLES))})", i, "to")
        moment = level.after.after(_REFERENCE, UTC)
        if previous is not None and moment <= previous:
            p(f"tingkat {i + 1} ({level.after} setelah tenggat) harus lebih lambat dari tingkat sebelumnya",
              i, "after")
        previous = moment
    return out


def _lint_action(
    loaded: LoadedDefinition,
    index: int,
    action: Action,
    action_ids: set[str],
    seen_pairs: dict[tuple[str, str], int],
) -> list[Problem]:
    d = loaded.as_written
    out: list[Problem] = []

    def p(message: str, *loc: str | int) -> None:
        out.append(loaded.problem(f"aksi '{action.id}': {message}", "actions", index, *loc))

    for i, state_id in enumerate(action.from_):
        if state_id not in d.states:
            p(f"status asal '{state_id}' tidak ada", "from", i)
        elif d.states[state_id].final:
            p(f"status asal '{state_id}' adalah status akhir", "from", i)
        pair = (action.id, state_id)
        if pair in seen_pairs and (action.when is None or d.actions[seen_pairs[pair]].when is None):
            p(f"id ganda: aksi '{action.id}' dari '{state_id}' sudah ada tanpa syarat pembeda", "id")
        seen_pairs.setdefault(pair, index)
    if action.to not in d.states:
        p(f"status tujuan '{action.to}' tidak ada", "to")

    for i, role in enumerate(action.roles):
        if role not in d.roles:
            p(f"peran '{role}' tidak ada di daftar roles prosedur", "roles", i)
    for i, name in enumerate(action.requires):
        if name not in d.fields:
            p(f"field '{name}' tidak ada", "requires", i)
    if isinstance(action.sets, list):
        for i, name in enumerate(action.sets):
            if name not in d.fields:
                p(f"field '{name}' tidak ada", "sets", i)
    if isinstance(action.checks, list):
        available = {item.id for s in action.from_ if s in d.states for item in d.states[s].checklist}
        for i, item in enumerate(action.checks):
            if item not in available:
                p(f"butir checklist '{item}' tidak ada di status asal", "checks", i)
    for i, other in enumerate(action.not_by):
        if other not in action_ids:
            p(f"not_by menyebut aksi '{other}' yang tidak ada", "not_by", i)

    if action.when is not None and not action.when.strip():
        p("syarat (when) kosong: hapus kuncinya, atau tulis ekspresinya (mis. jumlah > settings.batas_ketua)",
          "when")
    elif action.when is not None:
        for message in _guard_findings(d, action.when, None):
            p(message, "when")
    for i, rule in enumerate(action.rules):
        if rule.for_each is not None:
            spec = d.fields.get(rule.for_each)
            if spec is None or spec.type != "list":
                p(f"aturan {i + 1}: for_each '{rule.for_each}' bukan field bertipe list", "rules", i, "for_each")
                continue
        for message in _guard_findings(d, rule.check, rule.for_each):
            p(f"aturan {i + 1}: {message}", "rules", i, "check")
        for message in _message_findings(d, rule.message, rule.for_each):
            p(f"aturan {i + 1}: {message}", "rules", i, "message")
    for i, role in enumerate(action.not_roles):
        if role not in ROLES:
            p(f"not_roles: peran '{role}' tidak dikenal", "not_roles", i)
        elif role in action.roles:
            p(f"not_roles: peran '{role}' juga ada di roles aksi ini; tidak ada yang dapat mengambilnya",
              "not_roles", i)
    for i, effect in enumerate(action.effects):
        for message in _effect_findings(d, effect):
            p(f"efek {i + 1}: {message}", "effects", i)

    if action.quorum is not None:
        out += _lint_quorum(loaded, index, action)
    if action.attendance is not None:
        out += _lint_attendance(loaded, index, action)
    if _impossible_by_segregation(loaded, action):
        p("tidak ada yang dapat mengambil aksi ini: satu-satunya pemegang perannya "
          "sudah dikecualikan oleh pemisahan tugas (not_by)", "roles")
    return out


def _lint_quorum(loaded: LoadedDefinition, index: int, action: Action) -> list[Problem]:
    d = loaded.as_written
    quorum = action.quorum
    assert quorum is not None
    out: list[Problem] = []
    loc: tuple[str | int, ...] = ("actions", index, "quorum")
    voters = [quorum.role] if quorum.role else action.roles
    if quorum.role and quorum.role not in action.roles:
        out.append(loaded.problem(f"aksi '{action.id}': peran kuorum '{quorum.role}' "
                                  "bukan salah satu peran aksi", *loc, "role"))
    count = quorum.count
    if isinstance(count, str):
        setting = d.settings_used.get(count)
        if setting is None:
            out.append(loaded.problem(f"aksi '{action.id}': kuorum menyebut setting '{count}' "
                                      "yang tidak dideklarasikan", *loc, "count"))
            return out
        if not isinstance(setting.default, int) or isinstance(setting.default, bool):
            out.append(loaded.problem(f"aksi '{action.id}': setting '{count}' harus bilangan bulat",
                                      *loc, "count"))
            return out
        count = setting.default
    seats = [ROLES[r].max_seats for r in voters if r in ROLES]
    if seats and all(s is not None for s in seats):
        capacity = sum(s for s in seats if s is not None)
        if count > capacity:
            out.append(loaded.problem(
                f"aksi '{action.id}': kuorum {count} lebih besar dari jumlah kursi peran "
                f"{', '.join(voters)} ({capacity})", *loc, "count"))
    return out


def _lint_attendance(loaded: LoadedDefinition, index: int, action: Action) -> list[Problem]:
    d = loaded.as_written
    block = action.attendance
    assert block is not None
    out: list[Problem] = []
    loc: tuple[str | int, ...] = ("actions", index, "attendance")

    def p(message: str, key: str) -> None:
        out.append(loaded.problem(f"aksi '{action.id}': {message}", *loc, key))

    spec = d.fields.get(block.field)
    if spec is None:
        p(f"daftar hadir menyebut field '{block.field}' yang tidak ada", "field")
    elif spec.type != "attendance":
        p(f"field '{block.field}' bukan bertipe attendance (daftar hadir)", "field")
    percent: int | None = block.percent if isinstance(block.percent, int) else None
    if isinstance(block.percent, str):
        setting = d.settings_used.get(block.percent)
        if setting is None:
            p(f"kuorum kehadiran menyebut setting '{block.percent}' yang tidak dideklarasikan", "percent")
        elif not isinstance(setting.default, int) or isinstance(setting.default, bool):
            p(f"setting '{block.percent}' harus bilangan bulat (persen)", "percent")
        elif not 1 <= setting.default <= 100:
            p(f"setting '{block.percent}' harus 1 sampai 100 (persen), bawaannya {setting.default}", "percent")
        else:
            percent = setting.default
    more_than: bool | None = block.more_than if isinstance(block.more_than, bool) else None
    if isinstance(block.more_than, str):
        setting = d.settings_used.get(block.more_than)
        if setting is None:
            p(f"kuorum kehadiran menyebut setting '{block.more_than}' yang tidak dideklarasikan", "more_than")
        elif not isinstance(setting.default, bool):
            p(f"setting '{block.more_than}' harus true atau false", "more_than")
        else:
            more_than = setting.default
    if block.percent is None and (block.more_than is not True or not block.reached):
        p("'more_than' dan 'reached' memerlukan 'percent' (kuorum kehadiran)", "percent")
    if percent == 100 and more_than:
        p("kuorum kehadiran 'lebih dari 100%' tidak mungkin tercapai", "percent")
    if action.quorum is not None and spec is not None and spec.type == "attendance":
        if block.field in d.settable_fields(action):
            p(f"daftar hadir '{block.field}' harus dicatat sebelum pemungutan suara, bukan oleh aksi berkuorum "
              "yang sama", "field")
        voters = [action.quorum.role] if action.quorum.role else action.roles
        if spec.of is not None and spec.of != MEMBER_REGISTER and any(spec.of not in expand_roles({r}) for r in voters):
            p(f"daftar hadir '{block.field}' mencatat pemegang peran '{spec.of}', tidak mencakup semua pemberi "
              f"suara ({', '.join(voters)})", "field")
    return out


def _impossible_by_segregation(loaded: LoadedDefinition, action: Action) -> bool:
    d = loaded.as_written
    if not action.not_by:
        return False
    excluded_roles: set[str] = set()
    for other in d.actions:
        if other.id in action.not_by and len(other.roles) == 1:
            excluded_roles.add(other.roles[0])
    return all(
        r in excluded_roles and r in ROLES and ROLES[r].max_seats == 1 for r in action.roles
    )


def _lint_graph(loaded: LoadedDefinition) -> list[Problem]:
    d = loaded.as_written
    out: list[Problem] = []
    start = d.initial_state
    if start not in d.states:
        return out
    edges: dict[str, set[str]] = {s: set() for s in d.states}
    for action in d.actions:
        for src in action.from_:
            if src in edges and action.to in d.states:
                edges[src].add(action.to)
    reachable = {start}
    queue = deque([start])
    while queue:
        for nxt in edges[queue.popleft()]:
            if nxt not in reachable:
                reachable.add(nxt)
                queue.append(nxt)
    for state_id, state in d.states.items():
        if state_id not in reachable:
            out.append(loaded.problem(f"status '{state_id}' tidak dapat dicapai dari '{start}'",
                                      "states", state_id))
        if not state.final and not edges[state_id]:
            out.append(loaded.problem(f"status '{state_id}' bukan status akhir tetapi tidak punya "
                                      "aksi keluar (buntu)", "states", state_id))
    finishing = _reaching(edges, {s for s, state in d.states.items() if state.final})
    for state_id in d.states:
        if state_id in reachable and edges[state_id] and state_id not in finishing:
            out.append(loaded.problem(f"status '{state_id}' adalah perangkap: dari sana tidak ada jalan ke "
                                      "status akhir mana pun (kasus akan berputar tanpa selesai)",
                                      "states", state_id))
    out += _lint_same_seat_approval(loaded, edges)
    out += _lint_solo_path(loaded)
    return out


def _reaching(edges: dict[str, set[str]], targets: set[str]) -> set[str]:
    """Every state from which one of ``targets`` can be reached (the targets included)."""
    incoming: dict[str, set[str]] = {s: set() for s in edges}
    for src, dests in edges.items():
        for dest in dests:
            incoming[dest].add(src)
    found = set(targets)
    queue = deque(targets)
    while queue:
        for prev in incoming.get(queue.popleft(), ()):
            if prev not in found:
                found.add(prev)
                queue.append(prev)
    return found


def _lint_same_seat_approval(loaded: LoadedDefinition, edges: dict[str, set[str]]) -> list[Problem]:
    """An approval only one person can give, after that same person verified: nobody else may approve it.

    The engine bars everyone who decided earlier in a case from approving it (pemisahan tugas), so such a
    step can never be taken; without that rule one person would check and approve their own verification.
    """
    d = loaded.as_written
    out: list[Problem] = []
    for index, approve in enumerate(d.actions):
        if approve.kind != "approve" or approve.quorum is not None or len(set(approve.roles)) != 1:
            continue
        role = approve.roles[0]
        if role not in ROLES or ROLES[role].max_seats != 1:
            continue
        for verify in d.actions:
            if verify.kind != "verify" or set(verify.roles) != {role} or verify.to not in edges:
                continue
            after = _reachable_from(edges, verify.to)
            if after & set(approve.from_):
                out.append(loaded.problem(
                    f"aksi '{approve.id}': hanya {ROLES[role].label} (satu kursi) yang dapat menyetujui, padahal "
                    f"{ROLES[role].label} sudah memverifikasi lewat aksi '{verify.id}': orang yang sama akan "
                    "memeriksa dan menyetujui (pemisahan tugas), sehingga persetujuan ini tidak dapat diberikan; "
                    "tetapkan peran lain untuk salah satunya", "actions", index, "roles"))
                break
    return out


def _reachable_from(edges: dict[str, set[str]], start: str) -> set[str]:
    found = {start}
    queue = deque([start])
    while queue:
        for nxt in edges[queue.popleft()]:
            if nxt not in found:
                found.add(nxt)
                queue.append(nxt)
    return found


def _needs_another_person(action: Action, taken: frozenset[str], starts: set[str]) -> bool:
    """Whether the person who took ``taken`` (and made the case) is barred from ``action``."""
    if action.kind == "approve":
        return True  # the maker and every earlier decider are excluded
    if action.quorum is not None and not (isinstance(action.quorum.count, int) and action.quorum.count == 1):
        return True  # two or more distinct people (a quorum from a setting counts as more than one)
    return bool(set(action.not_by) & (taken | starts))


def _lint_solo_path(loaded: LoadedDefinition) -> list[Problem]:
    """A path on which one person alone could bring the case to a successful end."""
    d = loaded.as_written
    start = d.initial_state
    starts = {a.id for a in d.actions_from(start) if a.kind == "submit"}
    seen: set[tuple[str, frozenset[str]]] = set()
    queue: deque[tuple[str, frozenset[str], tuple[int, ...]]] = deque([(start, frozenset(), ())])
    while queue and len(seen) < 20_000:
        state, taken, path = queue.popleft()
        if (state, taken) in seen:
            continue
        seen.add((state, taken))
        for index, action in enumerate(d.actions):
            if state not in action.from_ or action.to not in d.states or action.kind in ("reject", "cancel"):
                continue
            if _needs_another_person(action, taken, starts):
                continue
            steps = (*path, index)
            if d.states[action.to].final and action.kind in FORWARD_KINDS:
                route = " → ".join(d.actions[i].id for i in steps)
                return [loaded.problem(
                    f"satu orang dapat membawa kasus sampai '{action.to}' sendirian ({route}): tambahkan langkah "
                    "persetujuan (kind: approve), kuorum, atau not_by agar diperiksa orang lain",
                    "actions", index)]
            queue.append((action.to, taken | {action.id}, steps))
    return []


def cited_sop_number(entry: str) -> str | None:
    """The SOP number a ``keterkaitan`` entry cites: its leading token when that is shaped like one.

    ``SOP-KEL-09 Pembuatan, Perubahan dan Pencabutan SOP`` cites ``SOP-KEL-09``; an entry naming an
    outside document (a law, another organisation's SOP) cites none.
    """
    words = entry.split(maxsplit=1)
    if not words:
        return None
    token = words[0].rstrip(".,;:")
    return token if SOP_NUMBER.fullmatch(token) else None


def lint_references(loaded: Iterable[LoadedDefinition], known: Iterable[str] = ()) -> list[Problem]:
    """Every ``sop.keterkaitan`` entry citing an SOP number that no procedure carries.

    The numbers that resolve are the ``sop.nomor`` of ``loaded`` plus ``known`` (the procedures in use,
    when only some files are checked).
    """
    items = list(loaded)
    numbers = {item.as_written.sop.nomor for item in items} | set(known)
    out: list[Problem] = []
    for item in items:
        for i, entry in enumerate(item.as_written.sop.keterkaitan):
            number = cited_sop_number(entry)
            if number is not None and number not in numbers:
                out.append(item.problem(
                    f"keterkaitan menyebut {number}, yang bukan nomor SOP prosedur mana pun yang dimuat: "
                    "perbaiki nomornya, tambahkan prosedurnya, atau hapus butir ini", "sop", "keterkaitan", i))
    return out


def lint_many(loaded: Iterable[LoadedDefinition], known_numbers: Iterable[str] = ()) -> list[Problem]:
    """Lint several definitions, including cross-file duplicates (ids, SOP numbers, prefixes) and
    ``keterkaitan`` entries citing an SOP number that neither they nor ``known_numbers`` carry."""
    items = list(loaded)
    out: list[Problem] = []
    by_key: dict[tuple[str, str], LoadedDefinition] = {}
    for item in items:
        out += lint_definition(item)
        d = item.definition
        for kind, value, loc in (
            ("id", d.id, ("id",)),
            ("nomor SOP", d.sop.nomor, ("sop", "nomor")),
            ("number_prefix", d.number_prefix, ("number_prefix",)),
        ):
            first = by_key.get((kind, value))
            if first is None:
                by_key[(kind, value)] = item
            else:
                out.append(item.problem(f"{kind} '{value}' ganda (sudah dipakai di {first.path})", *loc))
    out += lint_references(items, known_numbers)
    return out


def _guard_findings(d: Definition, expression: str, for_each: str | None) -> list[str]:
    """What is wrong with a guard of ``d`` (read in each row of ``for_each`` when given)."""
    try:
        names = guard_names(expression, row_context=for_each is not None)
    except GuardError as exc:
        return [str(exc)]
    out: list[str] = []
    columns = set(_columns(d, for_each)) if for_each else set()
    for name in sorted(names.fields - set(d.fields) - columns):
        out.append(f"syarat menyebut field '{name}' yang tidak ada")
    for name in sorted(names.settings - set(d.settings_used)):
        out.append(f"syarat menyebut setting '{name}' yang tidak dideklarasikan")
    for name in sorted(names.other):
        out.append(f"syarat memakai {name}, yang tidak diizinkan")
    for list_name, inner in names.rows:
        spec = d.fields.get(list_name)
        if spec is None or spec.type != "list":
            out.append(f"'{list_name}' bukan field bertipe list")
            continue
        for name in sorted(inner - set(d.fields) - set(_columns(d, list_name)) - columns):
            out.append(f"syarat baris '{list_name}' menyebut kolom '{name}' yang tidak ada")
    if not out:
        try:  # the SOP, the step page and `case show` print every guard in words
            phrase_guard(expression, d, None, for_each)
        except GuardError as exc:
            out.append(str(exc))
    return out


def _columns(d: Definition, list_name: str | None) -> list[str]:
    spec = d.fields.get(list_name or "")
    return list(spec.columns or {}) if spec is not None and spec.type == "list" else []


def _message_findings(d: Definition, message: str, for_each: str | None) -> list[str]:
    from engine.domain.definitions.messages import message_names, message_problem

    problem = message_problem(message)
    if problem:
        return [problem]
    known = set(d.fields) | set(_columns(d, for_each)) | {"settings", "today", "actor"} | FUNCTIONS
    if for_each:
        known |= {"nomor", "row"}
    return [f"pesan menyebut '{name}' yang tidak ada" for name in sorted(message_names(message) - known)]


def _effect_findings(d: Definition, effect: Effect) -> list[str]:
    out: list[str] = []
    if effect.appoint is not None:
        appoint = effect.appoint
        if appoint.role not in ROLES:
            out.append(f"peran '{appoint.role}' tidak dikenal")
        elif appoint.role in CATALOGUE and appoint.role not in ("karyawan", "kasir"):
            out.append(f"'{appoint.role}' adalah jabatan organ koperasi; pakai install untuk masa jabatannya")
        name, _, column = appoint.people.partition(".")
        spec = d.fields.get(name)
        if spec is None:
            out.append(f"field '{name}' tidak ada")
        elif column:
            col = (spec.columns or {}).get(column) if spec.type == "list" else None
            if col is None or col.type != "person":
                out.append(f"'{appoint.people}' bukan kolom bertipe person")
        elif spec.type != "person":
            out.append(f"field '{name}' bukan bertipe person (atau tulis daftar.kolom)")
        if appoint.until != "selesai":
            until = d.fields.get(appoint.until)
            if until is None or until.type != "date":
                out.append(f"until '{appoint.until}' bukan 'selesai' atau field bertipe date")
    if effect.install is not None:
        install = effect.install
        spec = d.fields.get(install.rows)
        if spec is None or spec.type != "list":
            out.append(f"rows '{install.rows}' bukan field bertipe list")
        else:
            columns = spec.columns or {}
            if install.person not in columns or columns[install.person].type != "person":
                out.append(f"kolom '{install.person}' bukan kolom bertipe person")
            role_column = columns.get(install.role)
            if role_column is None or role_column.type != "choice":
                out.append(f"kolom '{install.role}' bukan kolom bertipe choice berisi nama jabatan")
            else:
                for option in role_column.options or []:
                    if role_of(option) is None:
                        out.append(f"pilihan '{option}' pada kolom '{install.role}' bukan nama atau kode peran")
        for key in ("start", "end"):
            name = getattr(install, key)
            if name is not None and (d.fields.get(name) is None or d.fields[name].type != "date"):
                out.append(f"{key} '{name}' bukan field bertipe date")
    typed = {"add_member": {"number": "text", "name": "text", "nik": "text", "address": "text", "joined": "date",
                            "simpanan_pokok": "money"},
             "end_member": {"number": "text", "nik": "text", "on": "date"}}
    for kind, wanted_types in typed.items():
        member = getattr(effect, kind)
        if member is None:
            continue
        for key, wanted in wanted_types.items():
            name = getattr(member, key)
            if name is None:
                continue
            spec = d.fields.get(name)
            if spec is None or spec.type != wanted:
                out.append(f"{kind}.{key}: '{name}' bukan field bertipe {wanted}")
    return out
