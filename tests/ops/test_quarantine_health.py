"""/healthz and /metrics over HTTP tell the truth about poisoned and failing sources."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from connectors.base import AuthError
from monitor.ops import healthcheck
from monitor.ops.http import ObservabilityServer
from tests.conftest import Clock, make_post
from tests.ops.apps import config_dict, make_app
from tests.ops.test_observability import get, samples
from tests.support.fake_http import POLL_INTERVAL
from tests.support.poison import cursor, ops_messages, stored, write_lines


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))


@pytest.fixture
def served(tmp_path, db_url, fake_slack, clock):
    """An app over a replay file with one poisoned post among four, and its /healthz and /metrics endpoint."""
    lines = [
        make_post(1, "acme order arrived"),
        make_post(2, "acme is broken"),
        {**make_post(3, "acme poisoned"), "id": None},
        make_post(4, "acme order arrived"),
    ]
    raw = config_dict(db_url, write_lines(tmp_path / "posts.jsonl", lines), fake_slack.base_url)
    raw["brands"].append({"name": "Globex", "terms": ["globex"]})  # configured, never polled: learning
    raw["sources"]["replay"]["interval"] = "1d"  # stale only after days: failures, not age, degrade it here
    app = make_app(raw, fake_slack, clock=clock)
    inputs = healthcheck.HealthInputs(
        engine=app.engine,
        clock=clock,
        scheduler_alive=lambda: True,
        intervals={name: s.interval for name, s in app.config.enabled_sources().items()},
        stale_after_intervals=app.config.observability.stale_after_intervals,
        instance="test",
        polls=app.polls(),
    )
    server = ObservabilityServer(
        ("127.0.0.1", 0),
        registry=app.metrics.registry,
        health=lambda: healthcheck.check(inputs),
        poll_interval=POLL_INTERVAL,
    ).start()
    yield app, server.url
    server.close()
    app.engine.dispose()


def healthz(url: str) -> tuple[int, dict]:
    status, body = get(url + "/healthz")
    return status, json.loads(body)


def by_brand(report: dict) -> dict[str, dict]:
    return {s["brand"]: s for s in report["sources"] if s["source"] == "replay"}


def test_a_poisoned_post_is_quarantined_and_healthz_shows_it(served) -> None:
    app, url = served
    status, report = healthz(url)
    assert status == 200 and report["status"] == "ok"
    assert {b: s["status"] for b, s in by_brand(report).items()} == {"Acme": "learning", "Globex": "learning"}

    result = app.pipeline.poll("replay", app.connectors["replay"], app.config.brand("Acme"))
    assert result.error is None and result.quarantined == 1
    assert sorted(stored(app.engine)) == ["1", "2", "4"]  # every other post of the page
    assert cursor(app.engine).position == "4"  # past the poisoned one

    status, report = healthz(url)
    assert status == 200 and report["status"] == "ok"  # the source works; the quarantine is shown, not failed
    acme = by_brand(report)["Acme"]
    assert (acme["status"], acme["quarantined"], acme["last_error"]) == ("ok", 1, None)
    assert by_brand(report)["Globex"]["status"] == "learning"
    assert report["quarantined"] == 1

    status, text = get(url + "/metrics")
    assert status == 200
    m = samples(text)
    assert m[("brand_monitor_quarantined_items", (("brand", "Acme"), ("source", "replay")))] == 1
    assert m[("brand_monitor_errors_total", (("kind", "source_malformed_item"),))] == 1
    assert len(ops_messages(app.engine)) == 1


class Broken:
    """A connector with a bug: every fetch raises something no API edge classified."""

    platform = "replay"

    def fetch(self, query, cursor_):
        raise KeyError("data")
        yield  # pragma: no cover


def test_a_source_that_keeps_failing_is_degraded_with_its_error_and_pages_once(served, clock) -> None:
    app, url = served
    from monitor.ops.metrics import InstrumentedConnector

    broken = InstrumentedConnector(Broken(), source="replay", metrics=app.metrics)
    acme = app.config.brand("Acme")
    app.pipeline.poll("replay", app.connectors["replay"], acme)  # a success first: not merely "learning"
    for attempt in range(1, 6):
        clock.advance(hours=2)  # past any back-off
        result = app.pipeline.poll("replay", broken, acme)
        assert result.error == "KeyError: 'data'"
        status, report = healthz(url)
        entry = by_brand(report)["Acme"]
        assert status == 200
        expected = "degraded" if attempt >= 3 else "ok"
        assert (entry["status"], report["status"]) == (expected, expected), attempt
        assert entry["last_error"] == "KeyError: 'data'" and entry["consecutive_failures"] == attempt
    failing = [m for m in ops_messages(app.engine) if "failed polls" in m]
    assert len(failing) == 1 and "KeyError: 'data'" in failing[0]  # once, not every interval
    m = samples(get(url + "/metrics")[1])
    assert m[("brand_monitor_polls_total", (("outcome", "unexpected"), ("source", "replay")))] == 5

    clock.advance(hours=2)
    assert app.pipeline.poll("replay", app.connectors["replay"], acme).error is None
    assert by_brand(healthz(url)[1])["Acme"]["status"] == "ok"


class Refused:
    platform = "replay"

    def fetch(self, query, cursor_):
        raise AuthError("401 Unauthorized: token=abcdef123456 rejected")
        yield  # pragma: no cover


def test_rejected_credentials_are_disabled_and_the_error_is_masked(served) -> None:
    app, url = served
    result = app.pipeline.poll("replay", Refused(), app.config.brand("Acme"))
    assert result.error and "abcdef123456" not in result.error
    status, report = healthz(url)
    entry = by_brand(report)["Acme"]
    assert (status, report["status"], entry["status"], entry["disabled"]) == (200, "degraded", "disabled", True)
    assert "401 Unauthorized" in entry["last_error"] and "abcdef123456" not in json.dumps(report)
