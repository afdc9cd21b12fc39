"""The daemon runs the reply check on its schedule and listens to Slack over Socket Mode."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from monitor.daemon import Daemon
from monitor.manual import ManualRunner
from monitor.once import run_once
from monitor.storage.schema import outbox
from tests.conftest import START as T0
from tests.conftest import Clock, make_post, write_posts
from tests.replies.helpers import KeywordClassifier
from tests.support.fake_socket_mode import FakeSocketMode, button_click


def _config(tmp_path: Path, slack_url: str, replay: Path, env: dict[str, str], **replies):
    return parse_config(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'd.db'}"},
            "slack": {"base_url": slack_url, "min_interval": "10ms"},
            "schedule": {"classify_interval": "1s", "deliver_interval": "1s", "reply_check_interval": "1s"},
            "brands": [{"name": "Acme", "terms": ["acme"], "handles": {"x": "AcmeSupport"}}],
            "sources": {"replay": {"path": str(replay), "interval": "1s"}},
            "replies": {"enabled": True, "channel": "#brand-replies", **replies},
        },
        env=env,
    )


def _wait(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_schedule_alerts_and_applies_a_button_click_which_wakes_delivery(tmp_path: Path, fake_slack) -> None:
    # Posted a minute before the clock's start: due in 59 minutes, so only the click changes the alert.
    replay = write_posts(tmp_path / "p.jsonl", [make_post(1, "@AcmeSupport acme is broken, help", minutes=179)])
    clock = Clock()
    with FakeSocketMode() as ws:
        fake_slack.socket_url = ws.url
        env = {"SLACK_BOT_TOKEN": fake_slack.token, "SLACK_APP_TOKEN": fake_slack.app_token}
        config = _config(tmp_path, fake_slack.base_url, replay, env, max_age="3650d")
        app = bootstrap(config, clock=clock, sleep=clock.sleep, classifier=KeywordClassifier())
        assert app.replies is not None and app.interactions is not None
        runner = ManualRunner(app)
        assert "replies" in [job.name for job in runner.jobs]
        woken = threading.Event()

        def on_change() -> None:  # as the daemon wires it: a change in Slack wakes delivery
            runner.wake("deliver")
            woken.set()

        app.interactions.on_change = on_change
        app.interactions.start()
        try:
            runner.advance()
            keys = fake_slack.keys()
            assert "reply:1" in keys, keys
            assert ws.wait_connected()
            alert = fake_slack.messages[keys.index("reply:1")]
            assert ws.push("interactive", button_click("handled", "item:1", ts=alert.ts))  # acked once applied
            assert woken.wait(10)
            assert not alert.edits  # delivery's next beat is 1 s away...
            ran = runner.advance()  # ...but the click woke it: it runs at this very instant
            assert ran == ["deliver"] and clock() < T0 + timedelta(seconds=1)
            assert alert.edits and any("Handled by" in m.text for m in fake_slack.messages)
        finally:
            app.interactions.stop(wait=0.1)
    assert alert.blocks[0]["text"]["text"].startswith("Closed")


@pytest.mark.e2e
def test_the_daemon_alerts_and_applies_a_button_click(tmp_path: Path, fake_slack) -> None:
    replay = write_posts(tmp_path / "p.jsonl", [make_post(1, "@AcmeSupport acme is broken, help")])
    with FakeSocketMode() as ws:
        fake_slack.socket_url = ws.url
        env = {"SLACK_BOT_TOKEN": fake_slack.token, "SLACK_APP_TOKEN": fake_slack.app_token}
        config = _config(tmp_path, fake_slack.base_url, replay, env, max_age="3650d")
        app = bootstrap(config, classifier=KeywordClassifier())
        assert app.replies is not None and app.interactions is not None
        daemon = Daemon(app)
        daemon.add_jobs()
        assert daemon.scheduler.get_job("replies") is not None
        daemon.scheduler.start()
        daemon.start_interactions()
        try:
            keys = fake_slack.keys
            assert _wait(lambda: "reply:1" in keys()), keys()
            # A click acts only on a message the daemon knows it delivered (its channel and ts stored): Slack
            # has the message a moment before the daemon has recorded the answer, so wait for that first.
            assert _wait(lambda: _status(app.engine, "reply:1") == "sent")
            assert ws.wait_connected()
            alert = fake_slack.messages[fake_slack.keys().index("reply:1")]
            assert ws.push("interactive", button_click("handled", "item:1", channel=alert.channel, ts=alert.ts))
            # The click woke delivery: the alert is edited and the thread says who handled it.
            assert _wait(lambda: alert.edits and any("Handled by" in m.text for m in fake_slack.messages))
        finally:
            app.stop.set()
            daemon.stop_interactions()
            daemon.wait_for_jobs()
            daemon.scheduler.shutdown(wait=True)
    assert alert.blocks[0]["text"]["text"].startswith("Closed")


def _status(engine, key: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(outbox.c.status).where(outbox.c.dedup_key == key)).scalar()


def test_run_once_runs_the_reply_check(tmp_path: Path, fake_slack, caplog) -> None:
    posts = [make_post(1, "@AcmeSupport acme is broken", minutes=1)]
    replay = write_posts(tmp_path / "p.jsonl", posts)
    config = _config(tmp_path, fake_slack.base_url, replay, {"SLACK_BOT_TOKEN": fake_slack.token}, max_age="3650d")
    clock = Clock()  # 2026-11-20 12:00 UTC
    app = bootstrap(config, clock=clock, classifier=KeywordClassifier())
    assert app.interactions is None and "SLACK_APP_TOKEN is not set" in caplog.text
    totals = run_once(app)
    # The post (2026-11-20 09:01, due 10:01) is long past its deadline at 12:00: alerted and escalated at once.
    assert totals["reply_timers"] == 1 and totals["undelivered"] == 0
    assert fake_slack.keys() == ["reply:1", "reply:1:escalation"]
    assert len(fake_slack.messages[0].edits) == 1  # the status line now says "escalated"
