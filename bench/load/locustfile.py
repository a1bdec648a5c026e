"""Signed-in people browsing Tatakelola: their task list, a case's step page, and two trivial pages.

Run by ``bench/load/run.py``, which prepares the database and writes the JSON file named by
``BENCH_LOAD_DATA``: ``{"logins": [[username, password], ...], "cases": ["/k/.../kasus/...", ...]}``.
Each simulated person signs in once (GET /login for the CSRF token, POST /login) and then, with a
pause of ``BENCH_LOAD_WAIT`` seconds ("0.5-1.5" by default) between requests, asks for one of:

- ``/sehat``: the trivial endpoint (no database, no session lookup): the baseline of the run;
- ``/login``: the login page (a template, no database): the baseline the issue used;
- ``/tugas``: the task inbox (session lookup, every open case of the person's cooperatives);
- ``/k/[koperasi]/kasus/[nomor]``: the guided step page of a random open case.

A signed-in page that answers with anything but 200 (a redirect to /login included) is a failure.
The statistics are reset once the last user has signed in: only the steady state is reported.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task
from locust.env import Environment

_DATA = json.loads(Path(os.environ["BENCH_LOAD_DATA"]).read_text(encoding="utf-8"))
_LOGINS: list[list[str]] = _DATA["logins"]
_CASES: list[str] = _DATA["cases"]
_WAIT = [float(x) for x in os.environ.get("BENCH_LOAD_WAIT", "0.5-1.5").split("-")]
_TURN = itertools.count()
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')

CASE_PAGE = "/k/[koperasi]/kasus/[nomor]"
_SIGNED_IN = itertools.count(1)


def _signed_in_one(environment: Environment) -> None:
    """Reset the statistics when the last of the users has signed in (logins are not what is measured)."""
    runner = environment.runner
    if runner is not None and next(_SIGNED_IN) == runner.target_user_count:
        environment.stats.reset_all()


class Pengguna(HttpUser):
    """One person in one browser."""

    wait_time = between(_WAIT[0], _WAIT[-1])

    def on_start(self) -> None:
        self.username, password = _LOGINS[next(_TURN) % len(_LOGINS)]
        page = self.client.get("/login", name="persiapan: GET /login")
        match = _CSRF.search(page.text)
        if match is None:
            raise RuntimeError(f"tidak ada token CSRF di /login ({page.status_code})")
        with self.client.post("/login", name="persiapan: POST /login", allow_redirects=False, catch_response=True,
                              data={"username": self.username, "password": password, "csrf": match.group(1),
                                    "next": "/tugas"}) as answer:
            if answer.status_code != 303:
                answer.failure(f"login {self.username}: HTTP {answer.status_code}")
        _signed_in_one(self.environment)

    def _signed_in(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{self.username}: HTTP {answer.status_code}")

    @task
    def sehat(self) -> None:
        self.client.get("/sehat", name="/sehat")

    @task
    def login_page(self) -> None:
        self.client.get("/login", name="/login")

    @task
    def tugas(self) -> None:
        self._signed_in("/tugas", "/tugas")

    @task
    def case_page(self) -> None:
        self._signed_in(random.choice(_CASES), CASE_PAGE)
