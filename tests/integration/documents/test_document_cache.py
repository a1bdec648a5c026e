"""The SOP and the Buku SOP are built once per content and served again, recorded and verifiable."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

import engine.adapters.render.cache as render_cache
import engine.services.documents.service as service_module
from engine.adapters.render.cache import DocumentCache, renderer_version
from engine.adapters.render.issue import IssuedPdf
from engine.adapters.store.models import Cooperative, IssuedDocument
from engine.demo import DEMO_ORG
from engine.domain.definitions.registry import Registry, data_dir
from engine.services import Services
from engine.settings import Settings
from tests.conftest import Clock
from tests.helpers import COOP, KAS_VERIFY_CHECKS, submitted_kas
from tests.integration.documents.conftest import flip, pdf_text

SOME = ("pengeluaran_kas.yaml", "penerimaan_anggota.yaml", "keputusan_rapat_pengurus.yaml")


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The templates rendered from now on (each entry is one WeasyPrint run)."""
    done: list[str] = []
    original = service_module.render_document

    def counting(template: str, *args: object, **kwargs: object) -> IssuedPdf:
        done.append(template)
        return original(template, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service_module, "render_document", counting)
    return done


@pytest.fixture
def small(services: Services) -> Services:
    """The test database with a book of three procedures (quicker to build than all of them)."""
    registry = Registry.from_paths([data_dir("workflows") / name for name in SOME])
    return Services(services.settings, registry=registry, clock=services.clock)


def _recorded(services: Services, issued: IssuedPdf) -> list[str]:
    with services.db.session() as session:
        return list(session.scalars(select(IssuedDocument.number).where(IssuedDocument.sha256 == issued.sha256)))


def test_the_buku_sop_is_built_once_then_served_byte_for_byte_recorded_once_and_verifiable(
        small: Services, renders: list[str]) -> None:
    first = small.documents.book(COOP)
    again = Services(small.settings, registry=small.registry, clock=small.clock).documents.book(COOP)  # from disk
    assert renders == ["buku_sop.html"]
    assert again.data == first.data and again.recorded and again.pages == first.pages
    assert _recorded(small, again) == [first.number]
    check = small.documents.verify(again.data)
    assert check.ok, [c.message for c in check.problems]
    cached = list(small.settings.resolved_document_cache_dir.glob("*.pdf"))
    assert len(cached) == 1 and cached[0].read_bytes() == first.data


def test_a_decision_since_does_not_rebuild_it_and_the_copy_still_verifies(small: Services, renders: list[str],
                                                                         files: Callable[..., Path]) -> None:
    first = small.documents.book(COOP)
    number = submitted_kas(small, 900_000, files("n.pdf"))
    small.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)  # the log grows, a new checkpoint is signed
    again = small.documents.book(COOP)
    assert again.data == first.data and renders == ["buku_sop.html"]
    check = small.documents.verify(again.data)
    assert check.ok, [c.message for c in check.problems]


def test_what_prints_is_in_the_key_a_changed_setting_rebuilds_the_sop(small: Services, renders: list[str]) -> None:
    before = small.documents.sop("pengeluaran_kas", COOP)
    assert "Rp 500.000" in pdf_text(before.data)
    assert small.documents.sop("pengeluaran_kas", COOP).data == before.data and len(renders) == 1
    with small.db.session() as session:
        coop = session.scalars(select(Cooperative).where(Cooperative.slug == COOP)).one()
        coop.settings = {**coop.settings, "batas_manajer": 750_000}
    after = small.documents.sop("pengeluaran_kas", COOP)
    assert len(renders) == 2 and "Rp 750.000" in pdf_text(after.data) and after.data != before.data
    assert small.documents.sop("pengeluaran_kas").data != before.data  # the bare SOP is a document of its own


def test_two_requests_at_once_share_one_build(small: Services, renders: list[str]) -> None:
    one, two = small.documents.prepare_book(COOP), small.documents.prepare_book(COOP)
    assert one.issued is None and one.future is not None and two.future is one.future
    built = one.future.result(timeout=300)
    assert renders == ["buku_sop.html"]
    ready = small.documents.prepare_book(COOP)
    assert ready.issued is not None and ready.issued.data == built.data and ready.future is None
    issued = small.documents.hand_out(ready, ready.issued)
    assert issued.recorded and _recorded(small, issued) == [issued.number]


@pytest.fixture
def elsewhere(small: Services, tmp_path: Path) -> Iterator[Services]:
    """Another database on the same installation key (and so the same cache), whose log differs."""
    other = Services(Settings(db_url=f"sqlite:///{tmp_path / 'lain.db'}", key_path=small.settings.key_path),
                     registry=small.registry, clock=Clock(datetime(2026, 11, 25, 4, 0, tzinfo=UTC)))
    other.init()
    other.import_org(DEMO_ORG)
    yield other
    other.db.dispose()


def test_a_kept_copy_whose_checkpoint_this_database_lacks_is_built_again(small: Services, elsewhere: Services,
                                                                        renders: list[str],
                                                                        files: Callable[..., Path]) -> None:
    first = small.documents.book(COOP)
    submitted_kas(elsewhere, 900_000, files("n.pdf"))  # a log of its own: no checkpoint in common
    there = elsewhere.documents.book(COOP)
    assert renders == ["buku_sop.html", "buku_sop.html"] and there.log_root != first.log_root
    check = elsewhere.documents.verify(there.data)
    assert check.ok, [c.message for c in check.problems]


def test_a_damaged_copy_on_disk_is_never_served(small: Services, renders: list[str]) -> None:
    first = small.documents.sop("pengeluaran_kas", COOP)
    (kept,) = small.settings.resolved_document_cache_dir.glob("*.pdf")
    kept.write_bytes(flip(kept.read_bytes()))
    fresh = Services(small.settings, registry=small.registry, clock=small.clock)  # nothing in memory
    again = fresh.documents.sop("pengeluaran_kas", COOP)
    assert again.data == first.data and len(renders) == 2


def test_without_a_disk_cache_documents_are_still_shared_and_handed_out(services: Services, tmp_path: Path,
                                                                       renders: list[str]) -> None:
    settings = services.settings.model_copy(update={"document_cache_mb": 0})
    docs = Services(settings, registry=services.registry, clock=services.clock).documents
    first, again = docs.sop("pengeluaran_kas", COOP), docs.sop("pengeluaran_kas", COOP)
    assert again.data == first.data and len(renders) == 1
    assert not settings.resolved_document_cache_dir.exists()


def test_the_renderer_version_follows_the_templates_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "sop_templates"
    shutil.copytree(data_dir("sop_templates"), copy)
    monkeypatch.setattr(render_cache, "template_dir", lambda: copy)
    before = renderer_version()
    assert renderer_version() == before
    style = copy / "style.css"
    style.write_text(style.read_text() + "\n/* changed */\n")
    assert renderer_version() != before


def test_the_cache_keeps_the_most_recently_used_within_its_size(tmp_path: Path) -> None:
    def doc(n: int) -> IssuedPdf:
        return IssuedPdf(f"D-{n}", "sop", "Dokumen", bytes([n]) * 1000, 1, f"D-{n}.pdf", None, None)

    cache = DocumentCache(tmp_path / "cache", max_bytes=3000)  # room for two (1 kB each, and a description)
    keys = [f"{n:064x}" for n in range(3)]
    for age, key in ((300, keys[0]), (200, keys[1])):
        cache.put(key, doc(int(key, 16)))
        then = time.time() - age
        os.utime(cache.directory / f"{key}.json", (then, then))
    assert cache.get(keys[0]) is not None  # used: now the most recent
    cache.put(keys[2], doc(2))
    assert cache.get(keys[1]) is None and cache.get(keys[0]) is not None and cache.get(keys[2]) is not None
    assert cache.get("../../etc/passwd") is None
