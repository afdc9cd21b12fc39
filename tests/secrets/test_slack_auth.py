"""Finding 6: a refused Slack token stops delivery as a whole; a fixed one releases every held alert at once."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from monitor.alerts import outbox
from monitor.alerts.delivery import AUTH_HOLD, Delivery
from monitor.alerts.outbox import Message
from monitor.alerts.slack import SlackSink
from monitor.storage import migrate
from monitor.storage.engine import make_engine
from monitor.storage.schema import outbox as outbox_table
from tests.conftest import Clock
from tests.support.fake_slack import FakeSlack, Fault
from tests.support.shared_data import recorded

GOOD, REVOKED = "xoxb-good-token-1", "xoxb-revoked-token-2"


def _engine(db_url: str):
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    return engine


def _enqueue(engine, clock: Clock, count: int, *, channel: str = "#brand-alerts", start: int = 0) -> None:
    with engine.begin() as conn:
        for n in range(start, start + count):
            outbox.enqueue(conn, Message(f"alert:{n}", "negative_post", channel, f"alert {n}"), now=clock())


def _delivery(engine, slack: FakeSlack, clock: Clock, token: str) -> Delivery:
    """What a (re)started process builds: a new sink and a new delivery (nothing remembered in memory)."""
    sink = SlackSink(token, base_url=slack.base_url, timeout=timedelta(seconds=2))
    return Delivery(engine, sink, clock=clock, min_interval=timedelta(0), sleep=lambda s: None)


def _methods(slack: FakeSlack) -> list[str]:
    return [method for method, _ in slack.calls]


def _rows(engine) -> list[dict]:
    with engine.connect() as conn:
        query = select(outbox_table.c.dedup_key, outbox_table.c.status, outbox_table.c.attempts)
        return [dict(r) for r in conn.execute(query.order_by(outbox_table.c.id)).mappings()]


def test_a_refused_token_costs_one_call_per_hold_and_a_fixed_one_releases_everything_at_start(
    db_url, fake_slack
) -> None:
    clock = Clock()
    engine = _engine(db_url)
    _enqueue(engine, clock, 5)
    fake_slack.token = GOOD
    refused = _delivery(engine, fake_slack, clock, REVOKED)
    report = refused.run_once()
    # One auth.test at start, refused: no alert is even tried.
    assert _methods(fake_slack) == ["auth.test"]
    assert report.sent == 0 and report.waiting == 5 and "invalid_auth" in (report.refused or "")
    assert all((r["status"], r["attempts"]) == ("pending", 0) for r in _rows(engine))
    clock.advance(seconds=AUTH_HOLD.total_seconds() - 1)
    refused.run_once()
    assert _methods(fake_slack) == ["auth.test"], "nothing is asked again within the hold"
    clock.advance(seconds=1)
    refused.run_once()
    assert _methods(fake_slack) == ["auth.test", "auth.test"], "then one auth.test per hold interval"

    # Restart with the corrected token: everything goes out at once, not after a hold.
    fixed = _delivery(engine, fake_slack, clock, GOOD)
    report = fixed.run_once()
    assert report.sent == 5 and report.waiting == 0 and report.refused is None
    assert _methods(fake_slack)[2:] == ["auth.test"] + ["chat.postMessage"] * 5
    assert fake_slack.keys() == [f"alert:{n}" for n in range(5)]
    engine.dispose()


def test_a_token_revoked_mid_pass_stops_the_pass_and_the_rest_wait_unharmed(db_url, fake_slack) -> None:
    clock = Clock()
    engine = _engine(db_url)
    _enqueue(engine, clock, 4)
    fake_slack.token = GOOD
    delivery = _delivery(engine, fake_slack, clock, GOOD)

    def revoke_after_first_post(method: str, args: dict) -> None:
        if method == "chat.postMessage" and len(fake_slack.messages) == 1:
            fake_slack.token = "xoxb-someone-else"

    fake_slack.on_call = revoke_after_first_post
    report = delivery.run_once()
    # auth.test ok, one post ok, the second refused: the pass stops there (no call for the other two).
    assert _methods(fake_slack) == ["auth.test", "chat.postMessage", "chat.postMessage"]
    assert report.sent == 1 and report.waiting == 3 and report.refused
    rows = _rows(engine)
    assert [r["status"] for r in rows] == ["sent", "pending", "pending", "pending"]
    assert [r["attempts"] for r in rows[1:]] == [0, 0, 0], "a refused token is not the alert's failed attempt"
    delivery.run_once()
    assert len(fake_slack.calls) == 3
    # The token is put right (the same one works again): the next check releases the rest.
    fake_slack.on_call, fake_slack.token = None, GOOD
    clock.advance(seconds=AUTH_HOLD.total_seconds())
    assert delivery.run_once().sent == 3
    engine.dispose()


def test_alerts_an_earlier_version_held_for_the_token_are_released_on_the_first_good_auth(db_url, fake_slack) -> None:
    clock = Clock()
    engine = _engine(db_url)
    _enqueue(engine, clock, 2)
    with engine.begin() as conn:  # what the per-row hold left behind: a retry 300 s later
        conn.execute(
            update(outbox_table).values(
                next_attempt_at=clock() + timedelta(seconds=300),
                attempts=1,
                last_error="Slack chat_postMessage: invalid_auth (HTTP 200)",
            )
        )
    report = _delivery(engine, fake_slack, clock, fake_slack.token).run_once()
    assert report.sent == 2 and report.waiting == 0
    engine.dispose()


def test_the_recorded_not_authed_answer_of_auth_test_holds_delivery(tmp_path) -> None:
    body = recorded("recorded-api/slack/auth.test_not_authed.json")
    assert json.loads(body)["error"] == "not_authed"
    clock = Clock()
    engine = _engine(f"sqlite:///{tmp_path / 'd.db'}")
    _enqueue(engine, clock, 2)
    with FakeSlack(GOOD) as slack:
        slack.refusal = body  # Slack's own bytes, HTTP 200 with ok false
        report = _delivery(engine, slack, clock, "").run_once()
        assert _methods(slack) == ["auth.test"]
    assert report.sent == 0 and report.waiting == 2 and "not_authed" in (report.refused or "")
    engine.dispose()


def test_channel_problems_hold_only_that_channel_and_a_permanent_error_only_that_alert(db_url, fake_slack) -> None:
    body = recorded("recorded-api/slack/chat.postMessage_invalid_blocks.json")
    clock = Clock()
    engine = _engine(db_url)
    _enqueue(engine, clock, 3)
    _enqueue(engine, clock, 1, channel="C0GONE00", start=3)  # an id Slack does not know: channel_not_found
    fake_slack.faults.append(Fault("body", method="chat.postMessage", body=body))  # Slack's answer to alert:0
    report = _delivery(engine, fake_slack, clock, fake_slack.token).run_once()
    assert report.sent == 2 and report.dead == 1 and report.retried == 1 and report.refused is None
    with engine.connect() as conn:
        rows = {
            r["dedup_key"]: r
            for r in conn.execute(
                select(outbox_table.c.dedup_key, outbox_table.c.status, outbox_table.c.last_error)
            ).mappings()
        }
    assert rows["alert:3"]["status"] == "pending" and "channel_not_found" in rows["alert:3"]["last_error"]
    assert rows["alert:0"]["status"] == "dead"
    # What Slack said beyond the code is kept for a person: which block failed.
    assert "invalid_blocks" in rows["alert:0"]["last_error"] and "/blocks/4/image_url" in rows["alert:0"]["last_error"]
    assert {rows["alert:1"]["status"], rows["alert:2"]["status"]} == {"sent"}
    engine.dispose()
