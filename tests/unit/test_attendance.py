"""The daftar hadir: typed lists, who could attend, and the attendance quorum's arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from engine.domain.attendance import Attendee, Eligible, Rule, check_list, rule_for, split, tally
from engine.domain.definitions.model import Attendance, FieldDef
from engine.domain.values import format_value, parse_value, validate_value
from engine.errors import ValidationError

PENGURUS = Eligible("pengurus", date(2026, 11, 20), tuple(
    Attendee(u, n, i) for i, (u, n) in enumerate((("bambang", "Bambang Sutrisno"), ("dwi", "Dwi Prasetyo"),
                                                  ("endang", "Endang Lestari"), ("rina", "Rina Wulandari"),
                                                  ("sri", "Sri Handayani")), start=1)))
HADIR = FieldDef(type="attendance", label="Pengurus yang hadir", of="pengurus", on="tanggal_rapat")


@pytest.mark.parametrize(("eligible", "percent", "more_than", "minimum"), [
    (5, 50, True, 3), (4, 50, True, 3), (4, 50, False, 2), (200, 50, True, 101), (200, 50, False, 100),
    (200, 20, False, 40), (201, 20, False, 41), (3, 100, False, 3), (7, 66, True, 5),
])
def test_the_fewest_present_that_reach_a_quorum(eligible: int, percent: int, more_than: bool, minimum: int) -> None:
    rule = Rule(percent, more_than)
    assert rule.minimum(eligible) == minimum
    assert rule.reached(minimum, eligible) and not rule.reached(minimum - 1, eligible)


def test_nobody_who_could_attend_means_no_quorum() -> None:
    assert not Rule(50, False).reached(0, 0)


def test_a_typed_list_is_split_on_commas_and_sorted() -> None:
    assert parse_value("hadir", HADIR, " sri, bambang ;dwi,\n", {}) == ["bambang", "dwi", "sri"]
    assert parse_value("hadir", HADIR, " , ", {}) is None
    assert validate_value("hadir", HADIR, "bambang", {}) is not None
    assert format_value(HADIR, ["bambang", "dwi"]) == "2 hadir: bambang, dwi"
    assert format_value(HADIR, [f"KKMP-STN-{n:04d}" for n in range(41)]) == "41 hadir"


def test_only_those_who_could_attend_are_listed_once_as_the_roster_spells_them() -> None:
    keys, problems = check_list("hadir", HADIR, ["Sri", "bambang", "wahyu", "BAMBANG", "fajar"], PENGURUS)
    assert keys == ["bambang", "sri"]
    assert [str(p) for p in problems] == [
        "Pengurus yang hadir (hadir): tidak menjabat sebagai Pengurus pada 20 November 2026: wahyu, fajar",
        "Pengurus yang hadir (hadir): tercatat lebih dari sekali: bambang"]


def test_the_quorum_reads_the_cooperatives_settings_and_refuses_a_bad_one() -> None:
    block = Attendance(field="hadir", percent="kuorum", more_than="lebih")
    assert rule_for(block, {"kuorum": 50, "lebih": False}) == Rule(50, False)
    assert rule_for(Attendance(field="hadir"), {}) is None
    for settings in ({"kuorum": 0, "lebih": True}, {"kuorum": "50", "lebih": True}, {"kuorum": 50, "lebih": "ya"}):
        with pytest.raises(ValidationError, match="Setting koperasi tidak sah"):
            rule_for(block, settings)


def test_the_tally_and_its_sentence() -> None:
    counted = tally(["bambang", "dwi", "rina"], PENGURUS, Rule(50, True))
    assert counted.sentence() == "Hadir 3 dari 5 pengurus (kuorum kehadiran tercapai: lebih dari 50%)."
    assert tally(["rina"], PENGURUS, Rule(50, True)).sentence() == (
        "Hadir 1 dari 5 pengurus (kuorum kehadiran tidak tercapai: lebih dari 50%).")
    present, absent, unknown = split(PENGURUS, ["dwi", "sri", "wahyu"])
    assert [a.key for a in present] == ["dwi", "sri"] and len(absent) == 3 and unknown == ["wahyu"]
