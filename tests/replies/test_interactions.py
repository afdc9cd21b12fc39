"""Closing a post from Slack: buttons and reactions over Socket Mode (slack-sdk's client, a local websocket)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor.replies.socket import InteractionListener
from monitor.storage.schema import classification_feedback
from tests.conftest import Clock
from tests.replies.helpers import drain, ingest, items, make_app, post
from tests.support.fake_socket_mode import FakeSocketMode, button_click, reaction_added


@pytest.fixture
def socket_mode(fake_slack) -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as ws:
        fake_slack.socket_url = ws.url
        yield ws


def listen(app, fake_slack, clock) -> InteractionListener:
    listener = InteractionListener(
        app.engine, app.config.replies, app_token=fake_slack.app_token, base_url=fake_slack.base_url, clock=clock
    )
    listener.start()
    return listener


def alert_of(fake_slack, item_id: int):
    return next(
        m for m in fake_slack.messages if (m.metadata or {}).get("event_payload", {}).get("key") == f"reply:{item_id}"
    )


def click_on(alert, action: str, item, **kw) -> dict:
    """A click on one of ``item``'s buttons on its alert message, as Slack sends it."""
    return button_click(action, f"item:{item['id']}", channel=alert.channel, ts=alert.ts, **kw)


def test_buttons_acknowledge_then_handle_over_socket_mode(db_url, fake_slack, socket_mode) -> None:
    clock = Clock()
    app = make_app(fake_slack, db_url, clock)
    ingest(app, post("@AcmeSupport acme app is broken", clock.now, author="dana"))
    drain(app)
    (item,) = items(app)
    alert = alert_of(fake_slack, item["id"])
    listener = listen(app, fake_slack, clock)
    try:
        assert socket_mode.wait_connected()
        # apps.connections.open was called with the app-level token, not the bot token.
        assert [m for m, _ in fake_slack.calls].count("apps.connections.open") == 1
        ack = socket_mode.push("interactive", click_on(alert, "acknowledge", item))
        assert ack is not None and ack["envelope_id"].startswith("env-")
        (item,) = items(app)
        assert item["status"] == "acknowledged" and item["acknowledged_by"] == "U0ALICE"
        clock.advance(minutes=10)
        assert socket_mode.push("interactive", click_on(alert, "handled", item))
        # A second click (Slack retry, or a colleague) changes nothing.
        assert socket_mode.push("interactive", click_on(alert, "handled", item, user="U0CAROL"))
    finally:
        listener.stop(wait=0.1)
    (item,) = items(app)
    assert item["status"] == "handled" and item["closed_by"] == "U0ALICE" and item["within_sla"] is True
    assert item["closed_at"] == clock.now and item["first_reply_at"] is None
    drain(app)
    notes = [m.text for m in fake_slack.messages if m.thread_ts == alert.ts]
    assert any("Acknowledged by <@U0ALICE>" in n for n in notes)
    assert sum("Handled by" in n for n in notes) == 1
    assert (
        len(alert.edits) == 2
        and "closed: handled in Slack by <@U0ALICE>" in str(alert.blocks[-1])
        and alert.blocks[0]["text"]["text"].startswith("Closed")
    )
    # Closed: no timers fire any more.
    clock.advance(hours=3)
    assert not app.replies.check().changed
    # The brand's answer on the platform arrives later: its time is kept for the response-time records.
    answer = post("@dana fixed", clock.now - timedelta(minutes=1), author="AcmeSupport", reply_to=item["post_id"])
    ingest(app, answer)
    before = len(fake_slack.calls)
    app.replies.check()
    (item,) = items(app)
    assert (item["status"], item["first_reply_at"], item["within_sla"]) == ("handled", answer.created_at, True)
    assert drain(app) == 0 and len(fake_slack.calls) == before


def test_reactions_close_and_not_negative_is_kept_as_feedback(db_url, fake_slack, socket_mode) -> None:
    clock = Clock()
    app = make_app(fake_slack, db_url, clock)
    ingest(
        app,
        post("@AcmeSupport acme billing is a scam", clock.now, author="a1"),
        post("@AcmeSupport acme is broken lol jk it's great", clock.now, author="a2"),
    )
    drain(app)
    first, second = items(app)
    listener = listen(app, fake_slack, clock)
    try:
        assert socket_mode.wait_connected()
        one, two = alert_of(fake_slack, first["id"]), alert_of(fake_slack, second["id"])
        assert socket_mode.push("events_api", reaction_added("white_check_mark", channel=one.channel, ts=one.ts))
        assert socket_mode.push("events_api", reaction_added("ok_hand::skin-tone-3", channel=two.channel, ts=two.ts))
        # A reaction we do not map, and one on a message that is not ours, are acked and ignored.
        assert socket_mode.push("events_api", reaction_added("tada", channel=one.channel, ts=one.ts))
        assert socket_mode.push("events_api", reaction_added("eyes", channel="C0OTHER", ts="1.2"))
    finally:
        listener.stop(wait=0.1)
    first, second = items(app)
    assert (first["status"], first["closed_by"]) == ("handled", "U0BOB")
    assert (second["status"], second["within_sla"]) == ("not_negative", None)
    with app.engine.connect() as conn:
        feedback = conn.execute(select(classification_feedback)).mappings().all()
    assert [(f["post_pk"], f["label"], f["model_label"], f["user_id"]) for f in feedback] == [
        (second["post_pk"], "not_negative", "negative", "U0BOB")
    ]


def test_a_reaction_on_a_message_in_the_thread_counts_for_its_post(sqlite_db, fake_slack, socket_mode) -> None:
    clock = Clock()
    app = make_app(fake_slack, sqlite_db, clock)
    ingest(app, post("@AcmeSupport acme broken", clock.now, author="a1"))
    clock.advance(minutes=50)
    assert app.replies.check().reminded == 1
    drain(app)
    (item,) = items(app)
    reminder = next(m for m in fake_slack.messages if "Reminder" in m.text)
    listener = listen(app, fake_slack, clock)
    try:
        assert socket_mode.wait_connected()
        assert socket_mode.push("events_api", reaction_added("eyes", channel=reminder.channel, ts=reminder.ts))
    finally:
        listener.stop(wait=0.1)
    (item,) = items(app)
    assert (item["status"], item["acknowledged_by"]) == ("acknowledged", "U0BOB")


def test_snooze_holds_the_escalation_until_it_ends(sqlite_db, fake_slack, socket_mode) -> None:
    clock = Clock()
    app = make_app(fake_slack, sqlite_db, clock, snooze="2h")
    ingest(app, post("@AcmeSupport acme broken", clock.now, author="a1"))
    drain(app)
    (item,) = items(app)
    alert = alert_of(fake_slack, item["id"])
    listener = listen(app, fake_slack, clock)
    try:
        assert socket_mode.wait_connected()
        click = button_click("snooze", f"item:{item['id']}", channel=alert.channel, ts=alert.ts)
        assert socket_mode.push("interactive", click)
    finally:
        listener.stop(wait=0.1)
    (item,) = items(app)
    assert item["status"] == "snoozed" and item["snoozed_until"] == clock.now + timedelta(hours=2)
    clock.advance(minutes=90)  # past the deadline, but snoozed
    report = app.replies.check()
    assert report.escalated == 0 and report.reminded == 0
    clock.advance(minutes=31)
    report = app.replies.check()
    # Back to open, and past the deadline: the same check escalates.
    assert report.unsnoozed == 1 and report.escalated == 1
    assert app.replies.check().escalated == 0


def test_an_envelope_that_cannot_be_applied_is_not_acked(sqlite_db, fake_slack, socket_mode) -> None:
    clock = Clock()
    app = make_app(fake_slack, sqlite_db, clock)
    ingest(app, post("@AcmeSupport acme broken", clock.now, author="a1"))
    drain(app)
    (item,) = items(app)
    alert = alert_of(fake_slack, item["id"])
    click = click_on(alert, "handled", item)
    listener = listen(app, fake_slack, clock)
    try:
        assert socket_mode.wait_connected()
        real = listener.engine
        listener.engine = _Broken()
        assert socket_mode.push("interactive", click, timeout=0.5) is None
        listener.engine = real  # Slack resends it; this time it applies
        assert socket_mode.push("interactive", click)
    finally:
        listener.stop(wait=0.1)
    assert items(app)[0]["status"] == "handled"


def test_listener_retries_when_slack_refuses_the_app_token(tmp_path, fake_slack, caplog) -> None:
    clock = Clock()
    app = make_app(fake_slack, f"sqlite:///{tmp_path / 'x.db'}", clock)
    listener = InteractionListener(
        app.engine,
        app.config.replies,
        app_token="xapp-wrong",
        base_url=fake_slack.base_url,
        clock=clock,
        retry=timedelta(milliseconds=50),
    )
    retried = threading.Event()
    fake_slack.on_call = lambda method, args: (
        retried.set() if [m for m, _ in fake_slack.calls].count("apps.connections.open") >= 2 else None
    )
    listener.start()
    try:
        assert retried.wait(10), "the listener never tried again"
    finally:
        listener.stop(wait=0.1)
    assert [m for m, _ in fake_slack.calls].count("apps.connections.open") >= 2
    assert not listener.connected()
    assert "invalid_auth" in caplog.text and "xapp-wrong" not in caplog.text


class _Broken:
    def begin(self):
        raise RuntimeError("database is down")
