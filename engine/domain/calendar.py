"""The working-day calendar: which days count as "hari kerja" for a deadline.

Saturdays and Sundays are never working days. Indonesian national holidays and the cuti
bersama the government declares come from the maintained ``holidays`` package (categories
``public`` and ``government``, names in Indonesian). An installation adds the cuti bersama and
holidays of a year it knows better (a calendar file, ``TATAKELOLA_CALENDAR``), and each
cooperative its local holidays (setting ``libur_lokal``: quoted dates, or ``"YYYY-MM-DD nama"``).

The ``holidays`` package is imported on first use, never at import time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from engine.errors import DefinitionError, FieldProblem, Problem, ValidationError

__all__ = ["LOCAL_SETTING", "NATIONAL_TABLE", "CalendarFile", "WorkCalendar", "load_calendar", "local_holidays",
           "national_from_package", "write_national_table"]

#: The cooperative setting holding its local holidays.
LOCAL_SETTING = "libur_lokal"
#: The longest span a calendar is asked about in one step (a deadline is at most a few years).
_MAX_SCAN_DAYS = 5 * 366
_LOCAL_ITEM = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})(?:\s+(.{1,120}))?\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: A year as a key of the calendar file (the YAML's keys are read as text, so problems are located).
Year = Annotated[str, Field(pattern=r"^(19|20|21)\d\d$")]


class Holiday(_Strict):
    """One holiday of the installation's calendar file."""

    tanggal: date
    nama: Annotated[str, Field(min_length=1, max_length=120)]


class CalendarFile(_Strict):
    """The installation's calendar file: cuti bersama and extra holidays per year.

    ```yaml
    cuti_bersama:
      2026: [2026-03-20, 2026-03-23]
    libur:
      2026:
        - {tanggal: 2026-07-10, nama: Hari Jadi Kabupaten}
    ```
    """

    cuti_bersama: dict[Year, list[date]] = Field(default_factory=dict)
    libur: dict[Year, list[Holiday]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _in_their_year(self) -> CalendarFile:
        for year, days in self.cuti_bersama.items():
            for day in days:
                if str(day.year) != year:
                    raise ValueError(f"cuti_bersama {year}: tanggal {day.isoformat()} bukan di tahun {year}")
        for year, items in self.libur.items():
            for item in items:
                if str(item.tanggal.year) != year:
                    raise ValueError(f"libur {year}: tanggal {item.tanggal.isoformat()} bukan di tahun {year}")
        return self

    def days(self) -> dict[date, str]:
        """Every day the file names, with its name."""
        out: dict[date, str] = {}
        for days in self.cuti_bersama.values():
            out.update({day: "Cuti bersama" for day in days})
        for items in self.libur.values():
            out.update({item.tanggal: item.nama for item in items})
        return out


#: The national holidays of the years around now, as the ``holidays`` package gives them, kept beside this
#: module: reading a case needs no import of that package (some 300 modules). Other years come from the
#: package itself. Refresh after upgrading it: ``python -m engine.domain.calendar``.
NATIONAL_TABLE = Path(__file__).with_name("libur_nasional.json")


@lru_cache(maxsize=1)
def _table() -> tuple[int, int, dict[date, str]]:
    data = json.loads(NATIONAL_TABLE.read_text(encoding="utf-8"))
    days = {date.fromisoformat(day): str(name) for day, name in data["days"].items()}
    return int(data["first_year"]), int(data["last_year"]), days


@lru_cache(maxsize=64)
def _national(year: int) -> Mapping[date, str]:
    """Indonesia's national holidays and cuti bersama of a year (names in Indonesian)."""
    first, last, days = _table()
    if first <= year <= last:
        return {day: name for day, name in days.items() if day.year == year}
    return national_from_package(year)


def national_from_package(year: int) -> dict[date, str]:
    """The national holidays and cuti bersama of a year straight from the ``holidays`` package."""
    import holidays

    country = holidays.country_holidays("ID", years=year, language="id", categories=_categories())
    return dict(sorted(country.items()))


def write_national_table(first: int, last: int, path: Path = NATIONAL_TABLE) -> int:
    """Write the table of national holidays for ``first`` .. ``last`` from the installed package; how many days."""
    import holidays

    days = {day.isoformat(): name for year in range(first, last + 1)
            for day, name in national_from_package(year).items()}
    version = getattr(holidays, "__version__", "?")
    data = {"source": f"holidays {version}, Indonesia (public, government), bahasa Indonesia",
            "first_year": first, "last_year": last, "days": days}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    _table.cache_clear()
    _national.cache_clear()
    return len(days)


@lru_cache(maxsize=1)
def _categories() -> tuple[str, ...]:
    import holidays

    cls = holidays.country_holidays("ID").__class__
    supported = set(getattr(cls, "supported_categories", ("public",)))
    return tuple(c for c in ("public", "government") if c in supported)


class WorkCalendar:
    """Which days are working days: Monday-Friday, except national holidays, cuti bersama and the extra
    holidays given (the installation's and a cooperative's)."""

    def __init__(self, extra: Mapping[date, str] | None = None, *, national: bool = True) -> None:
        self._extra = dict(extra or {})
        self._national = national

    def with_days(self, extra: Mapping[date, str]) -> WorkCalendar:
        """This calendar with more holidays (a cooperative's local ones)."""
        if not extra:
            return self
        return WorkCalendar({**self._extra, **extra}, national=self._national)

    def name_of(self, day: date) -> str | None:
        """The holiday's name, or None on a day that is no holiday (weekends have none)."""
        if day in self._extra:
            return self._extra[day]
        if self._national:
            return _national(day.year).get(day)
        return None

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and no holiday."""
        return day.weekday() < 5 and self.name_of(day) is None

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself never counts; n=0 gives ``start``)."""
        day, added, scanned = start, 0, 0
        while added < n:
            day += timedelta(days=1)
            scanned += 1
            if scanned > _MAX_SCAN_DAYS * max(1, n // 250 + 1):
                raise ValueError("kalender tidak punya hari kerja dalam rentang yang wajar")
            if self.is_working_day(day):
                added += 1
        return day

    def holidays_between(self, start: date, end: date) -> list[tuple[date, str]]:
        """The named holidays from ``start`` to ``end`` inclusive (for people: why a deadline moved)."""
        out: list[tuple[date, str]] = []
        day = start
        while day <= end:
            name = self.name_of(day)
            if name is not None:
                out.append((day, name))
            day += timedelta(days=1)
        return out


def load_calendar(path: Path | None) -> WorkCalendar:
    """The installation's calendar: national holidays plus the file's days (none without a file).

    Raises DefinitionError with ``file:line:col`` problems when the file is malformed.
    """
    if path is None:
        return WorkCalendar()
    return WorkCalendar(_load_file(path).days())


def _load_file(path: Path) -> CalendarFile:
    from engine.domain.definitions.loader import located_problems, parse_yaml
    from engine.domain.definitions.safe_yaml import read_yaml_text, safe_load, text_keys

    name = str(path)
    text = read_yaml_text(path)
    data = safe_load(text, name)
    if data is None:
        return CalendarFile()
    if not isinstance(data, dict):
        raise DefinitionError([Problem(name, 1, 1, "isi berkas kalender harus berupa pemetaan (kunci: nilai)")])
    try:
        return CalendarFile.model_validate(text_keys(data))
    except PydanticValidationError as exc:
        raise DefinitionError(located_problems(_text_tree(parse_yaml(text, name)), exc, name),
                              headline="Berkas kalender tidak sah:") from None


def _text_tree(node: Any) -> Any:
    """The position tree with its mapping keys as text (``2026:`` is read as a number), positions kept."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    out: CommentedMap | CommentedSeq
    if isinstance(node, CommentedMap):
        out = CommentedMap()
        for key, value in node.items():
            out[str(key)] = _text_tree(value)
        out.lc.data = {str(key): place for key, place in (node.lc.data or {}).items()}
    elif isinstance(node, CommentedSeq):
        out = CommentedSeq(_text_tree(v) for v in node)
        out.lc.data = dict(node.lc.data or {})
    else:
        return node
    out.lc.line, out.lc.col = node.lc.line, node.lc.col
    return out



def local_holidays(settings: Mapping[str, Any]) -> dict[date, str]:
    """A cooperative's local holidays from its ``libur_lokal`` setting.

    Each item is ``"YYYY-MM-DD"`` or ``"YYYY-MM-DD nama"`` (quoted in the organisation file), or a mapping
    ``{tanggal: "YYYY-MM-DD", nama: ...}``. A malformed item is a ValidationError naming it.
    """
    raw = settings.get(LOCAL_SETTING)
    if raw is None:
        return {}
    items: Iterable[Any] = raw if isinstance(raw, list) else [raw]
    out: dict[date, str] = {}
    problems: list[FieldProblem] = []
    for item in items:
        text, name = (str(item.get("tanggal", "")), item.get("nama")) if isinstance(item, dict) else (item, None)
        match = _LOCAL_ITEM.match(text) if isinstance(text, str) else None
        try:
            day = date.fromisoformat(match.group(1)) if match else None
        except ValueError:
            day = None
        if day is None or match is None:
            problems.append(FieldProblem(f"setting {LOCAL_SETTING}", f"'{str(item)[:60]}' bukan tanggal "
                                                                     "YYYY-MM-DD (boleh diikuti nama hari libur)"))
            continue
        out[day] = str(name or match.group(2) or "Libur lokal")
    if problems:
        raise ValidationError(problems, headline="Setting koperasi tidak sah; perbaiki berkas organisasi (AD/ART):")
    return out


if __name__ == "__main__":  # refresh the table after upgrading the holidays package
    _first, _last, _ = _table()
    print(f"{write_national_table(_first, _last)} hari libur {_first}-{_last} ditulis ke {NATIONAL_TABLE}")
