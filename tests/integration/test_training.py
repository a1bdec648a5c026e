"""Training mode: a person's sandbox cooperative runs whole procedures and leaves the real ones untouched."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from engine.adapters.store.models import (
    AuditEntry,
    AuditHead,
    Case,
    CaseEvent,
    Cooperative,
    IssuedDocument,
    Member,
    RoleAssignment,
)
from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from engine.services.dto import Membership, User
from engine.services.training import OWNER_SETTING, trail_comment
from tests.helpers import COOP, KAS_DRAFT_CHECKS, KAS_PAY_CHECKS, KAS_VERIFY_CHECKS

KAS = {"keperluan": "Latihan: beli alat tulis", "jumlah": "750.000", "pos_rapb": "Alat tulis kantor",
       "penerima": "Toko Latihan"}


def snapshot(services: Services, slug: str) -> dict[str, Any]:
    """Everything of a cooperative the sandbox must never touch, as plain values."""
    with services.db.reader() as session:
        coop = session.scalar(select(Cooperative).where(Cooperative.slug == slug))
        assert coop is not None
        head = session.get_one(AuditHead, coop.id)
        return {
            "coop": (coop.name, coop.settings, coop.training),
            "head": (head.size, head.root, head.frontier),
            "entries": [(e.seq, e.body, e.leaf_hash) for e in session.scalars(
                select(AuditEntry).where(AuditEntry.coop_id == coop.id).order_by(AuditEntry.seq))],
            "cases": [(c.number, c.state, c.data, c.version, c.step_no) for c in session.scalars(
                select(Case).where(Case.coop_id == coop.id).order_by(Case.id))],
            "events": session.scalars(select(CaseEvent.seq).where(CaseEvent.coop_id == coop.id)
                                      .order_by(CaseEvent.seq)).all(),
            "members": [(m.number, m.full_name, m.nik, m.joined_on, m.left_on, m.status) for m in session.scalars(
                select(Member).where(Member.coop_id == coop.id).order_by(Member.number))],
            "terms": [(t.person_id, t.role, t.starts_on, t.ends_on) for t in session.scalars(
                select(RoleAssignment).where(RoleAssignment.coop_id == coop.id).order_by(RoleAssignment.id))],
            "issued": session.scalars(select(IssuedDocument.id).where(IssuedDocument.coop_id == coop.id)).all(),
        }


def run_kas(services: Services, slug: str, files) -> str:  # type: ignore[no-untyped-def]
    """A whole pengeluaran kas in the sandbox: the manajer and ketua are colleagues, the bendahara is sri."""
    t = services.training
    manajer, ketua = "latihan.sri.manajer", "latihan.sri.ketua"
    number = t.start_as("sri", manajer, slug, "pengeluaran_kas", values=KAS, files={"nota": files("nota.pdf")},
                        comment=None)
    t.act_as("sri", manajer, slug, number, "ajukan", values={}, checks=KAS_DRAFT_CHECKS, comment="Mohon diperiksa",
             files={}, expected_step=0, session_token=None)
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS, coop_slug=slug)
    t.act_as("sri", ketua, slug, number, "setujui", values={}, checks=[], comment=None, files={},
             expected_step=None, session_token=None)
    services.act(number, "bayar", "sri", checks=KAS_PAY_CHECKS, files={"kuitansi": files("kuitansi.pdf")},
                 coop_slug=slug)
    return number


def test_a_whole_procedure_in_the_sandbox_leaves_the_real_cooperative_byte_for_byte_unchanged(
        services: Services, files) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(services, COOP)
    sandbox = services.training.open_for("sri")
    assert sandbox.slug == "latihan-sri" and sandbox.created
    assert sandbox.name == "Koperasi Latihan – Sri Handayani"
    assert "bendahara" in sandbox.trainee_roles  # the seat she holds in her real cooperative
    seats = {r for c in sandbox.colleagues for r in c.roles}
    assert {"ketua", "sekretaris", "manajer", "ketua_pengawas", "pengawas", "anggota"} <= seats
    assert "bendahara" not in seats  # a one-seat role: hers
    assert all(c.username.startswith("latihan.sri.") and "(rekan latihan)" in c.name for c in sandbox.colleagues)

    number = run_kas(services, sandbox.slug, files)

    view = services.show(number, "sri", coop_slug=sandbox.slug)
    assert view.summary.final and view.summary.state == "dibayar"
    by = {e.action: e for e in view.history}
    assert by["ajukan"].actor == "latihan.sri.manajer" and by["setujui"].actor == "latihan.sri.ketua"
    assert by["ajukan"].comment == trail_comment("sri", "Mohon diperiksa")
    assert by["setujui"].comment == "[Latihan: dilakukan oleh sri]"
    assert by["verifikasi"].actor == "sri" and by["verifikasi"].comment is None  # her own step: no prefix

    assert snapshot(services, COOP) == before  # head, entries, cases, events, members, terms, documents
    report = services.verify(sandbox.slug)[0]
    assert report.ok and report.size == len(snapshot(services, sandbox.slug)["entries"]) > 0
    assert sandbox.slug not in {r.coop for r in services.verify()}  # "all" is the real cooperatives
    assert COOP in {r.coop for r in services.verify()}
    assert sandbox.slug not in {c.slug for c, _, _ in services.cooperatives()}
    assert all(s.coop != sandbox.slug for s in services.list_cases())
    assert [s.number for s in services.list_cases(sandbox.slug)] == [number]


def test_the_sandbox_is_reused_and_has_a_member_register_of_its_own(services: Services) -> None:
    real_members = services.members.register(COOP)
    first = services.training.open_for("sri")
    again = services.training.open_for("sri")
    assert again.slug == first.slug and not again.created
    register = services.members.register(first.slug)
    assert len(register) >= 2 and register[0].name == "Sri Handayani"
    assert services.members.register(COOP) == real_members
    with services.db.reader() as session:
        coop = session.scalar(select(Cooperative).where(Cooperative.slug == first.slug))
        assert coop is not None and coop.training and coop.settings[OWNER_SETTING] == "sri"


def test_the_sandbox_is_not_on_the_dinas_overview_nor_among_real_tasks(services: Services, files) -> None:  # type: ignore[no-untyped-def]
    sandbox = services.training.open_for("sri")
    t = services.training
    number = t.start_as("sri", "latihan.sri.manajer", sandbox.slug, "pengeluaran_kas", values=KAS,
                        files={"nota": files("nota.pdf")}, comment=None)
    t.act_as("sri", "latihan.sri.manajer", sandbox.slug, number, "ajukan", values={}, checks=KAS_DRAFT_CHECKS,
             comment=None, files={}, expected_step=None, session_token=None)
    assert number not in {s.number for s, _ in services.tasks("sri") if s.coop == sandbox.slug}
    assert all(s.coop != sandbox.slug for s, _ in services.tasks("sri"))
    assert [s.number for s, _ in services.tasks("sri", sandbox.slug)] == [number]

    officer = User(0, "dinas", "Dinas", (
        Membership(COOP, "KKMP", None, frozenset({"dinas"})),
        Membership(sandbox.slug, sandbox.name, None, frozenset({"dinas"}), True),
        Membership(sandbox.slug + "-x", "lain", None, frozenset({"dinas"}))))
    assert [r.slug for r in services.dinas_overview(officer)] == [COOP]
    # even a membership not flagged as training (the database decides) is left out
    stale = User(0, "dinas", "Dinas", (Membership(COOP, "KKMP", None, frozenset({"dinas"})),
                                       Membership(sandbox.slug, sandbox.name, None, frozenset({"dinas"}))))
    assert [r.slug for r in services.views.dinas_overview(stale, {COOP: (True, 1), sandbox.slug: (True, 1)})] \
        == [COOP]
    user = services.user(_person_id(services, "sri"))
    assert user is not None
    assert [m.training for m in user.memberships if m.slug == sandbox.slug] == [True]


def _person_id(services: Services, username: str) -> int:
    from engine.adapters.store.models import Person

    with services.db.reader() as session:
        person = session.scalar(select(Person).where(Person.username == username))
        assert person is not None
        return person.id


def test_only_the_owner_acts_as_a_colleague_and_only_in_a_sandbox(services: Services, files) -> None:  # type: ignore[no-untyped-def]
    sandbox = services.training.open_for("sri")
    t = services.training
    number = t.start_as("sri", "latihan.sri.manajer", sandbox.slug, "pengeluaran_kas", values=KAS,
                        files={"nota": files("nota.pdf")}, comment=None)
    saved = snapshot(services, sandbox.slug)
    real = snapshot(services, COOP)

    with pytest.raises(PermissionDeniedError, match="pemilik"):  # bambang is not the owner of sri's sandbox
        t.act_as("bambang", "latihan.sri.manajer", sandbox.slug, number, "ajukan", values={},
                 checks=KAS_DRAFT_CHECKS, comment=None, files={}, expected_step=None, session_token=None)
    with pytest.raises(PermissionDeniedError, match="rekan latihan"):  # a real person is no colleague
        t.act_as("sri", "fajar", sandbox.slug, number, "ajukan", values={}, checks=KAS_DRAFT_CHECKS,
                 comment=None, files={}, expected_step=None, session_token=None)
    # in a real cooperative nobody acts as anyone else, not even as her own practice colleague
    with pytest.raises(PermissionDeniedError, match="koperasi latihan"):
        t.colleague("sri", COOP, "fajar")
    with pytest.raises(PermissionDeniedError, match="koperasi latihan"):
        t.start_as("sri", "fajar", COOP, "pengeluaran_kas", values=KAS, files={"nota": files("n2.pdf")},
                   comment=None)
    with pytest.raises(PermissionDeniedError, match="koperasi latihan"):
        t.act_as("sri", "latihan.sri.ketua", COOP, number, "setujui", values={}, checks=[], comment=None,
                 files={}, expected_step=None, session_token=None)
    # the engine applies every rule to the colleague: the ketua cannot verify as bendahara
    t.act_as("sri", "latihan.sri.manajer", sandbox.slug, number, "ajukan", values={}, checks=KAS_DRAFT_CHECKS,
             comment=None, files={}, expected_step=None, session_token=None)
    after_submit = snapshot(services, sandbox.slug)
    with pytest.raises(PermissionDeniedError):
        t.act_as("sri", "latihan.sri.ketua", sandbox.slug, number, "verifikasi", values={},
                 checks=KAS_VERIFY_CHECKS, comment=None, files={}, expected_step=None, session_token=None)
    assert snapshot(services, sandbox.slug) == after_submit
    assert saved["head"][0] + 1 == after_submit["head"][0]
    # a reason the action needs is still needed: the trail's prefix is not one
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS, coop_slug=sandbox.slug)
    verified = snapshot(services, sandbox.slug)
    with pytest.raises(ValidationError) as refused:
        t.act_as("sri", "latihan.sri.ketua", sandbox.slug, number, "kembalikan", values={}, checks=[],
                 comment="  ", files={}, expected_step=None, session_token=None)
    assert [p.name for p in refused.value.problems] == ["comment"]
    assert snapshot(services, sandbox.slug) == verified
    assert snapshot(services, COOP) == real


def test_reset_opens_a_fresh_sandbox_and_keeps_the_old_trail(services: Services, files) -> None:  # type: ignore[no-untyped-def]
    first = services.training.open_for("sri")
    run_kas(services, first.slug, files)
    old = snapshot(services, first.slug)
    fresh = services.training.reset("sri")
    assert fresh.slug == "latihan-sri-2" and fresh.created
    assert services.training.current("sri") == fresh.__class__(**{**fresh.__dict__, "created": False})
    assert services.list_cases(fresh.slug) == []
    kept = snapshot(services, first.slug)
    assert kept["entries"] == old["entries"] and kept["head"] == old["head"] and kept["cases"] == old["cases"]
    assert services.verify(first.slug)[0].ok
    assert services.verify(fresh.slug)[0].ok
    # the old sandbox leaves her memberships; its colleagues are the same people in the new one
    user = services.user(_person_id(services, "sri"))
    assert user is not None
    assert {m.slug for m in user.memberships if m.training} == {fresh.slug}
    assert {c.username for c in fresh.colleagues} == {c.username for c in first.colleagues}
    assert services.training.reset("sri").slug == "latihan-sri-3"


def test_a_sandbox_document_is_marked_and_never_entered_in_the_register(services: Services, files) -> None:  # type: ignore[no-untyped-def]
    sandbox = services.training.open_for("sri")
    number = run_kas(services, sandbox.slug, files)
    with services.db.reader() as session:
        issued_before = len(session.scalars(select(IssuedDocument.id)).all())
    pdf = services.documents.minutes(number, sandbox.slug)
    assert not pdf.recorded
    text = " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "LATIHAN" in text and "bukan dokumen resmi" in text
    with services.db.reader() as session:
        assert len(session.scalars(select(IssuedDocument.id)).all()) == issued_before


def test_a_practice_colleague_opens_no_sandbox_and_the_role_is_checked(services: Services) -> None:
    services.training.open_for("sri")
    with pytest.raises(PermissionDeniedError):
        services.training.open_for("latihan.sri.ketua")
    with pytest.raises(ValidationError, match="Peran latihan"):
        services.training.open_for("bambang", role="presiden")
    chosen = services.training.open_for("bambang", role="sekretaris")
    assert "sekretaris" in chosen.trainee_roles and "ketua" not in chosen.trainee_roles
    assert "latihan.bambang.ketua" in {c.username for c in chosen.colleagues}
