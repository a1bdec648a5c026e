"""The working-day calendar of a cooperative: the installation's (national holidays, cuti bersama, the
calendar file) plus the cooperative's own local holidays (setting ``libur_lokal``)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.domain.calendar import WorkCalendar, load_calendar, local_holidays
from engine.errors import ConfigurationError
from engine.settings import Settings

__all__ = ["calendar_for", "installation_calendar"]


def installation_calendar(settings: Settings) -> WorkCalendar:
    """National holidays and cuti bersama plus the calendar file (read again when it changes)."""
    path = settings.calendar_path
    if path is None:
        return _cached(None, 0)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise ConfigurationError(f"Berkas kalender {path} tidak dapat dibaca: {exc.strerror} "
                                 "(lihat TATAKELOLA_CALENDAR).") from None
    return _cached(path, stamp)


@lru_cache(maxsize=8)
def _cached(path: Path | None, stamp: int) -> WorkCalendar:
    return load_calendar(path)


def calendar_for(settings: Settings, coop_settings: Mapping[str, Any]) -> WorkCalendar:
    """The calendar a cooperative's deadlines count working days by."""
    return installation_calendar(settings).with_days(local_holidays(coop_settings))
