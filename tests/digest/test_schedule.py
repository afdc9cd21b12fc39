"""The digest on the daemon's schedule: at 08:00 Warsaw time each day, across the spring DST change.

The manual clock lets three days pass; the cron job fires at 07:00 UTC while Warsaw is on CET and at
06:00 UTC once it is on CEST, and each day's digest reaches Slack once.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from monitor.bootstrap import bootstrap
from monitor.jobs import table
from monitor.manual import ManualRunner
from tests.conftest import Clock
from tests.digest import scenario
from tests.support.schedule import rare_beats

START = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)  # Friday noon, CET; Warsaw springs forward on Sunday the 29th


class NoModel:
    def classify(self, texts):  # never called: no sources
        raise AssertionError("no classification expected")


def test_the_digest_goes_out_at_eight_local_time_on_both_sides_of_the_dst_change(db_url, fake_slack) -> None:
    clock = Clock(START)
    config = scenario.config(db_url, env={"SLACK_BOT_TOKEN": fake_slack.token}, base_url=fake_slack.base_url)
    config = rare_beats(config, digest_time=time(8, 0))
    app = bootstrap(config, clock=clock, sleep=clock.sleep, classifier=NoModel())
    scenario.seed_week(app.engine)
    # The cron job on its own: the 30-second catch-up check (which would also send a missed digest) and the
    # heartbeat would add thousands of runs to three days without telling anything about the cron trigger.
    runner = ManualRunner(app, jobs=[j for j in table(app) if j.name not in ("digest-check", "heartbeat")])
    runner.advance(days=3)
    fired = [when for when, name, _ in runner.runs if name == "digest"]
    assert fired == [
        datetime(2026, 3, 28, 7, 0, tzinfo=UTC),  # 08:00 CET
        datetime(2026, 3, 29, 6, 0, tzinfo=UTC),  # 08:00 CEST, the morning of the change
        datetime(2026, 3, 30, 6, 0, tzinfo=UTC),
    ]
    delivered = fake_slack.keys()
    keys = [k for k in delivered if k.startswith("digest:") and ":part" not in k]
    assert keys == ["digest:2026-03-27:#digest", "digest:2026-03-28:#digest", "digest:2026-03-29:#digest"]
    texts = [m.text for m in fake_slack.messages if m.text.startswith("Daily digest 2026-03-29")]
    assert texts and texts[0].startswith("Daily digest 2026-03-29: Acme: 6 mentions")  # the 23-hour day
    runner.advance(hours=12)  # Monday afternoon: nothing more is due, nothing goes out twice
    assert fake_slack.keys() == delivered and len(delivered) == len(set(delivered))
    app.engine.dispose()
