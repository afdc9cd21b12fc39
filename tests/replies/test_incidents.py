"""One crisis, one incident: an outage's complaints become one Slack thread, none lost from the reply queue.

In-process on the manual clock: the replay source in live mode, the real job table (poll, classify,
replies, deliver), slack-sdk against the local Slack Web API, button clicks over local Socket Mode.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from monitor.manual import ManualRunner
from monitor.storage.schema import mentions, outbox, reply_incidents
from tests.conftest import START as T0
from tests.conftest import Clock, write_posts
from tests.replies.helpers import KeywordClassifier, items
from tests.support.fake_socket_mode import FakeSocketMode, button_click

OUTAGE = [
    "acme app is down. Fix it!",
    "@AcmeSupport acme app is down again, fix it",
    "acme app is down?? fix it please",
    "is acme app down for everyone? fix it",
]


def _post(n: int, text: str, *, seconds: float, followers: int = 150) -> dict[str, Any]:
    created = T0 + timedelta(seconds=seconds)
    return {
        "platform": "x",
        "id": str(n),
        "author": f"user{n}",
        "text": text,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "url": f"https://x.com/user{n}/status/{n}",
        "metrics": {"followers": followers},
    }


def _app(tmp_path: Path, fake_slack: Any, replay: Path, clock: Clock, **replies: Any) -> Any:
    config = parse_config(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'd.db'}"},
            "slack": {"base_url": fake_slack.base_url, "alerts_channel": "#brand-alerts", "min_interval": "10ms"},
            "schedule": {"classify_interval": "10s", "deliver_interval": "1s", "reply_check_interval": "1m"},
            "brands": [{"name": "Acme", "terms": ["acme"], "handles": {"x": "AcmeSupport"}}],
            "sources": {"replay": {"path": str(replay), "interval": "30s", "mode": "live"}},
            "replies": {
                "enabled": True,
                "channel": "#brand-replies",
                "on_call": ["U0ONCALL"],
                "categories": [{"name": "outage", "keywords": ["down", "outage"], "playbook": "We know, fixing it."}],
                **replies,
            },
        },
        env={"SLACK_BOT_TOKEN": fake_slack.token, "SLACK_APP_TOKEN": fake_slack.app_token},
    )
    return bootstrap(config, clock=clock, sleep=clock.sleep, classifier=KeywordClassifier())


def _top_level(fake_slack: Any) -> list[Any]:
    return [m for m in fake_slack.messages if m.thread_ts is None]


def _paged(fake_slack: Any, app: Any) -> list[str]:
    """Keys of the messages that pinged on-call when posted (an edit does not notify)."""
    with app.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.dedup_key, outbox.c.text, outbox.c.blocks, outbox.c.update_key)).all()
    return [k for k, text, blocks, update in rows if update is None and "U0ONCALL" in text + json.dumps(blocks)]


def test_an_outage_is_one_incident_thread_plus_the_high_priority_one(tmp_path: Path, fake_slack) -> None:
    # A 45,000-follower account first (the first poll finds it alone), then 18 near-identical complaints within
    # a minute, which the model calls neutral: the safety net queues them, the incident groups them all.
    posts = [_post(1, "SCAM ... BOYCOTT acme, the app is down and nobody answers", seconds=0, followers=45_000)]
    posts += [_post(n, OUTAGE[n % 4], seconds=3 * n) for n in range(2, 20)]
    replay = write_posts(tmp_path / "outage.jsonl", posts)
    clock = Clock()
    with FakeSocketMode() as ws:
        fake_slack.socket_url = ws.url
        app = _app(tmp_path, fake_slack, replay, clock)
        runner = ManualRunner(app)
        woken = threading.Event()
        app.interactions.on_change = lambda: (runner.wake("deliver"), woken.set())
        app.interactions.start()
        try:
            runner.advance(minutes=2)
            queued = items(app)
            # Nothing is lost from the reply queue: every post is there with its own deadline.
            assert sorted(int(i["post_id"]) for i in queued) == list(range(1, 20))
            assert all(i["status"] == "open" and i["due_at"] == i["posted_at"] + timedelta(hours=1) for i in queued)
            neutral = [i for i in queued if i["post_id"] != "1"]
            assert all("model said neutral 80%" in i["reason"] for i in neutral), neutral[0]["reason"]
            (incident_key,) = {i["incident_key"] for i in queued}
            big = next(i for i in queued if i["post_id"] == "1")
            assert big["priority"] == "high" and big["summary_key"] is None  # keeps its own thread, in the incident
            assert all(i["summary_key"] == incident_key for i in neutral)

            top = _top_level(fake_slack)
            keys = sorted(m.metadata["event_payload"]["key"] for m in top)
            assert keys == sorted([incident_key, f"reply:{big['id']}"])
            incident = next(m for m in top if m.metadata["event_payload"]["key"] == incident_key)
            shown = json.dumps(incident.blocks, ensure_ascii=False)
            assert "*19 posts* due for reply" in shown and "X 19" in shown and "We know, fixing it." in shown
            assert "reach 45,000" in shown  # the top posts by reach, with links
            assert f"https://slack.com/archives/{top[0].channel}/p" in shown  # links the high-priority thread
            # On-call is paged once for the incident, and once for the high-priority post that came first, alone.
            assert sorted(_paged(fake_slack, app)) == sorted([incident_key, f"reply:{big['id']}"])
            with app.engine.connect() as conn:
                (record,) = conn.execute(select(reply_incidents)).mappings().all()
                negatives = conn.execute(select(mentions.c.negative)).scalars().all()
            assert record["posts"] == 19 and record["paged_at"] is not None and record["kind"] == "similar"
            assert all(negatives)  # the safety net's posts count as negative for the spike metrics

            # "Handled all" on the incident, through Socket Mode, closes every post once and edits the incident.
            assert ws.wait_connected()
            assert ws.push(
                "interactive",
                button_click("handled", f"summary:{incident_key}", user="U0LEAD", channel=incident.channel,
                             ts=incident.ts),
            )  # fmt: skip
            assert woken.wait(10)
            runner.advance(seconds=5)
            assert {i["status"] for i in items(app)} == {"handled"}
            assert all(i["closed_by"] == "U0LEAD" and i["within_sla"] for i in items(app))
            assert "19 handled" in json.dumps(incident.blocks)
            assert any("Handled 19 posts" in m.text for m in fake_slack.messages)
            big_thread = next(m for m in top if m.metadata["event_payload"]["key"] == f"reply:{big['id']}")
            assert big_thread.blocks[0]["text"]["text"].startswith("Closed")
            # A copy of the button pasted elsewhere changes nothing (checked against channel/ts).
            before = len(fake_slack.messages)
            ws.push("interactive", button_click("acknowledge", f"summary:{incident_key}", ts="1.000"))
            runner.advance(seconds=5)
            assert len(fake_slack.messages) == before
        finally:
            app.interactions.stop(wait=0.1)
    assert len(_top_level(fake_slack)) == 2


def test_a_crisis_that_trickles_in_joins_its_incident_instead_of_a_thread_each(tmp_path: Path, fake_slack) -> None:
    # One post per poll, 30 s apart: the first has nothing like it yet and gets its thread; the next ones are
    # held while a cluster forms; the fifth opens the incident, which takes in all of them.
    posts = [_post(n, OUTAGE[n % 4], seconds=30 * (n - 1)) for n in range(1, 8)]
    replay = write_posts(tmp_path / "trickle.jsonl", posts)
    clock = Clock()
    app = _app(tmp_path, fake_slack, replay, clock, socket_mode=False)
    runner = ManualRunner(app)
    runner.advance(seconds=75)  # three polls: the first post has a thread, two more are held
    held = [i for i in items(app) if i["alert_key"] == ""]
    assert len(items(app)) == 3 and len(held) == 2
    assert [m.metadata["event_payload"]["key"] for m in _top_level(fake_slack)] == ["reply:1"]
    runner.advance(minutes=4)
    queued = items(app)
    assert len(queued) == 7 and len({i["incident_key"] for i in queued}) == 1
    (key,) = {i["incident_key"] for i in queued}
    assert all(i["summary_key"] == key for i in queued)  # the first one moved in too
    keys = [m.metadata["event_payload"]["key"] for m in _top_level(fake_slack)]
    assert keys == ["reply:1", key]  # two top-level messages for seven posts, not seven
    moved = [m for m in fake_slack.messages if m.thread_ts == _top_level(fake_slack)[0].ts]
    assert any("now part of an incident" in m.text for m in moved)
    assert _paged(fake_slack, app) == [key]


def test_a_held_post_gets_its_thread_when_no_incident_forms(tmp_path: Path, fake_slack) -> None:
    posts = [_post(1, OUTAGE[0], seconds=0), _post(2, OUTAGE[1], seconds=30)]
    replay = write_posts(tmp_path / "two.jsonl", posts)
    clock = Clock()
    app = _app(tmp_path, fake_slack, replay, clock, socket_mode=False)
    runner = ManualRunner(app)
    runner.advance(seconds=45)
    assert [i["alert_key"] for i in items(app)] == ["reply:1", ""]  # similar to the first: it waits
    runner.advance(minutes=2)
    assert [i["alert_key"] for i in items(app)] == ["reply:1", ""]  # the hold is 3 minutes
    runner.advance(minutes=2)
    assert [i["alert_key"] for i in items(app)] == ["reply:1", "reply:2"]
    assert sorted(m.metadata["event_payload"]["key"] for m in _top_level(fake_slack)) == ["reply:1", "reply:2"]
    assert all(i["incident_key"] is None and i["status"] == "open" for i in items(app))


def test_the_incident_links_a_high_priority_thread_once_it_is_delivered(sqlite_db, fake_slack) -> None:
    from tests.replies.helpers import drain, ingest, make_app, post

    clock = Clock()
    app = make_app(fake_slack, sqlite_db, clock)
    big = post("@AcmeSupport acme app is down, this is a scam", clock.now, author="big", metrics={"followers": 45_000})
    ingest(app, big, *[post(f"@AcmeSupport acme app is down again #{n}", clock.now, author=f"u{n}") for n in range(5)])
    (key,) = {i["incident_key"] for i in items(app)}
    assert app.replies.check().incidents_refreshed == 0  # Slack has nothing yet: no edit per check meanwhile
    drain(app)
    incident = next(m for m in _top_level(fake_slack) if m.metadata["event_payload"]["key"] == key)
    assert "thread pending" in json.dumps(incident.blocks)  # rendered in the same batch as that thread
    assert app.replies.check().incidents_refreshed == 1  # the next check edits the link in
    drain(app)
    assert "https://slack.com/archives/" in json.dumps(incident.blocks)
    assert app.replies.check().incidents_refreshed == 0  # and then leaves it be
