"""Finding 5: a credential a platform echoes back reaches no log, /healthz, ops alert or stored error.

The stand-ins below answer like a misbehaving platform: their error bodies
contain the credential they were sent. The secrets' variable names and values
look like nothing in particular, so only the config-derived redactor can catch them.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from monitor import logs
from monitor.alerts import outbox
from monitor.alerts.outbox import Message
from monitor.alerts.slack import SlackSink
from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from monitor.ops import healthcheck
from monitor.ops.http import ObservabilityServer
from monitor.storage.schema import outbox as outbox_table
from monitor.storage.schema import source_health
from tests.conftest import Clock
from tests.support.fake_bluesky import FakeBluesky
from tests.support.fake_http import POLL_INTERVAL
from tests.support.fake_mastodon import FakeMastodon
from values import redaction

MASTO_VALUE = "plainmastovalue777"  # read from $MASTO_ACCESS
BSKY_PASSWORD = "opensesame2024bsky"  # read from $BSKY_WORD
ENV = {"MASTO_ACCESS": MASTO_VALUE, "BSKY_WHO": "monitor.bsky.social", "BSKY_WORD": BSKY_PASSWORD}
SECRETS = (MASTO_VALUE, BSKY_PASSWORD)


class EchoingMastodon(FakeMastodon):
    """Refuses every token, quoting the one it got."""

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Any:
        sent = headers.get("authorization", "").removeprefix("Bearer ")
        return 401, {"error": f"The access token {sent} was revoked"}, {}


class EchoingBluesky(FakeBluesky):
    """Refuses the login with a 400 that quotes the request body (the password in it)."""

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Any:
        if path.endswith("createSession"):
            return 400, {"error": "InvalidRequest", "message": f"cannot parse {body.decode()}"}, {}
        return super().handle(method, path, query, headers, body)


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_echoed_credentials_are_masked_in_logs_healthz_slack_and_the_database(db_url, fake_slack, capsys) -> None:
    clock = Clock()
    with EchoingMastodon(clock=clock) as masto, EchoingBluesky(clock=clock) as bsky:
        config = parse_config(
            {
                "storage": {"url": db_url},
                "slack": {"base_url": fake_slack.base_url, "min_interval": "1ms", "timeout": "2s"},
                "brands": [{"name": "Acme", "terms": ["acme"]}],
                "sources": {
                    "mastodon": {"instances": [masto.base_url], "access_token_env": "MASTO_ACCESS", "timeout": "2s"},
                    "bluesky": {
                        "base_url": bsky.base_url,
                        "auth_url": bsky.base_url,
                        "identifier_env": "BSKY_WHO",
                        "password_env": "BSKY_WORD",
                        "timeout": "2s",
                    },
                },
            },
            env={**ENV, "SLACK_BOT_TOKEN": fake_slack.token},
        )
        logs.configure(level="DEBUG", json_lines=True)  # what the daemon does, writing to this test's stderr
        sink = SlackSink(fake_slack.token, base_url=fake_slack.base_url, timeout=timedelta(seconds=2))
        app = bootstrap(config, clock=clock, sink=sink, classifier=lambda: None)
        brand = config.brand("Acme")
        refused = app.pipeline.poll("mastodon", app.connectors["mastodon"], brand)
        assert refused.error and "credentials rejected" in refused.error
        for _ in range(3):  # the third failure in a row pages ops with the last error
            failed = app.pipeline.poll("bluesky", app.connectors["bluesky"], brand, force=True)
            assert failed.error and "cannot parse" in failed.error
            clock.advance(minutes=10)
        app.delivery.run_once()
        health = _healthz(app)

    logged = capsys.readouterr().err
    assert "credentials rejected" in logged or "disabled" in logged
    assert not _leaks(logged)
    assert all(json.loads(line) for line in logged.splitlines() if line.strip())

    assert not _leaks(json.dumps(health)), health
    problems = {s["source"]: s["problem"] for s in health["sources"]}
    assert redaction.MASK in problems["mastodon"] and redaction.MASK in problems["bluesky"]

    ops = [m for m in fake_slack.messages if "Source " in m.text]
    assert any("Source mastodon" in m.text for m in ops) and any("Source bluesky" in m.text for m in ops)
    assert all(redaction.MASK in m.text for m in ops)
    assert not _leaks(json.dumps([(m.text, m.blocks) for m in ops]))

    with app.engine.connect() as conn:
        stored = conn.execute(
            select(source_health.c.last_error, source_health.c.disabled_reason, source_health.c.source)
        ).all()
        queued = conn.execute(select(outbox_table.c.text, outbox_table.c.blocks)).all()
    assert {row.source for row in stored} == {"mastodon", "bluesky"}
    assert not _leaks(repr(stored) + repr(queued))
    assert all(redaction.MASK in (row.last_error or "") for row in stored)
    app.engine.dispose()


def test_stored_delivery_errors_are_masked_too(db_url, fake_slack) -> None:
    clock = Clock()
    config = parse_config(
        {"storage": {"url": db_url}, "slack": {"console": True}, "brands": [{"name": "Acme", "terms": ["acme"]}]},
        env={"APP_KEY_FOR_X": "k3y-from-the-environment"},
    )
    app = bootstrap(config, clock=clock, classifier=lambda: None)
    redaction.install(redaction.Redactor(["k3y-from-the-environment"]))
    with app.engine.begin() as conn:
        outbox.enqueue(conn, Message("m1", "ops", "#ops", "hello"), now=clock())
        row_id = conn.execute(select(outbox_table.c.id)).scalar_one()
        outbox.mark_retry(conn, row_id, error="HTTP 500: echo k3y-from-the-environment xapp-1-A0B1-223344", at=clock())
        first = conn.execute(select(outbox_table.c.last_error)).scalar_one()
        outbox.mark_dead(conn, row_id, error="rejected: Authorization: Bearer abc.def-123456")
        second = conn.execute(select(outbox_table.c.last_error)).scalar_one()
    assert first == f"HTTP 500: echo {redaction.MASK} {redaction.MASK}"
    assert "abc.def-123456" not in second and redaction.MASK in second
    app.engine.dispose()


def _healthz(app) -> dict[str, Any]:
    inputs = healthcheck.HealthInputs(
        engine=app.engine,
        clock=app.clock,
        scheduler_alive=lambda: True,
        intervals={name: s.interval for name, s in app.config.enabled_sources().items()},
        stale_after_intervals=3.0,
        instance="test",
    )
    server = ObservabilityServer(
        ("127.0.0.1", 0),
        registry=app.metrics.registry,
        health=lambda: healthcheck.check(inputs),
        poll_interval=POLL_INTERVAL,
    )
    server.start()
    try:
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
            return json.loads(response.read())
    finally:
        server.close()
