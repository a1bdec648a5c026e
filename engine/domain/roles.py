"""The catalogue of organ roles a cooperative's people can hold.

Holding a role may imply others (every board seat is also ``pengurus``; the ketua
pengawas is also ``pengawas``). Seats bound what a quorum can ask for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ROLES", "Role", "expand_roles", "role_label"]


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


def expand_roles(held: set[str]) -> set[str]:
    """Return the held roles plus every role they imply."""
    out = set(held)
    for role_id in held:
        role = ROLES.get(role_id)
        if role:
            out.update(role.implies)
    return out


def role_label(role_id: str) -> str:
    """Indonesian label of a role (the id itself if unknown)."""
    role = ROLES.get(role_id)
    return role.label if role else role_id
