"""The daemon on a live-mode replay, on the manual clock: a burst reaches Slack in time, late posts or not.

The app is bootstrapped as in production (its job table, leases, delivery to a local Slack
speaking the Web API); only the clock is manual and the classifier is a keyword stand-in.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from models.base import Sentiment
from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from monitor.manual import ManualRunner
from monitor.storage.schema import spike_detectors, spikes
from tests.conftest import Clock, write_posts
from tests.test_spike_watch import Feed

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
BURST_AT = T0 + timedelta(hours=2)
POLL = timedelta(minutes=10)
SLACK_TOKEN = "xoxb-test-token"


class Keywords:
    """Negative when a post says the app is down or crashes."""

    def classify(self, texts):
        return [
            Sentiment("negative", 0.9, 0.9) if ("down" in t or "crash" in t) else Sentiment("neutral", 0.8, 0.1)
            for t in texts
        ]


def post(n: int, text: str, created: datetime) -> dict:
    return {
        "platform": "x",
        "id": f"live{n}",
        "author": f"user{n % 40}",
        "text": text,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "url": f"https://x.com/user{n % 40}/status/{n}",
        "metrics": {"followers": 100 + n},
    }


def live_file(tmp_path: Path, *, late: bool) -> tuple[Path, datetime]:
    """Three hours of quiet mentions from T0 and a 27-post "app is down" burst over 20 minutes at BURST_AT.

    The file is in arrival order, as a source hands posts over: with ``late``, each burst post arrives
    10-40 minutes after it was written. Returns the file and the time the last burst post arrives.
    """
    arrivals: list[tuple[datetime, dict]] = []
    for i in range(36):  # one ordinary mention every 5 minutes
        at = T0 + timedelta(minutes=5 * i)
        arrivals.append((at, post(i, f"acme delivered my order #{i}", at)))
    for k in range(27):
        written = BURST_AT + timedelta(seconds=44 * k)  # 7, 7, 7, 6 per 5-minute bucket
        delay = timedelta(minutes=10 + 10 * (k % 4)) if late else timedelta(0)
        arrivals.append((written + delay, post(1000 + k, f"acme app is down again, can't log in ({k})", written)))
    arrivals.sort(key=lambda a: a[0])
    return write_posts(tmp_path / "live.jsonl", [p for _, p in arrivals]), max(
        a for a, p in arrivals if p["id"].startswith("live10")
    )


def stored_week(engine) -> None:
    """A week of the brand's posts already in the database: about one complaint per 10 minutes."""
    Feed(engine).buckets(T0 - timedelta(days=7), [0, 1] * (7 * 144), others=0)


def make_app(tmp_path: Path, db_url: str, fake_slack, replay: Path, clock: Clock):
    raw = {
        "storage": {"url": db_url},
        "slack": {"base_url": fake_slack.base_url, "min_interval": "10ms", "timeout": "2s"},
        "alerts": {"negative_posts": False},  # only the spike alert: the subject here
        "digest": {"enabled": False},
        # Delivery every minute (5 s by default): a spike alert is queued, so this bounds the wait by a minute.
        "schedule": {"deliver_interval": "1m"},
        "brands": [{"name": "Acme", "terms": ["acme"]}],
        "sources": {"replay": {"path": str(replay), "mode": "live", "interval": "10m", "page_size": 100}},
    }
    cfg = parse_config(raw, env={"SLACK_BOT_TOKEN": SLACK_TOKEN})
    return bootstrap(cfg, clock=clock, sleep=clock.sleep, classifier=Keywords())


def spike_threads(fake_slack) -> list:
    """The top-level spike messages (the digest also posts at its time)."""
    return [m for m in fake_slack.messages if m.thread_ts is None and m.text.startswith("Spike in")]


def run_until_spike(runner: ManualRunner, fake_slack, until: datetime) -> datetime | None:
    """Advance a minute at a time from the burst on; the time the spike's thread first reached Slack."""
    runner.advance(BURST_AT - runner.clock())
    assert spike_threads(fake_slack) == [], "nothing to alert on before the burst"
    while runner.clock() < until:
        runner.advance(minutes=1)
        if any("negative mentions of Acme" in m.text for m in spike_threads(fake_slack)):
            return runner.clock()
    return None


def test_a_burst_whose_posts_arrive_late_reaches_slack_within_a_poll_of_their_arrival(
    tmp_path, db_url, engine, fake_slack
) -> None:
    stored_week(engine)
    replay, last_arrival = live_file(tmp_path, late=True)
    clock = Clock(T0)
    app = make_app(tmp_path, db_url, fake_slack, replay, clock)
    runner = ManualRunner(app)
    alerted = run_until_spike(runner, fake_slack, T0 + timedelta(hours=3))
    assert alerted is not None, "the late burst never reached Slack"
    assert BURST_AT + timedelta(minutes=10) < alerted <= last_arrival + POLL
    [parent] = spike_threads(fake_slack)
    assert "min late: its posts arrived after the fact" in str(parent.blocks)
    with engine.connect() as conn:
        row = conn.execute(select(spikes)).mappings().one()
    assert BURST_AT <= row["opened_at"] < BURST_AT + timedelta(minutes=20)
    assert row["drivers"]["seen_late_minutes"] >= 10
    # The rest of the day adds nothing: one spike, one thread.
    runner.advance(hours=4)
    assert len(spike_threads(fake_slack)) == 1
    # Once final, the burst's buckets were fed to the saved state once, with every post they hold (7, 7, 7, 6;
    # the daemon fed [1, 1, 2, 2, 1, ...] with the same posts in the database).
    with engine.connect() as conn:
        row = conn.execute(select(spike_detectors.c.state, spike_detectors.c.last_bucket_at)).one()
    state = row.state if isinstance(row.state, dict) else json.loads(row.state)
    fed = [count for count, _ in state["recent"]]
    burst_index = len(fed) - 1 - (row.last_bucket_at - BURST_AT) // timedelta(minutes=5)
    assert fed[burst_index : burst_index + 4] == [7, 7, 7, 6]


def test_a_brand_with_a_week_of_stored_history_alerts_on_its_first_day(tmp_path, db_url, engine, fake_slack) -> None:
    stored_week(engine)
    replay, _ = live_file(tmp_path, late=False)
    clock = Clock(T0)
    app = make_app(tmp_path, db_url, fake_slack, replay, clock)
    runner = ManualRunner(app)
    runner.advance(minutes=1)
    with engine.connect() as conn:
        ready = conn.execute(select(spike_detectors.c.history_from, spike_detectors.c.alerts_from)).one()
    assert T0 - timedelta(days=7) <= ready.history_from <= T0 - timedelta(days=6, hours=23)
    assert ready.alerts_from <= T0, "warm from the stored week: alerting at full sensitivity from the start"
    alerted = run_until_spike(runner, fake_slack, T0 + timedelta(hours=3))
    assert alerted is not None, "no alert on the first day"
    # On time: the burst's first buckets poll in within 10 minutes, and the check follows their classification.
    assert alerted <= BURST_AT + timedelta(minutes=5) + POLL
