"""SOP-KEL-03 Keputusan Rapat Pengurus: a meeting with a daftar hadir, decided by the pengurus present."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "keputusan_rapat_pengurus"
ALL = "bambang,dwi,endang,rina,sri"  # the five pengurus in office on 20 November 2026 (wahyu's term ended)


def drafted(services: Services, files: Files, present: str, day: str = "2026-11-20") -> str:
    return start(services, WF, "rina", {"judul": "Jam buka gerai", "uraian": "Gerai buka 07.00-21.00",
                                         "tanggal_rapat": day, "hadir": present}, pdfs(files, "notulen"))


def voting(services: Services, files: Files, present: str = ALL) -> str:
    number = drafted(services, files, present)
    act(services, number, "ajukan", "rina")
    return number


def test_the_pengurus_present_decide_by_the_quorum_of_the_ad(services: Services, files) -> None:
    number = voting(services, files, "bambang,dwi,rina,sri")
    shown = {name: value for name, _, value in services.show(number, None).fields}
    assert shown["hadir"] == "4 hadir: bambang, dwi, rina, sri"
    assert not act(services, number, "setujui", "bambang").fired
    assert not act(services, number, "setujui", "dwi").fired
    assert act(services, number, "setujui", "sri").fired
    assert state(services, number) == "ditetapkan"


@pytest.mark.parametrize(("present", "seen"), [("rina", 1), ("dwi,rina", 2)])
def test_a_meeting_below_the_attendance_quorum_cannot_decide_and_nothing_is_saved(
        services: Services, files, present: str, seen: int) -> None:
    number = drafted(services, files, present)
    refused(services, number, "ajukan", "rina", ValidationError,
            rf"Hadir {seen} dari 5 pengurus; kuorum kehadiran memerlukan lebih dari 50% \(minimal 3\)")
    assert state(services, number) == "usulan"


def test_a_pengurus_not_present_cannot_vote(services: Services, files) -> None:
    number = voting(services, files, "bambang,dwi,rina")
    for action, comment in (("setujui", None), ("tolak", "Tidak setuju")):
        refused(services, number, action, "endang", PermissionDeniedError, "tidak tercatat hadir pada rapat ini",
                comment=comment)
    # rina proposed: of the three present only two may vote, and the quorum is three
    option = next(o for o in services.show(number, "bambang").options if o.id == "setujui")
    assert option.allowed and "kuorum 3 tidak mungkin tercapai, hanya 2 orang" in (option.reason or "")
    endang = next(o for o in services.show(number, "endang").options if o.id == "setujui")
    assert not endang.allowed and "tidak tercatat hadir" in (endang.reason or "")
    assert endang.id not in {o.id for _, options in services.tasks("endang") for o in options}


def test_only_pengurus_in_office_on_the_meeting_date_can_be_listed(services: Services, files) -> None:
    number = drafted(services, files, ALL)
    refused(services, number, "ajukan", "rina", ValidationError,
            "tidak menjabat sebagai Pengurus pada 20 November 2026: fajar, wahyu",
            values={"hadir": ALL + ",wahyu,fajar"})
    # on 15 December 2025 wahyu was still bendahara and sri not yet
    earlier = drafted(services, files, "bambang,dwi,wahyu", day="2025-12-15")
    act(services, earlier, "ajukan", "rina")
    assert state(services, earlier) == "pemungutan_suara"
    with pytest.raises(ValidationError, match="tidak menjabat sebagai Pengurus pada 15 Desember 2025: sri"):
        drafted(services, files, "bambang,dwi,sri", day="2025-12-15")


def test_names_are_stored_as_the_roster_spells_them_sorted_and_once(services: Services, files) -> None:
    number = drafted(services, files, " Sri, bambang ,DWI")
    shown = {name: value for name, _, value in services.show(number, None).fields}
    assert shown["hadir"] == "3 hadir: bambang, dwi, sri"
    refused(services, number, "ajukan", "rina", ValidationError, "tercatat lebih dari sekali: dwi",
            values={"hadir": "bambang,dwi,Dwi,sri"})


def test_the_attendance_quorum_is_its_own_ad_setting(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"kuorum_hadir_rapat_pengurus_persen": 80})
    number = drafted(services, files, "bambang,dwi,endang,rina")
    refused(services, number, "ajukan", "rina", ValidationError,
            r"Hadir 4 dari 5 pengurus; kuorum kehadiran memerlukan lebih dari 80% \(minimal 5\)")
    act(services, number, "ajukan", "rina", values={"hadir": ALL})
    for pengurus in ("bambang", "dwi"):
        assert not act(services, number, "setujui", pengurus).fired
    assert act(services, number, "setujui", "sri").fired  # the vote quorum is still kuorum_keputusan_pengurus (3)
