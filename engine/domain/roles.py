"""The catalogue of organ roles a cooperative's people can hold.

Holding a role may imply others (every board seat is also ``pengurus``; the ketua
pengawas is also ``pengawas``). Seats bound what a quorum can ask for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["CATALOGUE", "ROLES", "Role", "declare_roles", "declared_role_conflicts", "expand_roles", "role_label",
           "role_of"]


@dataclass(frozen=True)
class Role:
    """One role: identifier, Indonesian label, implied roles, maximum seats (None = open)."""

    id: str
    label: str
    implies: tuple[str, ...] = field(default=())
    max_seats: int | None = None


ROLES: dict[str, Role] = {
    r.id: r
    for r in (
        Role("ketua", "Ketua Pengurus", ("pengurus",), 1),
        Role("wakil_ketua_usaha", "Wakil Ketua Bidang Usaha", ("pengurus",), 1),
        Role("wakil_ketua_anggota", "Wakil Ketua Bidang Keanggotaan", ("pengurus",), 1),
        Role("sekretaris", "Sekretaris", ("pengurus",), 1),
        Role("bendahara", "Bendahara", ("pengurus",), 1),
        Role("pengurus", "Pengurus"),
        Role("ketua_pengawas", "Ketua Pengawas", ("pengawas",), 1),
        Role("pengawas", "Pengawas"),
        Role("manajer", "Manajer / Pengelola", (), 1),
        Role("karyawan", "Karyawan"),
        Role("kasir", "Kasir"),
        Role("anggota", "Anggota"),
        Role("calon_anggota", "Calon Anggota"),
        Role("pimpinan_rapat", "Pimpinan Rapat Anggota", (), 1),
        Role("dinas", "Petugas Dinas Koperasi"),
    )
}


#: The roles every cooperative has (the law's organs and the usual staff); ROLES adds declared ones.
CATALOGUE: frozenset[str] = frozenset(ROLES)
_DECLARED_BY: dict[str, str] = {}  # declared role id -> the procedure that declared it first
_CONFLICTS: list[str] = []


class _Declares(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def declared_roles(self) -> Mapping[str, Any]: ...


def declare_roles(definition: _Declares) -> None:
    """Add the roles a procedure introduces (``declared_roles``) to :data:`ROLES`, once per id.

    A declared id that the catalogue already has, or that another procedure declared differently,
    is kept as it was and noted for ``workflows check`` (:func:`declared_role_conflicts`).
    """
    for role_id, spec in definition.declared_roles.items():
        role = Role(role_id, spec.label, tuple(spec.implies), spec.max_seats)
        existing = ROLES.get(role_id)
        if existing is None:
            ROLES[role_id] = role
            _DECLARED_BY[role_id] = definition.id
        elif existing != role:
            owner = _DECLARED_BY.get(role_id)
            where = f"prosedur '{owner}'" if owner else "katalog peran"
            message = (f"peran '{role_id}' yang dideklarasikan '{definition.id}' berbeda dengan yang sudah "
                       f"ditetapkan {where}")
            if message not in _CONFLICTS:
                _CONFLICTS.append(message)


def declared_role_conflicts(workflow_id: str) -> list[str]:
    """Conflicting declarations made by ``workflow_id`` (see :func:`declare_roles`)."""
    return [m for m in _CONFLICTS if f"dideklarasikan '{workflow_id}'" in m]


def expand_roles(held: set[str]) -> set[str]:
    """Return the held roles plus every role they imply."""
    out = set(held)
    for role_id in held:
        role = ROLES.get(role_id)
        if role:
            out.update(role.implies)
    return out


def role_of(text: str) -> str | None:
    """The role a choice option names, by id or by label ("Bendahara", "Ketua Pengurus"); None if none."""
    if text in ROLES:
        return text
    wanted = text.strip().casefold()
    return next((r.id for r in ROLES.values() if r.label.casefold() == wanted), None)


def role_label(role_id: str) -> str:
    """Indonesian label of a role (the id itself if unknown)."""
    role = ROLES.get(role_id)
    return role.label if role else role_id
