"""Characters no stored key can hold (a NUL, an unpaired surrogate, a very long code) in a URL or a
login form: the same "not found" or "refused" on SQLite and PostgreSQL, never a 500."""

from __future__ import annotations

import pytest

from tests.helpers import COOP
from tests.web.conftest import (  # noqa: F401
    USERS,
    app,
    as_user,
    web_services,
)


@pytest.mark.parametrize("path", [
    "/k/kkmp%00sentanan",
    f"/k/{COOP}/kasus/KAS/2026/00%0001",
    f"/k/{COOP}/kasus/KAS/2026/{'9' * 400}",
    "/k/" + "x" * 300,
    f"/k/{COOP}/kasus/KAS/2026/0001/lampiran/{'0' * 64}",
    "/prosedur/pengeluaran%00kas",
])
def test_impossible_keys_in_a_url_are_not_found(as_user, path: str) -> None:  # noqa: F811
    response = as_user("sri").client.get(path)
    assert response.status_code == 404, (path, response.status_code)
    assert "Traceback" not in response.text


@pytest.mark.parametrize("username", ["sri%00", "x" * 5000, "%ED%B2%80sri", "%FF%FEsri"])
def test_impossible_user_names_are_refused_at_login(as_user, username: str) -> None:  # noqa: F811
    browser = as_user("anon")
    body = f"csrf={browser.csrf()}&username={username}&password=apa+saja&next=%2Ftugas"
    response = browser.client.post("/login", content=body.encode("ascii"), follow_redirects=False,
                                   headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code in (400, 401, 422), (username[:10], response.status_code)
    assert "Traceback" not in response.text
