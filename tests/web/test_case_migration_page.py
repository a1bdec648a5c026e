"""A case moved to a new version of its procedure says so on its page, and goes on under that version."""

from __future__ import annotations

from pathlib import Path

from engine.domain.definitions.registry import Registry
from engine.services import Services
from engine.web import create_app
from tests.helpers import COOP
from tests.integration.test_case_migration import V1, V2, WF, folder
from tests.web.conftest import Browser


def test_the_case_page_tells_of_the_move_and_offers_the_new_versions_step(web_services: Services,
                                                                           tmp_path: Path) -> None:
    old = Services(web_services.settings, clock=web_services.clock,
                   registry=Registry.from_paths([folder(tmp_path, "v1", V1)]))
    number = old.open_case(WF, COOP, "fajar", values={"judul": "Beli timbangan", "jumlah": "750000"})
    old.act(number, "ajukan", "fajar")
    old.act(number, "tunda", "sri")
    old.db.dispose()
    new = Services(web_services.settings, clock=web_services.clock,
                   registry=Registry.from_paths([folder(tmp_path, "v2", V2)]))
    _, mig = new.migrations.propose(WF, 1, 2, {"ditunda": "telaah"}, COOP, "bambang")
    for voter in ("sri", "dwi", "endang"):
        new.act(mig, "setujui", voter)
    browser = Browser(create_app(new.settings, services=new, secret_key="test-secret"))
    assert browser.login("sri").status_code in (200, 303)
    html = browser.client.get(f"/k/{COOP}/kasus/{number}").text
    assert "Pindah versi prosedur" in html
    assert "Dipindahkan ke versi 2 (disetujui MIG/2026/0001)" in html
    assert "Telaah sekretaris" in html
    new.db.dispose()
