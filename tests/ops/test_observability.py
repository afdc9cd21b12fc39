"""/healthz and /metrics over HTTP, fed by a real daemon's jobs."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from connectors.base import RateLimited
from monitor.clock import utc_now
from monitor.daemon import Daemon
from monitor.once import run_once
from monitor.ops import healthcheck
from monitor.ops.settings import ObservabilitySettings
from tests.ops.apps import config_dict, make_app, negative_keys, replay_file
from tests.support.fake_slack import Fault


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


class RateLimitedOnce:
    """Wraps a connector: the first fetch is refused with a 429."""

    def __init__(self, inner) -> None:
        self.inner, self.platform, self.calls = inner, inner.platform, 0

    def fetch(self, query, cursor):
        self.calls += 1
        if self.calls == 1:
            raise RateLimited("429 Too Many Requests", retry_after=0.0)
        yield from self.inner.fetch(query, cursor)


@pytest.mark.e2e  # APScheduler runs the jobs in real time, so the app reads the real time too
def test_healthz_and_metrics_follow_the_daemon(tmp_path, db_url, fake_slack) -> None:
    replay = replay_file(tmp_path, 12)
    raw = config_dict(db_url, replay, fake_slack.base_url, observability={"listen": "127.0.0.1:0"})
    app = make_app(raw, fake_slack, clock=utc_now)
    from monitor.ops.metrics import InstrumentedConnector

    app.connectors["replay"] = InstrumentedConnector(
        RateLimitedOnce(app.connectors["replay"]._inner), source="replay", metrics=app.metrics
    )
    fake_slack.faults.append(Fault("429", retry_after=0))
    daemon = Daemon(app)
    server = daemon.start_endpoint()
    assert server is not None
    try:
        status, body = get(server.url + "/healthz")
        assert status == 503  # the scheduler is not running yet
        report = json.loads(body)
        assert report["status"] == "failing" and report["scheduler"] == {"alive": False}
        assert report["database"] == {"reachable": True}

        run_once(app)  # the 429 from the source
        app.pipeline.poll("replay", app.connectors["replay"], app.config.brands[0], force=True)
        run_once(app)
        for _ in range(3):  # Slack's 429 retry is due immediately (Retry-After: 0)
            app.delivery.run_once()
        assert sorted(fake_slack.keys()) == negative_keys(12)

        daemon.add_jobs()
        daemon.scheduler.start()  # running at once; the heartbeat is fresh since start-up
        status, body = get(server.url + "/healthz")
        assert status == 200, body
        report = json.loads(body)
        assert report["status"] == "ok"
        assert [(s["source"], s["brand"], s["ok"]) for s in report["sources"]] == [("replay", "Acme", True)]

        status, text = get(server.url + "/metrics")
        assert status == 200
        m = samples(text)
        assert m[("brand_monitor_posts_fetched_total", (("source", "replay"),))] == 12
        assert m[("brand_monitor_posts_classified_total", ())] == 12
        assert m[("brand_monitor_classify_batch_seconds_count", ())] >= 2  # batches of 8
        assert m[("brand_monitor_alerts_sent_total", (("kind", "negative_post"),))] == 4
        assert m[("brand_monitor_rate_limit_waits_total", (("target", "replay"),))] == 1
        assert m[("brand_monitor_rate_limit_waits_total", (("target", "slack"),))] == 1
        assert m[("brand_monitor_errors_total", (("kind", "source_rate_limited"),))] == 1
        assert m[("brand_monitor_database_up", ())] == 1
        assert m[("brand_monitor_unclassified_posts", ())] == 0
        assert m[("brand_monitor_outbox_rows", (("status", "sent"),))] == 4
        assert m[("brand_monitor_outbox_backlog_age_seconds", ())] == 0
        assert get(server.url + "/nope")[0] == 404
    finally:
        app.stop.set()
        daemon.wait_for_jobs()
        if daemon.scheduler.running:
            daemon.scheduler.shutdown(wait=True)
        server.close()
        app.engine.dispose()


def test_an_unreachable_database_is_a_503(clock) -> None:
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:9/none", connect_args={"connect_timeout": 1})
    healthy, body = healthcheck.check(
        healthcheck.HealthInputs(
            engine=engine,
            clock=clock,
            scheduler_alive=lambda: True,
            intervals={"x": timedelta(minutes=5)},
            stale_after_intervals=3,
            instance="test",
        )
    )
    assert not healthy and body["status"] == "failing"
    assert body["database"]["reachable"] is False and "error" in body["database"]


@pytest.mark.parametrize(
    ("listen", "ok"),
    [("127.0.0.1:9464", True), ("[::1]:9464", True), (":9464", True), ("9464", False), ("a:99999", False)],
)
def test_listen_address_is_validated(listen, ok) -> None:
    if ok:
        assert ObservabilitySettings(listen=listen).address is not None
    else:
        with pytest.raises(ValueError, match="listen"):
            ObservabilitySettings(listen=listen)
