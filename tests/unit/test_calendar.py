"""The working-day calendar: weekends, Indonesian holidays and cuti bersama, the installation's calendar
file and a cooperative's local holidays; deadlines in "hari kerja" count by it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.domain.calendar import WorkCalendar, _table, load_calendar, local_holidays, national_from_package
from engine.domain.definitions.model import Deadline, Delay
from engine.errors import DefinitionError, ValidationError

WIB = ZoneInfo("Asia/Jakarta")


def test_national_holidays_are_not_working_days() -> None:
    calendar = WorkCalendar()
    assert not calendar.is_working_day(date(2026, 8, 17))  # Hari Kemerdekaan (a Monday)
    assert not calendar.is_working_day(date(2026, 12, 25))  # Natal (a Friday)
    assert "Idul Fitri" in (calendar.name_of(date(2026, 3, 21)) or "")
    assert not calendar.is_working_day(date(2026, 3, 23))  # cuti bersama Idul Fitri (a Monday)
    assert calendar.is_working_day(date(2026, 8, 18))
    assert not calendar.is_working_day(date(2026, 8, 22))  # a Saturday
    assert calendar.name_of(date(2026, 8, 22)) is None


def test_two_working_days_over_the_idul_fitri_holidays() -> None:
    calendar = WorkCalendar()
    # Tuesday 17 March 2026: Nyepi (19th) and its cuti bersama (18th), Idul Fitri with its cuti bersama
    # (20-24th) and the weekend in between leave Wednesday 25th and Thursday 26th as the next working days.
    assert calendar.add_working_days(date(2026, 3, 17), 2) == date(2026, 3, 26)
    assert WorkCalendar(national=False).add_working_days(date(2026, 3, 17), 2) == date(2026, 3, 19)
    assert calendar.add_working_days(date(2026, 3, 17), 0) == date(2026, 3, 17)


def test_a_deadline_in_working_days_skips_holidays_and_keeps_the_time_of_day() -> None:
    since = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)  # Friday 14 August, 10.00 WIB
    two = Deadline.model_validate("2 hari kerja")
    assert two.due(since, WIB) == datetime(2026, 8, 18, 3, 0, tzinfo=UTC)  # weekends only: Tuesday
    assert two.due(since, WIB, WorkCalendar()) == datetime(2026, 8, 19, 3, 0, tzinfo=UTC)  # 17 Aug is off
    assert Deadline.model_validate("2 hari").due(since, WIB, WorkCalendar()) == datetime(2026, 8, 16, 3, 0,
                                                                                        tzinfo=UTC)
    assert Delay.model_validate("0 hari").after(since, WIB, WorkCalendar()) == since


def test_cuti_bersama_and_holidays_come_from_the_installation_file(tmp_path: Path) -> None:
    path = tmp_path / "kalender.yaml"
    path.write_text("cuti_bersama:\n  2026: [2026-08-18]\nlibur:\n  2026:\n"
                    "    - {tanggal: 2026-08-20, nama: Hari Jadi Kota Mojokerto}\n", encoding="utf-8")
    calendar = load_calendar(path)
    assert calendar.name_of(date(2026, 8, 18)) == "Cuti bersama"
    assert calendar.name_of(date(2026, 8, 20)) == "Hari Jadi Kota Mojokerto"
    assert calendar.add_working_days(date(2026, 8, 14), 2) == date(2026, 8, 21)  # 17, 18 and 20 are off


def test_a_bad_calendar_file_is_refused_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "kalender.yaml"
    path.write_text("cuti_bersama:\n  2026:\n    - 2026-08-18\n    - 2027-01-02\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"kalender\.yaml:\d+:\d+: .*bukan di tahun 2026"):
        load_calendar(path)
    path.write_text("libur:\n  2026:\n    - {tanggal: 2026-08-20}\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"kalender\.yaml:3:\d+: .*nama"):
        load_calendar(path)


def test_a_cooperative_adds_its_local_holidays() -> None:
    local = local_holidays({"libur_lokal": ["2026-08-19 Haul Sentanan", {"tanggal": "2026-08-21"}]})
    assert local == {date(2026, 8, 19): "Haul Sentanan", date(2026, 8, 21): "Libur lokal"}
    calendar = WorkCalendar().with_days(local)
    assert calendar.add_working_days(date(2026, 8, 14), 3) == date(2026, 8, 24)  # 17, 19, 21 and a weekend off
    with pytest.raises(ValidationError, match="libur_lokal"):
        local_holidays({"libur_lokal": ["19-08-2026"]})


def test_the_shipped_table_is_what_the_holidays_package_says() -> None:
    """Reading a case uses the table (no import of the package); it must not drift from the package.
    After upgrading ``holidays``, refresh it: ``python -m engine.domain.calendar``."""
    first, last, days = _table()
    assert first <= 2026 <= last
    for year in range(first, last + 1):
        assert {d: n for d, n in days.items() if d.year == year} == national_from_package(year), year
    assert WorkCalendar().name_of(date(last + 1, 8, 17)) == national_from_package(last + 1)[date(last + 1, 8, 17)]
