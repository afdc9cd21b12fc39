"""The scheduled daemon: jobs run on their intervals, failures never kill it, SIGTERM exits cleanly."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

from connectors.base import Cursor, Page, Query
from models.base import Sentiment
from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from monitor.daemon import Daemon
from tests.conftest import make_post, write_posts
from tests.test_run_once import brand_monitor, write_config


class Exploding:
    """A source whose client library raises something unexpected."""

    platform = "x"

    def __init__(self) -> None:
        self.calls = 0

    def fetch(self, query: Query, cursor: Cursor) -> Iterator[Page]:
        self.calls += 1
        raise RuntimeError("library bug")


class AlwaysNegative:
    def classify(self, texts):
        return [Sentiment("negative", 0.9, 0.9) for _ in texts]


def test_a_failing_job_is_logged_and_the_others_keep_running(tmp_path: Path, fake_slack, caplog) -> None:
    replay = write_posts(tmp_path / "p.jsonl", [make_post(1, "acme is down"), make_post(2, "acme broke")])
    config = parse_config({
        "storage": {"url": f"sqlite:///{tmp_path / 'd.db'}"},
        "slack": {"base_url": fake_slack.base_url, "min_interval": "10ms"},
        "schedule": {"classify_interval": "1s", "deliver_interval": "1s"},
        "brands": [{"name": "Acme", "terms": ["acme"]}],
        "sources": {"replay": {"path": str(replay), "interval": "1s"}},
    }, env={"SLACK_BOT_TOKEN": fake_slack.token})
    exploding = Exploding()
    app = bootstrap(config, classifier=AlwaysNegative())
    app.connectors["x"] = exploding
    daemon = Daemon(app, extra_jobs=[("explode", lambda: exploding.fetch(None, None).__next__(),  # type: ignore
                                      {"trigger": "interval", "seconds": 0.5})])
    # Daemon.run installs signal handlers and blocks; here the scheduler is driven directly.
    daemon.add_jobs()
    daemon.scheduler.start()
    try:
        deadline = time.monotonic() + 30
        while len(fake_slack.keys()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)
    finally:
        app.stop.set()
        daemon.scheduler.shutdown(wait=True)
    assert sorted(fake_slack.keys()) == ["negative:Acme:x:1", "negative:Acme:x:2"]
    assert exploding.calls >= 2, "the failing job kept being scheduled"
    assert "job explode failed" in caplog.text


def test_sigterm_finishes_cleanly_with_exit_0(tmp_path: Path, db_url: str, tiny_model_dir, fake_slack) -> None:
    replay = write_posts(tmp_path / "p.jsonl", [make_post(i, f"Acme support is terrible, order {i} never arrived")
                                                 for i in range(1, 6)])
    config = write_config(tmp_path, db_url=db_url, model=tiny_model_dir, slack_url=fake_slack.base_url,
                          replay=replay)
    daemon = brand_monitor(config, fake_slack.token, once=False)
    deadline = time.monotonic() + 120
    while len(fake_slack.keys()) < 5 and time.monotonic() < deadline and daemon.poll() is None:
        time.sleep(0.2)
    daemon.send_signal(signal.SIGTERM)
    out, _ = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, out
    assert "stopping" in out and "stopped" in out
    assert len(fake_slack.keys()) == 5


