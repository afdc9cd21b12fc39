"""Reddit and X inside the real pipeline: a 401 disables one source and pages ops, the rest keeps running."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from models.base import Sentiment
from monitor import health
from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from monitor.storage.schema import outbox
from tests.conftest import Clock
from tests.connectors.harnesses import REDDIT_ENV, X_ENV
from tests.support.fake_reddit import FakeReddit
from tests.support.fake_x import FakeX


class Neutral:
    def classify(self, texts):
        return [Sentiment("neutral", 0.9, 0.05) for _ in texts]


@pytest.fixture
def app(db_url, monkeypatch):
    for name, value in {**REDDIT_ENV, **X_ENV}.items():
        monkeypatch.setenv(name, value)
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))  # a fixed day: results must not depend on today
    with FakeReddit(clock=clock) as reddit, FakeX(clock=clock) as x:
        config = parse_config(
            {
                "storage": {"url": db_url},
                "slack": {"console": True},
                "brands": [{"name": "Acme", "terms": ["acme"], "handles": {"x": "AcmeSupport"}}],
                "sources": {
                    "reddit": {"base_url": reddit.base_url, "auth_url": reddit.base_url, "timeout": "1s"},
                    "x": {"base_url": x.base_url, "settle": "1s", "timeout": "1s"},
                },
            }
        )
        app = bootstrap(config, clock=clock, classifier=Neutral())
        yield app, reddit, x, clock
        app.engine.dispose()


def test_rejected_credentials_disable_only_that_source_and_tell_ops(app) -> None:
    app, reddit, x, clock = app
    reddit.submit("acme broke")
    x.tweet("acme broke too")
    clock.advance(seconds=5)
    reddit.fault("401", times=50)
    brand = app.config.brand("Acme")
    failed = app.pipeline.poll("reddit", app.connectors["reddit"], brand)
    ok = app.pipeline.poll("x", app.connectors["x"], brand)
    assert failed.error and "credentials rejected" in failed.error
    assert ok.error is None and ok.new_posts == 1
    with app.engine.connect() as conn:
        state = health.read(conn, source="reddit", brand="Acme")
        ops = conn.execute(select(outbox.c.channel, outbox.c.text).where(outbox.c.kind == "ops")).all()
    assert state.disabled_reason and "client id and secret" in state.disabled_reason
    assert len(ops) == 1 and ops[0].channel == "#brand-monitor-ops" and "disabled" in ops[0].text
    assert "app-secret" not in ops[0].text
    sent = len(reddit.requests)
    again = app.pipeline.poll("reddit", app.connectors["reddit"], brand)
    assert again.skipped_reason and again.skipped_reason.startswith("disabled")
    assert len(reddit.requests) == sent, "a disabled source makes no requests"


def test_a_429_backs_the_source_off_for_the_time_the_platform_asked(app) -> None:
    app, _reddit, x, clock = app
    brand = app.config.brand("Acme")
    x.tweet("acme is slow")
    clock.advance(seconds=5)
    x.fault("429")
    limited = app.pipeline.poll("x", app.connectors["x"], brand)
    assert limited.error and "429" in limited.error
    with app.engine.connect() as conn:
        state = health.read(conn, source="x", brand="Acme")
    assert state.next_poll_at is not None and 0 < (state.next_poll_at - clock.now).total_seconds() <= 3
    assert app.pipeline.poll("x", app.connectors["x"], brand).skipped_reason.startswith("backing off")
    clock.advance(seconds=5)
    assert app.pipeline.poll("x", app.connectors["x"], brand).new_posts == 1
