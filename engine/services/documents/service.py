"""Document use cases over the engine's services: render, embed proof, record the SHA-256."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.render.cache import content_key
from engine.adapters.render.common import DocMeta, OrgInfo, Signer
from engine.adapters.render.evidence import DefinitionEvidence, Evidence, LogEvidence
from engine.adapters.render.formatting import tanggal, tanggal_waktu
from engine.adapters.render.issue import IssuedPdf, render_document
from engine.adapters.render.pdf import document_time
from engine.adapters.render.workbook import example_budget, read_workbook, write_workbook
from engine.adapters.store.db import Database, as_utc
from engine.adapters.store.models import (
    AuditEntry,
    CaseEvent,
    Checkpoint,
    Cooperative,
    DefinitionRecord,
    Person,
)
from engine.audit.findings import find
from engine.audit.keys import Signer as KeySigner
from engine.domain.budget import SECTIONS, BudgetData, Line, PlanItem, budget_view
from engine.domain.definitions.model import Definition
from engine.domain.roles import role_label
from engine.errors import ConfigurationError, NotFoundError, PermissionDeniedError
from engine.services.budgets import (
    PLANNER_ROLES,
    BudgetCase,
    approval_problem,
    budget_cases,
    load_budget,
    save_budget,
    sync_ratification,
)
from engine.services.calendars import calendar_for
from engine.services.context import Context, rosters
from engine.services.documents.audit_report import audit_number, audit_view, period_bounds
from engine.services.documents.cache import DocumentBuilds, Prepared, Recipe
from engine.services.documents.evidence import log_evidence
from engine.services.documents.lookups import holders, signer_for
from engine.services.documents.minutes import action_label, minutes_view
from engine.services.documents.register import record_issue
from engine.services.documents.sop import midnight, sop_date, sop_number, sop_view, sort_key
from engine.services.documents.tally import findings_in_words
from engine.services.documents.verify import PdfVerification, verify_pdf

__all__ = ["TRAINING_MARK", "BudgetImport", "BudgetSection", "BudgetSummary", "DocumentService"]

#: What every page of a document rendered for a sandbox cooperative ("latihan") says.
TRAINING_MARK = "LATIHAN — bukan dokumen resmi"


def _marked(meta: DocMeta, coop: Cooperative | None) -> DocMeta:
    """A sandbox's document: marked on every page (never entered in the register of issued documents)."""
    if coop is None or not coop.training:
        return meta
    return dataclasses.replace(meta, header=f"{TRAINING_MARK} · {meta.header}", training=True)


@dataclass(frozen=True)
class BudgetImport:
    """What an XLSX import stored."""

    coop: str
    year: int
    revision: int
    status: str
    lines: dict[str, int]
    plan_items: int
    changed: bool


@dataclass(frozen=True)
class BudgetSection:
    """One RAPB section as the Dokumen page lists it: its lines and its total plan."""

    code: str
    title: str
    lines: tuple[Line, ...]
    total: int


@dataclass(frozen=True)
class BudgetSummary:
    """The stored RAPB/RK of one year, as the Dokumen page shows it after an upload."""

    year: int
    revision: int
    status: str
    updated_at: datetime
    source_name: str | None
    sections: tuple[BudgetSection, ...]
    plan: tuple[PlanItem, ...]

    @property
    def line_count(self) -> int:
        """How many RAPB lines."""
        return sum(len(section.lines) for section in self.sections)


class DocumentService:
    """Issue the cooperative's documents from one engine instance (its database, key and workflows)."""

    def __init__(self, ctx: Context) -> None:
        from engine.services.documents.signing import DocumentSigning

        self.ctx = ctx
        self.signing = DocumentSigning(ctx.settings)
        self.builds = DocumentBuilds(ctx.settings, self._make, self._still_valid)

    # -- helpers -------------------------------------------------------------------------

    @property
    def _db(self) -> Database:
        return self.ctx.db

    def _signer(self) -> KeySigner | None:
        try:
            return self.ctx.signer
        except ConfigurationError:
            return None

    def _schema_ready(self) -> bool:
        path = self._db.sqlite_path
        if self._db.dialect == "sqlite" and (path is None or not path.exists()):
            return False  # do not create an empty database file just to find it has no schema
        try:
            return bool(self._db.schema_is_current())
        except Exception:  # no database file or server: render without recording
            return False

    def _finish(self, issued: IssuedPdf, coop_id: int | None, subject: str | None, *, record: bool) -> IssuedPdf:
        issued = self.signing.sign(issued)  # PAdES over the final bytes; unsigned where no installation key exists
        if not record:
            return issued
        certificate = self.signing.identity() if issued.signed_by else None
        return record_issue(self._db, coop_id, issued, subject, self.ctx.clock(), certificate=certificate)

    def _when(self, moment: datetime) -> datetime:
        return document_time(moment, self.ctx.settings.source_date_epoch)

    def _log(self, session: Session, coop: Cooperative, seqs: Sequence[int], at_size: int | None = None
             ) -> LogEvidence:
        return log_evidence(session, coop, seqs, at_size=at_size, signer=self._signer(), now=self.ctx.clock())

    # -- SOP and Buku SOP: built once per content, off the request path (see documents/cache.py) ------

    def _recipe(self, template: str, meta: DocMeta, evidence: Evidence, context: dict[str, Any],
                coop_id: int | None, subject: str | None, *, record: bool,
                log: Callable[[], LogEvidence] | None) -> Recipe:
        identity = self.signing.identity()
        key = content_key({
            "template": template, "meta": meta, "context": context, "with_log": log is not None,
            "evidence": {"number": evidence.number, "kind": evidence.kind, "title": evidence.title,
                         "coop": evidence.coop, "subject": evidence.subject,
                         "definitions": [(d.ref, d.sha256) for d in evidence.definitions]},
            "signer": identity.fingerprint if identity is not None else None,
        })
        return Recipe(key, template, meta, evidence, context, coop_id, subject, record, log)

    def _make(self, recipe: Recipe) -> IssuedPdf:
        evidence = recipe.evidence if recipe.log is None else dataclasses.replace(recipe.evidence, log=recipe.log())
        return self.signing.sign(render_document(recipe.template, recipe.meta, evidence, recipe.context))

    def _still_valid(self, recipe: Recipe, issued: IssuedPdf) -> bool:
        """A kept document may be served again when the checkpoint it carries is one of this database's."""
        if issued.log_size is None or issued.log_root is None:
            return recipe.log is None
        if recipe.coop_id is None:
            return False
        with self._db.session() as session:
            return session.scalar(select(Checkpoint.id).where(
                Checkpoint.coop_id == recipe.coop_id, Checkpoint.size == issued.log_size,
                Checkpoint.root == issued.log_root).limit(1)) is not None

    def _latest_log(self, coop_slug: str) -> Callable[[], LogEvidence]:
        def read() -> LogEvidence:
            with self._db.session() as session:
                return self._log(session, self.ctx.coop(session, coop_slug), [])
        return read

    def hand_out(self, prepared: Prepared, issued: IssuedPdf) -> IssuedPdf:
        """Record a prepared document as issued (once per number and SHA-256) and return it."""
        recipe = prepared.recipe
        if not recipe.record:
            return issued
        certificate = self.signing.identity() if issued.signed_by else None
        return record_issue(self._db, recipe.coop_id, issued, recipe.subject, self.ctx.clock(),
                            certificate=certificate)

    def _issue(self, recipe: Recipe) -> IssuedPdf:
        return self.hand_out(Prepared(recipe), self.builds.get(recipe))

    def _sop_recipe(self, workflow_id: str, coop_slug: str | None) -> Recipe:
        loaded = self.ctx.registry.get(workflow_id)
        number = sop_number(loaded)
        coop_id: int | None = None
        training = False
        if coop_slug:
            self._db.require_schema()
            with self._db.session() as session:
                coop = self.ctx.coop(session, coop_slug)
                coop_id, training = coop.id, coop.training
                org = OrgInfo.of(coop)
                view = sop_view(session, loaded, coop)
        else:
            org = OrgInfo.of(None)
            view = sop_view(None, loaded, None)
        d = loaded.definition
        when = self._when(midnight(sop_date(loaded)))
        meta = DocMeta(number, "sop", f"Standar Operasional Prosedur {d.title}", loaded.pinned_ref, org.name,
                       f"{org.name} · {d.sop.nomor} · {d.title}", when)
        if training:
            meta = dataclasses.replace(meta, header=f"{TRAINING_MARK} · {meta.header}", training=True)
        evidence = Evidence(number, "sop", meta.title, coop_slug, loaded.pinned_ref, None,
                            (DefinitionEvidence.of(loaded),))
        return self._recipe("sop.html", meta, evidence, {"org": org, "s": view}, coop_id, loaded.pinned_ref,
                            record=(bool(coop_slug) or self._schema_ready()) and not training,
                            log=self._latest_log(coop_slug) if coop_slug else None)

    def sop(self, workflow_id: str, coop_slug: str | None = None) -> IssuedPdf:
        """The SOP document (Permenpan-RB 35/2012) of one workflow; with a cooperative, names and settings."""
        return self._issue(self._sop_recipe(workflow_id, coop_slug))

    def prepare_sop(self, workflow_id: str, coop_slug: str | None = None) -> Prepared:
        """The SOP from the cache, or its build started on the worker thread (hand it out with :meth:`hand_out`)."""
        return self.builds.prepare(self._sop_recipe(workflow_id, coop_slug))

    def _book_recipe(self, coop_slug: str) -> Recipe:
        definitions = sorted(self.ctx.registry.all(), key=sort_key)
        day = max(sop_date(x) for x in definitions)
        self._db.require_schema()
        with self._db.session() as session:
            coop = self.ctx.coop(session, coop_slug)
            org = OrgInfo.of(coop)
            training = coop.training
            views = [sop_view(session, x, coop) for x in definitions]
            ratify = [signer_for(session, coop, "ketua", day, caption="Ditetapkan oleh"),
                      signer_for(session, coop, "sekretaris", day, caption=""),
                      signer_for(session, coop, "ketua_pengawas", day, caption="Mengetahui")]
            coop_id = coop.id
        number = f"BUKU-SOP-{day.year}"
        when = self._when(midnight(day))
        meta = DocMeta(number, "buku_sop", f"Buku Standar Operasional Prosedur {org.name}",
                       f"{len(views)} prosedur", org.name, f"{org.name} · Buku SOP {day.year}", when)
        if training:
            meta = dataclasses.replace(meta, header=f"{TRAINING_MARK} · {meta.header}", training=True)
        evidence = Evidence(number, "buku_sop", meta.title, coop_slug, meta.subject, None,
                            tuple(DefinitionEvidence.of(x) for x in definitions))
        categories: dict[str, int] = {}
        for v in views:
            categories[v.category] = categories.get(v.category, 0) + 1
        context = {"org": org, "sops": views, "year": day.year, "date": tanggal(day), "signers": ratify,
                   "categories": categories, "place_date": f"{org.town}, {tanggal(day)}"}
        return self._recipe("buku_sop.html", meta, evidence, context, coop_id, meta.subject, record=not training,
                            log=self._latest_log(coop_slug))

    def book(self, coop_slug: str) -> IssuedPdf:
        """The Buku SOP: every procedure of the cooperative with cover, pengesahan and table of contents."""
        return self._issue(self._book_recipe(coop_slug))

    def prepare_book(self, coop_slug: str) -> Prepared:
        """The Buku SOP from the cache, or its build started on the worker thread."""
        return self.builds.prepare(self._book_recipe(coop_slug))

    # -- Berita Acara ---------------------------------------------------------------------

    def minutes(self, case_number: str, coop_slug: str | None = None) -> IssuedPdf:
        """The Berita Acara of a decided case, with its entries, inclusion proofs and checkpoint embedded."""
        self._db.require_schema()
        with self._db.session() as session:
            case = self.ctx.find_case(session, case_number, coop_slug, None, lock=False)
            coop = session.get_one(Cooperative, case.coop_id)
            record = session.get_one(DefinitionRecord, case.definition_id)
            loaded = self.ctx.pinned(record)
            view = minutes_view(session, case, coop, loaded, self.ctx.tz)
            seqs = list(session.scalars(select(AuditEntry.seq).where(AuditEntry.case_id == case.id)))
            log = self._log(session, coop, seqs, at_size=max(seqs))
            org = OrgInfo.of(coop)
            coop_id = coop.id
        number = view.number
        title = f"Berita Acara {loaded.definition.title}"
        meta = _marked(DocMeta(number, "berita_acara", title, case.number, org.name,
                               f"{org.name} · Berita Acara kasus {case.number}", self._when(view.decided)), coop)
        evidence = Evidence(number, "berita_acara", title, coop.slug, case.number, log)
        issued = render_document("berita_acara.html", meta, evidence, {"org": org, "m": view})
        return self._finish(issued, coop_id, case.number, record=not meta.training)

    # -- audit report ---------------------------------------------------------------------

    def audit_report(self, coop_slug: str, start: date, end: date) -> IssuedPdf:
        """The pengawas' report of the trail over a period, with the log's verification status."""
        self._db.require_schema()
        titles: dict[str, str] = {}
        with self._db.session() as session:
            coop = self.ctx.coop(session, coop_slug)
            for workflow_id, title in session.execute(select(DefinitionRecord.workflow_id, DefinitionRecord.title)
                                                      .order_by(DefinitionRecord.version)):
                titles[workflow_id] = title  # every procedure in the log is registered; newest title wins
            records = {r.pinned_ref: r for r in session.scalars(select(DefinitionRecord))}

            def states(ref: str) -> Definition | None:
                record = records.get(ref)
                return self.ctx.pinned(record).definition if record is not None else None

            view = audit_view(session, coop, start, end, self.ctx.tz, titles, states)
            found = find(session, coop, self.ctx.pinned, start=start, end=end, now=self.ctx.clock(),
                         tz=self.ctx.tz, calendar=calendar_for(self.ctx.settings, coop.settings)).findings
            temuan = findings_in_words(session, coop, found, self.ctx.pinned)
            log = self._log(session, coop, view.seqs, at_size=view.proof_size)
            org = OrgInfo.of(coop)
            pengawas = [signer_for(session, coop, "ketua_pengawas", end, caption="Diterima oleh")]
            day = min(end, as_utc(view.checked_at).astimezone(self.ctx.tz).date())
            for person in self._holders(session, coop.id, "pengawas", end):
                pengawas.append(Signer(role_label("pengawas"), person, None, ""))
            coop_id = coop.id
        number = audit_number(start, end)
        title = "Laporan Jejak Persetujuan untuk Pengawas"
        meta = _marked(DocMeta(number, "laporan_audit", title, f"{start.isoformat()}..{end.isoformat()}", org.name,
                               f"{org.name} · {title}", self._when(view.checked_at)), coop)
        evidence = Evidence(number, "laporan_audit", title, coop.slug, meta.subject, log)
        context = {"org": org, "a": view, "signers": pengawas, "place_date": f"{org.town}, {tanggal(day)}",
                   "temuan": temuan}
        issued = render_document("laporan_audit.html", meta, evidence, context)
        return self._finish(issued, coop_id, meta.subject, record=not meta.training)

    @staticmethod
    def _holders(session: Session, coop_id: int, role: str, day: date) -> list[str]:
        return [p.full_name for p in holders(session, coop_id, role, day)]

    # -- Laporan Hasil Pengawasan ------------------------------------------------------------

    def lhp(self, coop_slug: str, start: date, end: date, *, actor: str | None = None) -> IssuedPdf:
        """The pengawas' Laporan Hasil Pengawasan over a period (see ``lhp.py``).

        ``actor`` (a user name; None from the command line): must be a pengawas of the cooperative or a Dinas
        officer on the day of the request, else PermissionDeniedError.
        """
        from engine.services.documents.lhp import lhp_number, lhp_view

        self._db.require_schema()
        with self._db.session() as session:
            coop = self.ctx.coop(session, coop_slug)
            if actor is not None:
                person = self.ctx.person(session, actor)
                held = rosters(session, [coop.id])[coop.id].roles_on(person.id, self.ctx.today())
                if not held & {"pengawas", "ketua_pengawas", "dinas"}:
                    raise PermissionDeniedError(f"Laporan Hasil Pengawasan {coop.name} hanya untuk pengawas "
                                                "koperasi dan petugas Dinas.")
            calendar = calendar_for(self.ctx.settings, coop.settings)
            found = find(session, coop, self.ctx.pinned, start=start, end=end, now=self.ctx.clock(),
                         tz=self.ctx.tz, calendar=calendar).findings
            view = lhp_view(session, coop, start, end, self.ctx.tz, findings=found, now=self.ctx.clock(),
                            definition=lambda record: self.ctx.pinned(record).definition, calendar=calendar)
            log = self._log(session, coop, [])
            org = OrgInfo.of(coop)
            signers = [signer_for(session, coop, "ketua_pengawas", end, caption="")]
            signers += [Signer(role_label("pengawas"), name, None, "")
                        for name in self._holders(session, coop.id, "pengawas", end)]
            coop_id = coop.id
            moment = min(self.ctx.clock(), period_bounds(start, end, self.ctx.tz)[1])
        number = lhp_number(start, end)
        title = "Laporan Hasil Pengawasan"
        day = moment.astimezone(self.ctx.tz).date()
        meta = _marked(DocMeta(number, "lhp", title, f"LHP {start.isoformat()}..{end.isoformat()}", org.name,
                               f"{org.name} · {title}", self._when(moment)), coop)
        evidence = Evidence(number, "lhp", title, coop.slug, meta.subject, log)
        context = {"org": org, "h": view, "signers": signers, "place_date": f"{org.town}, {tanggal(day)}"}
        issued = render_document("lhp.html", meta, evidence, context)
        return self._finish(issued, coop_id, meta.subject, record=not meta.training)

    def som(self, coop_slug: str, *, actor: str | None = None) -> IssuedPdf:
        """The Standar Operasional Manajemen as a PDF in the house style (see ``som.py``), entered in the
        register of issued documents; ``actor`` (None from the command line) must be pengurus, pengawas or
        Dinas of the cooperative today, else PermissionDeniedError."""
        from engine.services.documents.som import authorise_reader, som_number, som_view

        self._db.require_schema()
        definitions = sorted(self.ctx.registry.all(), key=sort_key)
        day = self.ctx.today()
        with self._db.session() as session:
            coop = self.ctx.coop(session, coop_slug)
            authorise_reader(self.ctx, session, coop, actor)
            view = som_view(session, coop, definitions, day)
            log = self._log(session, coop, [])
            org = OrgInfo.of(coop)
            signers = [signer_for(session, coop, "ketua", day, caption="Ditetapkan oleh"),
                       signer_for(session, coop, "sekretaris", day, caption=""),
                       signer_for(session, coop, "ketua_pengawas", day, caption="Mengetahui")]
            coop_id = coop.id
        number = som_number(day)
        title = "Standar Operasional Manajemen"
        meta = _marked(DocMeta(number, "som", f"{title} {org.name}", f"SOM {day.isoformat()}", org.name,
                               f"{org.name} · {title} (SOM)", self._when(self.ctx.clock())), coop)
        evidence = Evidence(number, "som", meta.title, coop.slug, meta.subject, log)
        context = {"org": org, "s": view, "signers": signers, "place_date": f"{org.town}, {tanggal(day)}",
                   "year": day.year}
        issued = render_document("som.html", meta, evidence, context)
        return self._finish(issued, coop_id, meta.subject, record=not meta.training)

    # -- RAPB and Rencana Kerja ------------------------------------------------------------

    def import_budget(self, coop_slug: str, year: int, path: Path, *, actor: str | None = None) -> BudgetImport:
        """Import RAPB lines and Rencana Kerja items from an XLSX workbook (all or nothing).

        A change is an entry on the approval trail, by ``actor`` (a user name; "operator" from the command line).
        """
        self._db.require_schema()
        settings = self.ctx.settings
        limit = int(settings.max_workbook_mb * 1024 * 1024)
        if path.stat().st_size > limit:  # given a path, read_workbook refuses a file over the limit unread
            read_workbook(path, year, max_bytes=limit)
        content = path.read_bytes()
        data = read_workbook(content, year, max_bytes=limit,
                             max_unpacked=int(settings.max_workbook_unpacked_mb * 1024 * 1024))
        with self._db.session() as session:
            coop = self.ctx.coop(session, coop_slug)
            previous: BudgetData | None
            try:
                previous = load_budget(session, coop, year)[1]
            except NotFoundError:  # nothing imported yet
                previous = None
            if actor is not None:
                person = self.ctx.person(session, actor)
                if not rosters(session, [coop.id])[coop.id].roles_on(person.id, self.ctx.today()) & PLANNER_ROLES:
                    raise PermissionDeniedError(f"Impor RAPB/RK {coop.name} hanya untuk pengurus dan manajer yang "
                                                "menjabat hari ini.")
            budget = save_budget(session, coop, data, source_name=path.name,
                                 source_sha256=hashlib.sha256(content).hexdigest(), now=self.ctx.clock(),
                                 pinned=self.ctx.pinned, signer=self.ctx.signer, actor=actor or "operator")
            counts = {code: len(data.section(code)) for code in SECTIONS}
            return BudgetImport(coop.slug, year, budget.revision, budget.status, counts, len(data.plan),
                                previous != data)

    def budget_summary(self, coop_slug: str, year: int) -> BudgetSummary | None:
        """The RAPB lines and RK activities stored for a year (latest revision); None before any upload."""
        self._db.require_schema()
        with self._db.reader() as session:
            coop = self.ctx.coop(session, coop_slug)
            try:
                budget, data = load_budget(session, coop, year)
            except NotFoundError:
                return None
            sections = tuple(
                BudgetSection(code, title, tuple(lines), sum(line.rencana or 0 for line in lines))
                for code, title in SECTIONS.items() if (lines := data.section(code)))
            return BudgetSummary(year, budget.revision, budget.status, as_utc(budget.updated_at),
                                 budget.source_name, sections, data.plan)

    def export_budget(self, coop_slug: str, year: int, *, example: bool = False) -> bytes:
        """The year's RAPB/RK as an XLSX workbook in the import layout (or the shipped example)."""
        self._db.require_schema()
        with self._db.session() as session:
            coop = self.ctx.coop(session, coop_slug)
            shares = coop.settings.get("pembagian_shu")
            if example:
                return write_workbook(example_budget(year), coop.name, shares=shares)
            budget, data = load_budget(session, coop, year)
            return write_workbook(data, coop.name, shares=shares, when=as_utc(budget.updated_at))

    def _budget_context(self, session: Session, coop: Cooperative, year: int
                        ) -> tuple[dict[str, Any], LogEvidence, datetime, str]:
        budget = sync_ratification(session, coop, year, self.ctx.pinned)
        budget, data = load_budget(session, coop, year)
        view = budget_view(data, coop.settings)
        cases = budget_cases(session, coop, year, self.ctx.pinned)
        chosen: BudgetCase | None = next((c for c in cases if c.case.number == budget.case_number), None)
        if chosen is None and cases:
            chosen = cases[-1]
        seqs: list[int] = []
        history: list[dict[str, str]] = []
        ratifier: Signer | None = None
        if chosen is not None:
            seqs = list(session.scalars(select(AuditEntry.seq).where(AuditEntry.case_id == chosen.case.id)))
            people = dict(session.execute(select(Person.id, Person.full_name)).all())
            events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == chosen.case.id)
                                     .order_by(CaseEvent.seq)).all()
            d = chosen.loaded.definition
            fired = {(e.step_no, e.action): e.to_state for e in events if e.to_state != e.from_state}
            for e in events:
                target = fired.get((e.step_no, e.action), e.to_state)
                history.append({"seq": str(e.seq), "when": tanggal_waktu(as_utc(e.at), self.ctx.tz),
                                "action": action_label(d, e.action, e.from_state, target),
                                "actor": people.get(e.actor_id, "?"), "role": role_label(e.role)})
            if chosen.ratified and events:
                last = events[-1]
                ratifier = Signer(role_label(last.role), people.get(last.actor_id), None, "Disahkan Rapat Anggota")
        log = self._log(session, coop, seqs, at_size=max(seqs) if seqs else None)
        day = (as_utc(budget.locked_at) if budget.locked_at else as_utc(budget.updated_at))
        local = day.astimezone(self.ctx.tz).date()
        signers = [signer_for(session, coop, "ketua", local, caption="Pengurus"),
                   signer_for(session, coop, "bendahara", local, caption=""),
                   signer_for(session, coop, "ketua_pengawas", local, caption="Mengetahui")]
        problem = None
        if budget.status == "disahkan":  # the approvals must have bound exactly the figures printed
            problem = (approval_problem(session, chosen.case, data.sha256) if chosen is not None
                       else f"kasus pengesahan {budget.case_number} tidak ditemukan")
        ratified = budget.status == "disahkan" and problem is None
        if ratifier is not None and ratified:
            signers.append(ratifier)
        revision = f"/R{budget.revision}" if budget.revision else ""
        summary = None
        if chosen is not None:
            summary = {
                "number": chosen.case.number, "status": chosen.status, "ratified": chosen.ratified,
                "data": chosen.data, "history": history,
                "meeting": tanggal(chosen.data["tanggal_rapat_anggota"])
                if chosen.data.get("tanggal_rapat_anggota") else None,
            }
        context = {"org": OrgInfo.of(coop), "b": view, "year": year, "budget": budget, "case": summary,
                   "signers": signers, "place_date": f"{OrgInfo.of(coop).town}, {tanggal(local)}",
                   "ratified": ratified, "unratified_reason": problem, "revision": budget.revision,
                   "content_sha256": data.sha256}
        return context, log, day, revision

    def budget(self, coop_slug: str, year: int) -> IssuedPdf:
        """The RAPB of a year: per-unit income, costs, planned SHU and its split, investment and funds."""
        return self._plan_document(coop_slug, year, "rapb")

    def work_plan(self, coop_slug: str, year: int) -> IssuedPdf:
        """The Rencana Kerja of a year: organisation, business, finance and capital."""
        return self._plan_document(coop_slug, year, "rencana_kerja")

    def _plan_document(self, coop_slug: str, year: int, kind: str) -> IssuedPdf:
        self._db.require_schema()
        with self._db.session() as session:
            coop = self.ctx.coop(session, coop_slug)
            context, log, day, revision = self._budget_context(session, coop, year)
            coop_id = coop.id
            training = coop.training
            org: OrgInfo = context["org"]
        if kind == "rapb":
            number = f"RAPB/{year}{revision}"
            title = f"Rencana Anggaran Pendapatan dan Belanja (RAPB) Tahun Anggaran {year}"
            template = "rapb.html"
        else:
            number = f"RK/{year}{revision}"
            title = f"Rencana Kerja Tahun {year}"
            template = "rencana_kerja.html"
        short = f"RAPB {year}" if kind == "rapb" else f"Rencana Kerja {year}"
        meta = DocMeta(number, kind, title, f"{coop_slug} {year}", org.name, f"{org.name} · {short}",
                       self._when(day), training=training)
        if training:
            meta = dataclasses.replace(meta, header=f"{TRAINING_MARK} · {meta.header}")
        evidence = Evidence(number, kind, title, coop_slug, meta.subject, log)
        issued = render_document(template, meta, evidence, context)
        return self._finish(issued, coop_id, meta.subject, record=not training)

    # -- verification ---------------------------------------------------------------------

    def verify(self, data: bytes, *, against_db: bool = True) -> PdfVerification:
        """Check an issued PDF offline, and against this database when ``against_db``."""
        return verify_pdf(data, self._db if against_db else None, self.ctx.tz)


def example_data(year: int) -> BudgetData:
    """The example RAPB/RK (the data of ``contoh_rapb.xlsx``)."""
    return example_budget(year)
