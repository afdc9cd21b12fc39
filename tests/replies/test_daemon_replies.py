"""The daemon runs the reply check on its schedule and listens to Slack over Socket Mode."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from monitor.daemon import Daemon
from monitor.once import run_once
from tests.conftest import make_post, write_posts
from tests.replies.helpers import KeywordClassifier
from tests.support.fake_socket_mode import FakeSocketMode, button_click


def _config(tmp_path: Path, slack_url: str, replay: Path, **replies):
    return parse_config(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'd.db'}"},
            "slack": {"base_url": slack_url, "min_interval": "10ms"},
            "schedule": {"classify_interval": "1s", "deliver_interval": "1s", "reply_check_interval": "1s"},
            "brands": [{"name": "Acme", "terms": ["acme"], "handles": {"x": "AcmeSupport"}}],
            "sources": {"replay": {"path": str(replay), "interval": "1s"}},
            "replies": {"enabled": True, "channel": "#brand-replies", **replies},
        },
        env={},
    )


def _wait(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_the_daemon_alerts_and_applies_a_button_click(tmp_path: Path, fake_slack) -> None:
    replay = write_posts(tmp_path / "p.jsonl", [make_post(1, "@AcmeSupport acme is broken, help")])
    with FakeSocketMode() as ws:
        fake_slack.socket_url = ws.url
        env = {"SLACK_BOT_TOKEN": fake_slack.token, "SLACK_APP_TOKEN": fake_slack.app_token}
        config = _config(tmp_path, fake_slack.base_url, replay, max_age="3650d")
        app = bootstrap(config, classifier=KeywordClassifier(), env=env)
        assert app.replies is not None and app.interactions is not None
        daemon = Daemon(app)
        daemon.add_jobs()
        assert daemon.scheduler.get_job("replies") is not None
        daemon.scheduler.start()
        daemon.start_interactions()
        try:
            keys = fake_slack.keys
            assert _wait(lambda: "reply:1" in keys()), keys()
            assert ws.wait_connected()
            alert = fake_slack.messages[fake_slack.keys().index("reply:1")]
            assert ws.push("interactive", button_click("handled", "item:1", ts=alert.ts))
            # The click woke delivery: the alert is edited and the thread says who handled it.
            assert _wait(lambda: alert.edits and any("Handled by" in m.text for m in fake_slack.messages))
        finally:
            app.stop.set()
            daemon.stop_interactions()
            daemon.scheduler.shutdown(wait=True)
    assert alert.blocks[0]["text"]["text"].startswith("Closed")


def test_run_once_runs_the_reply_check(tmp_path: Path, fake_slack, caplog) -> None:
    posts = [make_post(1, "@AcmeSupport acme is broken", minutes=1)]
    replay = write_posts(tmp_path / "p.jsonl", posts)
    config = _config(tmp_path, fake_slack.base_url, replay, max_age="3650d")
    app = bootstrap(config, classifier=KeywordClassifier(), env={"SLACK_BOT_TOKEN": fake_slack.token})
    assert app.interactions is None and "SLACK_APP_TOKEN is not set" in caplog.text
    totals = run_once(app)
    # The post (2026-11-20 09:01) is long past its deadline at the real clock: alerted and escalated at once.
    assert totals["reply_timers"] == 1 and totals["undelivered"] == 0
    assert fake_slack.keys() == ["reply:1", "reply:1:escalation"]
    assert len(fake_slack.messages[0].edits) == 1  # the status line now says "escalated"
