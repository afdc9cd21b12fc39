"""Finding 9: a click acts only on the message it came from, and an envelope Slack re-sends is applied once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from monitor.ops import retention
from monitor.ops.settings import RetentionSettings
from monitor.replies.socket import InteractionListener
from monitor.storage import envelopes
from monitor.storage.schema import slack_envelopes
from tests.conftest import Clock
from tests.replies.helpers import drain, ingest, items, make_app, post
from tests.support.fake_socket_mode import FakeSocketMode, button_click


@pytest.fixture
def socket_mode(fake_slack) -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as ws:
        fake_slack.socket_url = ws.url
        yield ws


def _listener(app, fake_slack, clock) -> InteractionListener:
    listener = InteractionListener(
        app.engine, app.config.replies, app_token=fake_slack.app_token, base_url=fake_slack.base_url, clock=clock
    )
    listener.start()
    return listener


def _alert(fake_slack, item_id: int):
    return next(
        m for m in fake_slack.messages if (m.metadata or {}).get("event_payload", {}).get("key") == f"reply:{item_id}"
    )


def _one_open_item(db_url, fake_slack, clock, **replies):
    app = make_app(fake_slack, db_url, clock, **replies)
    ingest(app, post("@AcmeSupport acme app is broken", clock.now, author="dana"))
    drain(app)
    (item,) = items(app)
    return app, item, _alert(fake_slack, item["id"])


def test_a_button_value_from_another_message_changes_nothing(db_url, fake_slack, socket_mode) -> None:
    clock = Clock()
    app, item, alert = _one_open_item(db_url, fake_slack, clock)
    value = f"item:{item['id']}"
    listener = _listener(app, fake_slack, clock)
    try:
        assert socket_mode.wait_connected()
        # The open post's real button value, on a message in another channel, then at another ts: acked, ignored.
        assert socket_mode.push("interactive", button_click("handled", value, channel="C0OTHER1", ts=alert.ts))
        assert socket_mode.push("interactive", button_click("handled", value, channel=alert.channel, ts="1.000001"))
        assert items(app)[0]["status"] == "open"
        # From its own alert it works.
        assert socket_mode.push("interactive", button_click("handled", value, channel=alert.channel, ts=alert.ts))
    finally:
        listener.stop(wait=0.1)
    assert items(app)[0]["status"] == "handled"


def test_an_envelope_slack_sends_again_is_applied_once_even_across_a_restart(db_url, fake_slack, socket_mode) -> None:
    clock = Clock()
    app, item, alert = _one_open_item(db_url, fake_slack, clock, snooze="2h")
    snooze = button_click("snooze", f"item:{item['id']}", channel=alert.channel, ts=alert.ts)
    listener = _listener(app, fake_slack, clock)
    try:
        assert socket_mode.wait_connected()
        first = socket_mode.push("interactive", snooze)
        assert first is not None
        until = items(app)[0]["snoozed_until"]
        assert until == clock.now + timedelta(hours=2)
        clock.advance(minutes=5)
        # Its ack was lost on a reconnect: Slack sends the same envelope again, and the listener acks it again.
        assert socket_mode.push("interactive", snooze, resend=first["envelope_id"])
    finally:
        listener.stop(wait=0.1)
    assert items(app)[0]["snoozed_until"] == until, "the snooze end did not move"
    # A restarted process (a new listener) still knows it.
    listener = _listener(app, fake_slack, clock)
    try:
        # The new listener's websocket is up (the stopped one's may linger a moment; it gets no acks through).
        assert socket_mode.wait_connections(2)
        assert socket_mode.push("interactive", snooze, resend=first["envelope_id"])
    finally:
        listener.stop(wait=0.1)
    assert items(app)[0]["snoozed_until"] == until
    drain(app)
    notes = [m.text for m in fake_slack.messages if m.thread_ts == alert.ts and "Snoozed" in m.text]
    assert len(notes) == 1 and "Snoozed by <@U0ALICE> for 2h" in notes[0], notes
    assert len(alert.edits) == 1, "one update of the alert, not two"


def test_a_snooze_under_a_minute_reads_in_seconds(sqlite_db, fake_slack, socket_mode) -> None:
    clock = Clock()
    app, item, alert = _one_open_item(sqlite_db, fake_slack, clock, snooze="45s")
    listener = _listener(app, fake_slack, clock)
    try:
        assert socket_mode.wait_connected()
        assert socket_mode.push(
            "interactive", button_click("snooze", f"item:{item['id']}", channel=alert.channel, ts=alert.ts)
        )
    finally:
        listener.stop(wait=0.1)
    drain(app)
    (note,) = [m.text for m in fake_slack.messages if m.thread_ts == alert.ts and "Snoozed" in m.text]
    assert "for 45s" in note and "0 min" not in note


def test_old_envelope_ids_are_pruned_with_the_retention_job(db_url, fake_slack) -> None:
    clock = Clock()
    app = make_app(fake_slack, db_url, clock)
    with app.engine.begin() as conn:
        assert envelopes.first_time(conn, "env-old", now=clock.now - envelopes.KEEP - timedelta(minutes=1))
        assert envelopes.first_time(conn, "env-new", now=clock.now - timedelta(minutes=1))
        assert not envelopes.first_time(conn, "env-new", now=clock.now)
    report = retention.prune(app.engine, RetentionSettings(), clock=clock, sleep=lambda s: None)
    assert report.envelopes == 1
    with app.engine.connect() as conn:
        left = conn.execute(select(slack_envelopes.c.envelope_id)).scalars().all()
        assert conn.execute(select(func.count()).select_from(slack_envelopes)).scalar_one() == 1
    assert left == ["env-new"]
