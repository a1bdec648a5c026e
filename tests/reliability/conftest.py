"""The reliability suite runs a short version in CI; ``TATAKELOLA_LONG=1`` runs the long one."""

from __future__ import annotations

import os

import pytest

LONG = os.environ.get("TATAKELOLA_LONG") == "1"


def scale(short: int, long: int) -> int:
    """How many rounds a test runs: the short count in CI, the long one when asked."""
    return long if LONG else short


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if LONG:
        return
    skip = pytest.mark.skip(reason="lama: jalankan dengan TATAKELOLA_LONG=1")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)
