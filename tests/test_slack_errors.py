"""Slack's failures read through the one failure table (connectors.failures): each kind, one action."""

from __future__ import annotations

import pytest

from connectors.failures import Kind
from monitor.alerts.slack import AUTH_ERRORS, SLACK_ERRORS, delivery_error, kind_of_slack_error


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        ("invalid_auth", 200, Kind.UNAUTHORIZED),
        ("token_revoked", 200, Kind.UNAUTHORIZED),
        ("missing_scope", 200, Kind.FORBIDDEN),
        ("ratelimited", 429, Kind.RATE_LIMITED),
        ("http_429", 429, Kind.RATE_LIMITED),  # a 429 without a code: the status decides
        ("channel_not_found", 200, Kind.NOT_FOUND),
        ("invalid_blocks", 200, Kind.REFUSED),
        ("msg_too_long", 200, Kind.REFUSED),
        ("internal_error", 200, Kind.SERVER_ERROR),
        ("http_503", 503, Kind.SERVER_ERROR),
        ("http_401", 401, Kind.UNAUTHORIZED),
    ],
)
def test_each_slack_answer_has_the_kind_of_the_shared_table(error: str, status: int, kind: Kind) -> None:
    assert kind_of_slack_error(error, status) is kind


@pytest.mark.parametrize("status", [200, 400, 418])
def test_a_code_nobody_knows_is_retried_never_dropped(status: int) -> None:
    kind = kind_of_slack_error("some_new_error_slack_added", status)
    error = delivery_error(kind, "Slack chat.postMessage: some_new_error_slack_added")
    assert kind is Kind.SERVER_ERROR
    assert not error.permanent and not error.auth and not error.ambiguous


def test_each_kind_does_what_delivery_needs() -> None:
    refused = delivery_error(Kind.UNAUTHORIZED, "t")
    assert refused.auth and not refused.permanent  # the whole delivery waits for a person; the alert stays
    assert delivery_error(Kind.RATE_LIMITED, "t").retry_after == 30.0
    assert delivery_error(Kind.RATE_LIMITED, "t", retry_after=7.0).retry_after == 7.0
    for kind in (Kind.FORBIDDEN, Kind.NOT_FOUND):  # a channel or scope to fix: held, not lost
        held = delivery_error(kind, "t")
        assert held.retry_after == 300.0 and not held.permanent
    assert delivery_error(Kind.REFUSED, "t").permanent
    assert delivery_error(Kind.SERVER_ERROR, "t", retry_after=None).retry_after is None  # the outbox's back-off


def test_the_auth_codes_delivery_releases_are_the_tables_unauthorised_ones() -> None:
    assert {code for code, kind in SLACK_ERRORS.items() if kind is Kind.UNAUTHORIZED} == AUTH_ERRORS
    assert "not_authed" in AUTH_ERRORS  # the recorded auth.test answer without a token
