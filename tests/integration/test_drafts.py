"""A draft belongs to the person who started the case: only they edit, submit or cancel it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.adapters.store.models import AuditEntry
from engine.errors import AlreadyDecidedError, PermissionDeniedError, ValidationError
from engine.services import Services
from tests.helpers import COOP, KAS_DRAFT_CHECKS, start_kas


def trail_size(services: Services) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_another_role_holder_cannot_take_over_a_draft(services: Services, files) -> None:
    number = start_kas(services, 4_900_000, files("nota.pdf"))  # the manajer's draft
    before, entries = services.show(number, "sri"), trail_size(services)
    with pytest.raises(PermissionDeniedError, match="Draf ini milik pembuatnya") as refused:
        services.act(number, "ajukan_ke_ketua", "sri", values={"penerima": "Sri Handayani"}, checks=KAS_DRAFT_CHECKS,
                     files={"nota": files("palsu.pdf")})
    assert refused.value.rule == "pemilik_draf"
    after = services.show(number, "sri")
    assert (after.summary.state, after.fields) == (before.summary.state, before.fields)
    assert trail_size(services) == entries


def test_nobody_else_sees_a_draft_in_their_tasks(services: Services, files) -> None:
    number = start_kas(services, 100_000, files("nota.pdf"))
    assert number in {s.number for s, _ in services.tasks("fajar")}
    assert all(s.number != number for user in ("sri", "bambang") for s, _ in services.tasks(user))
    view = services.show(number, "sri")
    assert not any(o.allowed for o in view.options)
    assert {o.reason for o in view.options} == {
        "Draf ini milik pembuatnya: hanya dia yang dapat mengubah, mengajukan atau membatalkannya."}


def test_the_maker_cancels_a_draft_with_a_reason_on_the_trail(services: Services, files) -> None:
    number = start_kas(services, 100_000, files("nota.pdf"))
    with pytest.raises(ValidationError, match="catatan"):
        services.act(number, "batalkan_draf", "fajar")
    with pytest.raises(PermissionDeniedError, match="Draf ini milik pembuatnya"):
        services.act(number, "batalkan_draf", "sri", comment="Bukan urusan saya")
    result = services.act(number, "batalkan_draf", "fajar", comment="Salah input, diganti KAS berikutnya")
    assert (result.fired, result.to_state, result.state_title) == (True, "dibatalkan", "Dibatalkan oleh pembuatnya")
    view = services.show(number, "fajar")
    assert view.summary.final and not view.options
    assert [(e.action, e.actor, e.comment) for e in view.history][-1] == (
        "batalkan_draf", "fajar", "Salah input, diganti KAS berikutnya")
    assert all(r.ok for r in services.verify(COOP))
    assert number not in {s.number for s, _ in services.tasks("fajar")}


def test_a_submitted_case_can_no_longer_be_cancelled_as_a_draft(services: Services, files) -> None:
    number = start_kas(services, 100_000, files("nota.pdf"))
    services.act(number, "ajukan", "fajar", checks=KAS_DRAFT_CHECKS)
    with pytest.raises(AlreadyDecidedError, match=r"sudah diputuskan oleh fajar .* dengan aksi 'ajukan'"):
        services.act(number, "batalkan_draf", "fajar", comment="Terlambat")
