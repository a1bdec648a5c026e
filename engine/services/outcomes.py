"""What the units of work of this command (or request) saved: the truth an unexpected error must tell."""

from __future__ import annotations

from engine.adapters.store.db import reset_unit_outcomes, unit_outcomes

__all__ = ["begin_run", "saved_sentence"]


def begin_run() -> None:
    """Start counting the units of work of a new command or request."""
    reset_unit_outcomes()


def saved_sentence() -> str:
    """One Indonesian sentence on what was saved before an unexpected error, as the commits recorded it."""
    outcomes = unit_outcomes()
    if outcomes.in_doubt:
        return ("Tidak dapat dipastikan apakah perubahan terakhir tersimpan (sambungan ke basis data terputus saat "
                "menyimpan); periksa hasilnya sebelum mengulang.")
    if outcomes.committed:
        return ("Perubahan SUDAH tersimpan sebelum galat ini terjadi; periksa hasilnya (mis. `tatakelola case "
                "show`) sebelum mengulang.")
    return "Tidak ada perubahan yang disimpan."
