"""The shared conformance suite, run for every connector with a local fake API."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.connectors.conformance import CHECKS, Harness
from tests.connectors.harnesses import harness

PLATFORMS = ["reddit", "x", "hn", "bluesky", "mastodon", "rss"]


@pytest.fixture(params=PLATFORMS)
def conformance_harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """A fresh fake platform and connector for each check."""
    with harness(request.param) as h:
        yield h


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_conformance(conformance_harness: Harness, check: Callable[[Harness], None]) -> None:
    check(conformance_harness)
