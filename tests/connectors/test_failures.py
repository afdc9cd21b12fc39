"""The one failure table and the one rate-window type every connector uses."""

from __future__ import annotations

import pytest
import requests

from connectors.base import AuthError, RateLimited, SourceError, Unavailable
from connectors.failures import TABLE, Kind, failure, kind_of_status, kind_of_transport
from connectors.ratelimit import RateWindow, remaining_requests, reset_wait
from tests.conftest import Clock
from tests.connectors.harnesses import START


def test_each_kind_raises_one_error_class_and_statuses_map_to_kinds() -> None:
    assert {kind: row.error for kind, row in TABLE.items()} == {
        Kind.UNAUTHORIZED: AuthError,
        Kind.FORBIDDEN: AuthError,
        Kind.RATE_LIMITED: RateLimited,
        Kind.NOT_FOUND: SourceError,
        Kind.REFUSED: SourceError,
        Kind.SERVER_ERROR: Unavailable,
        Kind.TIMEOUT: Unavailable,
        Kind.CONNECTION: Unavailable,
        Kind.BAD_ANSWER: Unavailable,
    }
    assert [kind_of_status(s) for s in (200, 204, 304, 400, 401, 403, 404, 409, 429, 500, 503)] == [
        None,
        None,
        None,
        Kind.REFUSED,
        Kind.UNAUTHORIZED,
        Kind.FORBIDDEN,
        Kind.NOT_FOUND,
        Kind.REFUSED,
        Kind.RATE_LIMITED,
        Kind.SERVER_ERROR,
        Kind.SERVER_ERROR,
    ]
    assert kind_of_transport(requests.ReadTimeout()) is Kind.TIMEOUT
    assert kind_of_transport(requests.ConnectionError()) is Kind.CONNECTION


def test_messages_name_status_place_detail_and_the_hint_for_that_kind_only() -> None:
    hints = {Kind.UNAUTHORIZED: "check X_BEARER_TOKEN"}
    error = failure("x", Kind.UNAUTHORIZED, status=401, where="/2/tweets", detail="Unauthorized", hints=hints)
    assert type(error) is AuthError
    assert str(error) == "x: HTTP 401 credentials rejected on /2/tweets (Unauthorized): check X_BEARER_TOKEN"
    assert str(failure("x", Kind.SERVER_ERROR, status=503, hints=hints)) == "x: HTTP 503 server error"
    limited = failure("hn", Kind.RATE_LIMITED, status=429, retry_after=12.5)
    assert isinstance(limited, RateLimited) and limited.retry_after == 12.5
    assert failure("hn", Kind.RATE_LIMITED).retry_after == 60  # type: ignore[attr-defined]


def test_a_rate_window_spent_by_headers_or_a_429_holds_requests_until_the_reset() -> None:
    clock = Clock(START)
    window = RateWindow("reddit", clock=clock)
    assert window.observe({"x-ratelimit-remaining": "594.0", "x-ratelimit-reset": "253"}, status=200) is None
    window.check()
    assert window.observe({"x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "30"}, status=200) == 30
    with pytest.raises(RateLimited) as raised:
        window.check()
    assert raised.value.retry_after == 30
    clock.advance(seconds=31)
    window.check()
    assert window.reopened() and not window.reopened(), "reopened says so once"
    assert window.observe({"Retry-After": "7"}, status=429) == 7, "a 429 spends the window even without a count"


def test_x_trusts_its_own_reset_over_a_proxys_retry_after_and_waits_are_bounded() -> None:
    clock = Clock(START)
    now = START.timestamp()
    headers = {"retry-after": "5", "x-rate-limit-reset": str(int(now) + 400), "x-rate-limit-remaining": "0"}
    assert reset_wait(headers, now=now) == 5
    assert reset_wait(headers, now=now, reset_first=True) == 400
    x = RateWindow("x", clock=clock, max_wait=900.0, reset_first=True)
    assert x.observe(headers, status=429) == 400
    assert x.block(86_400) == 900
    assert remaining_requests({"ratelimit-remaining": "12"}) == 12 and remaining_requests({}) is None
    assert remaining_requests({"x-ratelimit-remaining": "n/a"}) is None
