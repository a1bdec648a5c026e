"""One holder per single-seat role on any day: the database holds it; this names the refusal.

Migration 0008 puts the rule in the database (an exclusion constraint on PostgreSQL, triggers on
SQLite), so no path that writes terms of office (an import, a future term editor, raw SQL) can give a
cooperative two ketua at once. A write it refuses comes back as :class:`SeatTakenError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from engine.adapters.store.violations import one_seat_role
from engine.domain.roles import role_label
from engine.errors import SeatTakenError

__all__ = ["one_seat"]


@contextmanager
def one_seat() -> Iterator[None]:
    """Around a unit of work that writes terms: the database's one-seat refusal as a named error."""
    try:
        yield
    except IntegrityError as exc:
        role = one_seat_role(exc)
        if role is None:
            raise
        label = role_label(role) if role else "Jabatan satu kursi"
        raise SeatTakenError(
            f"{label} hanya boleh dipegang satu orang pada satu waktu, tetapi masa jabatan ini bertumpang "
            f"tindih dengan masa jabatan {label} lain yang sudah tersimpan. Tidak ada yang disimpan; akhiri "
            "masa jabatan yang lama (tanggal akhir) sebelum masa jabatan yang baru dimulai.", role=role) from None
