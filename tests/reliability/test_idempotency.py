"""A request sent twice decides once: the CLI's ``--request-id``, the web form's hidden ``permintaan`` and the
API's ``Idempotency-Key`` return the first result instead of a second case or a false "already decided"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine.adapters.store.db import normalise_url
from engine.errors import RequestConflictError, ValidationError, exit_code_for, http_status_for
from engine.services import Services
from tests.helpers import COOP, KAS_DRAFT_CHECKS, KAS_VERIFY_CHECKS, submitted_kas
from tests.reliability.conftest import scale
from tests.reliability.store_invariants import cli, race, store_problems
from tests.web.conftest import app, as_user, web_services  # noqa: F401  (the web app over the test database)

VALUES = {"keperluan": "Beli kertas", "jumlah": "120000", "pos_rapb": "Alat tulis kantor", "penerima": "Toko Maju"}


def _counts(services: Services) -> tuple[int, int, int]:
    """Cases, decisions (events) and the trail's size: what a duplicate would change."""
    db_engine = create_engine(normalise_url(services.settings.db_url))
    with db_engine.connect() as conn:
        cases = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
        events = conn.execute(text("SELECT count(*) FROM case_events")).scalar_one()
        size = conn.execute(text("SELECT coalesce(max(size), 0) FROM audit_heads")).scalar_one()
    db_engine.dispose()
    return int(cases), int(events), int(size)


def _env(services: Services) -> dict[str, str]:
    return {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}


# -- the service ----------------------------------------------------------------------------------


def test_a_retried_start_returns_the_first_case_not_a_second(services: Services, files) -> None:
    nota = files("nota.pdf")
    first = services.open_case("pengeluaran_kas", COOP, "fajar", values=VALUES, files={"nota": nota},
                               request_id="mulai-1")
    before = _counts(services)
    again = services.open_case("pengeluaran_kas", COOP, "fajar", values=VALUES, files={"nota": nota},
                               request_id="mulai-1")
    assert again == first
    assert _counts(services) == before
    other = services.open_case("pengeluaran_kas", COOP, "fajar", values=VALUES, request_id="mulai-2")
    assert other != first  # another id is another request


def test_a_retried_action_returns_the_first_decision_not_already_decided(services: Services, files) -> None:
    number = submitted_kas(services, 300_000, files("nota.pdf"))
    first = services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS, request_id="a3f-verif")
    before = _counts(services)
    again = services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS, request_id="a3f-verif")
    assert again == first and again.fired and again.to_state == "disetujui"
    assert _counts(services) == before
    with pytest.raises(Exception, match="sudah diputuskan") as refused:  # without the id: it was decided
        services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    assert exit_code_for(refused.value) == 5


def test_the_same_id_asking_something_else_is_a_conflict_and_changes_nothing(services: Services, files) -> None:
    number = submitted_kas(services, 300_000, files("nota.pdf"))
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS, request_id="sekali")
    before = _counts(services)
    with pytest.raises(RequestConflictError, match="sudah dipakai untuk permintaan lain") as other_content:
        services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS, comment="lain", request_id="sekali")
    with pytest.raises(RequestConflictError):  # another person
        services.act(number, "verifikasi", "bambang", checks=KAS_VERIFY_CHECKS, request_id="sekali")
    with pytest.raises(RequestConflictError):  # a start reusing an action's id
        services.open_case("pengeluaran_kas", COOP, "fajar", values=VALUES, request_id="sekali")
    assert exit_code_for(other_content.value) == 5 and http_status_for(other_content.value) == 409
    assert _counts(services) == before


def test_a_refused_request_saves_nothing_so_its_id_stays_free(services: Services, files) -> None:
    before = _counts(services)
    with pytest.raises(ValidationError):
        services.open_case("pengeluaran_kas", COOP, "fajar", values={**VALUES, "jumlah": "seratus"}, request_id="r-1")
    assert _counts(services) == before
    number = services.open_case("pengeluaran_kas", COOP, "fajar", values=VALUES, request_id="r-1")
    assert services.open_case("pengeluaran_kas", COOP, "fajar", values=VALUES, request_id="r-1") == number


@pytest.mark.parametrize("bad", ["", "dua kata", "x" * 65, "id;DROP", "ünï"])
def test_a_malformed_request_id_is_refused_by_name_before_anything_is_written(services: Services, bad: str) -> None:
    before = _counts(services)
    with pytest.raises(ValidationError, match="ID permintaan") as refused:
        services.open_case("pengeluaran_kas", COOP, "fajar", values=VALUES, request_id=bad)
    assert refused.value.problems[0].name == "request_id"
    assert _counts(services) == before


# -- the CLI -------------------------------------------------------------------------------------


def test_the_cli_request_id_makes_a_retried_command_answer_as_the_first(services: Services, files) -> None:
    env, nota = _env(services), files("nota.pdf")
    start = ["case", "start", "pengeluaran_kas", "--coop", COOP, "--as", "fajar", "--attach", f"nota={nota}",
             *[a for k, v in VALUES.items() for a in ("--set", f"{k}={v}")], "--request-id", "cli-1"]
    first, again = cli(*start, env=env), cli(*start, env=env)
    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    number = first.stdout.split()[0]
    assert again.stdout.split()[0] == number
    act = ["case", "act", number, "ajukan", "--as", "fajar", "--coop", COOP,
           *[a for c in KAS_DRAFT_CHECKS for a in ("--check", c)], "--request-id", "cli-2"]
    decided, retried = cli(*act, env=env), cli(*act, env=env)
    assert decided.returncode == retried.returncode == 0, decided.stderr + retried.stderr
    assert decided.stdout == retried.stdout and "tercatat (#2)" in decided.stdout
    before = _counts(services)
    clash = cli(*act[:-1], "cli-1", env=env)  # the start's id, for an action
    assert clash.returncode == 5 and "sudah dipakai untuk permintaan lain" in clash.stderr
    assert "Traceback" not in clash.stderr
    assert _counts(services) == before


def test_retries_racing_with_one_id_make_one_case(services: Services, tmp_path: Path) -> None:
    n = scale(6, 16)
    start = ["case", "start", "pengeluaran_kas", "--coop", COOP, "--as", "fajar",
             *[a for k, v in VALUES.items() for a in ("--set", f"{k}={v}")], "--request-id", "balapan-1"]
    outcomes = race(services.settings, tmp_path, [start] * n)
    assert [code for code, _, _ in outcomes] == [0] * n, outcomes
    assert len({out.split()[0] for _, out, _ in outcomes}) == 1
    assert _counts(services)[0] == 1
    assert store_problems(services.settings.db_url) == []


# -- the web form and the API ---------------------------------------------------------------------

PERMINTAAN = re.compile(r'name="permintaan" value="([0-9a-f-]{36})"')


def test_every_rendered_decision_form_carries_a_fresh_request_id(as_user, web_services: Services,  # noqa: F811
                                                                files) -> None:
    number = submitted_kas(web_services, 300_000, files("nota.pdf"))
    sri = as_user("sri")
    first = PERMINTAAN.findall(sri.client.get(f"/k/{COOP}/kasus/{number}").text)
    second = PERMINTAAN.findall(sri.client.get(f"/k/{COOP}/kasus/{number}").text)
    start = PERMINTAAN.findall(as_user("fajar").client.get(f"/k/{COOP}/mulai?prosedur=pengeluaran_kas").text)
    assert len(first) == 1 and len(second) == 1 and len(start) == 1
    assert len({*first, *second, *start}) == 3


def test_a_decision_form_sent_twice_decides_once(as_user, web_services: Services, files) -> None:  # noqa: F811
    number = submitted_kas(web_services, 300_000, files("nota.pdf"))
    url = f"/k/{COOP}/kasus/{number}"
    sri = as_user("sri")
    page = sri.client.get(url).text
    form = {"csrf": re.findall(r'name="csrf" value="([^"]+)"', page)[0], "step": "1", "action": "verifikasi",
            "permintaan": PERMINTAAN.findall(page)[0], **{f"c.{c}": "1" for c in KAS_VERIFY_CHECKS}}
    before = _counts(web_services)
    first = sri.client.post(url + "/aksi", data=form, follow_redirects=False)
    again = sri.client.post(url + "/aksi", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303, again.text[:500]
    assert again.headers["location"].endswith("?ok=1")
    assert _counts(web_services)[1:] == (before[1] + 1, before[2] + 1)


def test_a_start_form_sent_twice_makes_one_case_submitted_once(as_user, web_services: Services) -> None:  # noqa: F811
    fajar = as_user("fajar")
    page = fajar.client.get(f"/k/{COOP}/mulai?prosedur=pengeluaran_kas").text
    form = {"csrf": re.findall(r'name="csrf" value="([^"]+)"', page)[0], "prosedur": "pengeluaran_kas",
            "tombol": "ajukan", "permintaan": PERMINTAAN.findall(page)[0],
            **{f"f.{k}": v for k, v in VALUES.items()}, **{f"c.{c}": "1" for c in KAS_DRAFT_CHECKS}}
    nota = {"a.nota": ("nota.pdf", b"%PDF-1.4\n% nota web\n", "application/pdf")}
    before = _counts(web_services)
    first = fajar.client.post(f"/k/{COOP}/mulai", data=form, files=nota, follow_redirects=False)
    again = fajar.client.post(f"/k/{COOP}/mulai", data=form, files=nota, follow_redirects=False)
    assert first.status_code == again.status_code == 303, again.text[:500]
    assert first.headers["location"] == again.headers["location"]
    assert _counts(web_services) == (before[0] + 1, before[1] + 2, before[2] + 2)  # mulai + ajukan, once


def test_the_api_idempotency_key_returns_the_first_result(as_user, web_services: Services, files) -> None:  # noqa: F811
    api = as_user("anon")
    token = api.client.post("/api/login", json={"username": "fajar", "password": "fajar-demo"}).json()["csrf"]
    path = f"/api/koperasi/{COOP}/kasus"
    body = {"workflow": "pengeluaran_kas", "values": VALUES}
    headers = {"X-CSRF-Token": token, "Idempotency-Key": "api-mulai-1"}
    first, again = api.client.post(path, json=body, headers=headers), api.client.post(path, json=body, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    number = first.json()["summary"]["number"]
    assert again.json()["summary"]["number"] == number
    before = _counts(web_services)
    clash = api.client.post(path, json={**body, "comment": "lain"}, headers=headers)
    assert clash.status_code == 409 and "sudah dipakai" in clash.text
    assert _counts(web_services) == before
