"""Warm start: sources that page back read a new brand's last week; that history teaches, it does not alert."""

from __future__ import annotations

from datetime import timedelta

from connectors.hn import HackerNewsSettings
from connectors.reddit import RedditSettings
from connectors.x import XSettings
from models.base import Sentiment
from monitor.bootstrap import bootstrap, warm_start_reads
from monitor.config import parse_config
from tests.conftest import Clock, make_post, write_posts

WEEK = timedelta(days=7)


def test_sources_that_page_back_read_the_warm_start_on_a_brands_first_poll() -> None:
    hn = warm_start_reads(HackerNewsSettings(), WEEK)
    assert hn.first_read_window == WEEK
    reddit = RedditSettings(enabled=False)  # no secrets needed to build its settings
    assert warm_start_reads(reddit, WEEK).first_read_window == WEEK
    # A window set in the config wins; X keeps its own (reads are charged per post against a monthly cap).
    assert warm_start_reads(HackerNewsSettings(first_read_window="2h"), WEEK).first_read_window == timedelta(hours=2)
    x = XSettings(enabled=False)
    assert warm_start_reads(x, WEEK) is x


class Negative:
    def classify(self, texts):
        return [Sentiment("negative", 0.9, 0.9) for _ in texts]


def test_history_read_for_the_baseline_does_not_alert_post_by_post(tmp_path, fake_slack) -> None:
    clock = Clock()  # 2026-11-20 12:00 UTC
    # make_post writes at 09:00 + n minutes: posts 2-3 are three hours old; -3000 min is two days before.
    # (Measured from the brand's newest mention, so a replay of old recorded posts still alerts: see below.)
    replay = write_posts(
        tmp_path / "p.jsonl",
        [make_post(1, "acme broke", minutes=-3000), make_post(2, "acme broke again"), make_post(3, "acme down")],
    )
    _poll_classify_deliver(tmp_path, fake_slack, clock, replay)
    alerted = " ".join(m.text for m in fake_slack.messages)
    assert "acme broke again" in alerted and "acme down" in alerted
    assert "acme broke\n" not in alerted + "\n" and alerted.count("acme broke") == 1, "the two-day-old post is history"


def test_recorded_posts_replayed_long_after_still_alert(tmp_path, fake_slack) -> None:
    """News is measured from the brand's newest mention: a replay of last month's posts alerts as if live."""
    clock = Clock()
    clock.advance(days=30)
    replay = write_posts(tmp_path / "p.jsonl", [make_post(1, "acme broke"), make_post(2, "acme down")])
    _poll_classify_deliver(tmp_path, fake_slack, clock, replay)
    assert len(fake_slack.messages) == 2


def _poll_classify_deliver(tmp_path, fake_slack, clock, replay) -> None:
    """One poll of the replay file, its posts classified negative, and the alerts delivered to the local Slack."""
    config = parse_config(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'd.db'}"},
            "slack": {"base_url": fake_slack.base_url, "min_interval": "10ms"},
            "brands": [{"name": "Acme", "terms": ["acme"]}],
            "sources": {"replay": {"path": str(replay)}},
            "digest": {"enabled": False},
        },
        env={"SLACK_BOT_TOKEN": fake_slack.token},
    )
    app = bootstrap(config, clock=clock, sleep=clock.sleep, classifier=Negative())
    app.pipeline.poll("replay", app.connectors["replay"], config.brand("Acme"))
    app.pipeline.classify_pending()
    app.delivery.run_once()
