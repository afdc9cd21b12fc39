"""The outbox to Slack through slack-sdk: delivered once, held through failures, never lost or doubled."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from monitor.alerts import outbox
from monitor.alerts.delivery import Delivery
from monitor.alerts.outbox import Message
from monitor.alerts.slack import SlackSink
from monitor.storage.schema import outbox as outbox_table
from tests.support.fake_slack import Fault


def sink_for(slack, *, timeout: float = 5) -> SlackSink:
    sink = SlackSink(slack.token, base_url=slack.base_url, timeout=timedelta(seconds=timeout))
    sink.client.timeout = timeout  # SlackSink keeps whole seconds (at least 1); slack-sdk's client takes fractions
    return sink


def delivery(engine, sink, clock, **kwargs) -> Delivery:
    return Delivery(engine, sink, clock=clock, min_interval=timedelta(0), sleep=lambda s: None, **kwargs)


def enqueue(engine, clock, *messages: Message) -> None:
    with engine.begin() as conn:
        for message in messages:
            outbox.enqueue(conn, message, now=clock())


def msg(key: str, **kw) -> Message:
    return Message(dedup_key=key, kind="test", channel="#alerts", text=f"alert {key}", **kw)


def statuses(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(outbox_table.c.dedup_key, outbox_table.c.status)).all())


def test_messages_go_out_once_with_their_key_in_metadata(engine, fake_slack, clock) -> None:
    enqueue(engine, clock, msg("a"), msg("b"), msg("a"))  # the repeat is a no-op
    report = delivery(engine, sink_for(fake_slack), clock).run_once()
    assert (report.sent, report.waiting) == (2, 0)
    assert fake_slack.keys() == ["a", "b"]
    assert delivery(engine, sink_for(fake_slack), clock).run_once().sent == 0
    assert fake_slack.keys() == ["a", "b"]


def test_threads_and_updates_follow_their_parent(engine, fake_slack, clock) -> None:
    # Child first in the queue: it must wait for the parent, not fail.
    enqueue(engine, clock, msg("reply", thread_key="parent"), msg("edit", update_key="parent"), msg("parent"))
    d = delivery(engine, sink_for(fake_slack), clock)
    d.run_once()
    assert fake_slack.keys() == ["parent"]
    clock.advance(seconds=10)
    d.run_once()
    parent = fake_slack.messages[0]
    reply = fake_slack.messages[1]
    assert reply.thread_ts == parent.ts and reply.channel == parent.channel
    assert parent.text == "alert edit" and parent.edits  # chat.update replaced the text in place
    assert set(statuses(engine).values()) == {"sent"}


def test_429_waits_for_retry_after_then_delivers(engine, fake_slack, clock) -> None:
    fake_slack.faults.append(Fault("429", retry_after=30))
    enqueue(engine, clock, msg("a"))
    d = delivery(engine, sink_for(fake_slack), clock)
    assert d.run_once().retried == 1
    clock.advance(seconds=29)
    assert d.run_once().sent == 0  # not before Retry-After
    clock.advance(seconds=2)
    assert d.run_once().sent == 1
    assert fake_slack.keys() == ["a"]


def test_server_errors_and_outages_hold_alerts_until_recovery(engine, fake_slack, clock) -> None:
    enqueue(engine, clock, *(msg(str(i)) for i in range(5)))
    fake_slack.faults.extend([Fault("500"), Fault("500")])
    d = delivery(engine, sink_for(fake_slack), clock)
    d.run_once()
    fake_slack.down = True
    for _ in range(5):
        clock.advance(minutes=20)
        d.run_once()
    assert statuses(engine) and "sent" not in {s for k, s in statuses(engine).items() if k in {"0", "1"}}
    fake_slack.down = False
    for _ in range(3):
        clock.advance(minutes=20)
        d.run_once()
    assert sorted(fake_slack.keys()) == ["0", "1", "2", "3", "4"]
    assert len(fake_slack.keys()) == 5


def test_unreachable_slack_keeps_everything_queued(engine, clock) -> None:
    sink = SlackSink("xoxb-x", base_url="http://127.0.0.1:9/api/", timeout=timedelta(seconds=2))
    enqueue(engine, clock, msg("a"))
    report = delivery(engine, sink, clock).run_once()
    assert (report.sent, report.retried, report.waiting) == (0, 1, 1)
    assert statuses(engine) == {"a": "pending"}


def test_a_timed_out_send_that_did_arrive_is_not_sent_again(engine, fake_slack, clock) -> None:
    fake_slack.faults.append(Fault("hang_after_record", hang_seconds=1))
    enqueue(engine, clock, msg("a"))
    d = delivery(engine, sink_for(fake_slack, timeout=0.2), clock)
    d.run_once()
    assert statuses(engine) == {"a": "sending"}  # unknown fate: not retried blindly
    clock.advance(minutes=5)  # past the lease: reconcile against the channel history
    d.run_once()
    assert statuses(engine) == {"a": "sent"}
    assert fake_slack.keys() == ["a"]


def test_a_send_that_never_arrived_is_retried_after_reconciling(engine, fake_slack, clock) -> None:
    fake_slack.channel_id("#alerts")  # the channel exists; the bot is in it
    enqueue(engine, clock, msg("a"))
    with engine.begin() as conn:  # a process that claimed it and died before sending
        outbox.claim_due(conn, now=clock(), worker="otherhost/1/abc")
    d = delivery(engine, sink_for(fake_slack), clock)
    d.run_once()
    assert fake_slack.keys() == []  # another host's claim is respected until the lease ends
    clock.advance(minutes=5)
    d.run_once()
    d.run_once()
    assert fake_slack.keys() == ["a"]


def test_rejected_payloads_are_kept_as_dead_not_retried_forever(engine, fake_slack, clock) -> None:
    fake_slack.faults.append(Fault("error", error="invalid_blocks"))
    enqueue(engine, clock, msg("a"), msg("b"))
    report = delivery(engine, sink_for(fake_slack), clock).run_once()
    assert report.dead == 1 and report.sent == 1
    assert statuses(engine) == {"a": "dead", "b": "sent"}


def test_a_wrong_token_holds_alerts_instead_of_dropping_them(engine, fake_slack, clock) -> None:
    sink = SlackSink("xoxb-wrong", base_url=fake_slack.base_url)
    enqueue(engine, clock, msg("a"))
    delivery(engine, sink, clock).run_once()
    assert statuses(engine) == {"a": "pending"}
    clock.advance(minutes=10)
    delivery(engine, sink_for(fake_slack), clock).run_once()
    assert fake_slack.keys() == ["a"]


def test_per_channel_pace_is_respected(engine, fake_slack, clock) -> None:
    waits: list[float] = []
    other = Message(dedup_key="d", kind="test", channel="#other", text="alert d")
    enqueue(engine, clock, msg("a"), msg("b"), msg("c"), other)
    Delivery(
        engine, sink_for(fake_slack), clock=clock, min_interval=timedelta(seconds=1), sleep=waits.append
    ).run_once()
    assert waits == [1.0, 1.0]  # the clock did not move: a full second before b and c; #other waits for nobody


def test_the_pace_is_measured_on_the_injected_clock(engine, fake_slack, clock) -> None:
    enqueue(engine, clock, msg("a"), msg("b"), msg("c"))
    start = clock()
    Delivery(
        engine, sink_for(fake_slack), clock=clock, min_interval=timedelta(seconds=1), sleep=clock.sleep
    ).run_once()
    assert fake_slack.keys() == ["a", "b", "c"] and clock() == start + timedelta(seconds=2)


def test_an_unpaced_sink_like_the_console_is_never_slowed(engine, clock) -> None:
    import io

    from monitor.alerts.console import ConsoleSink

    printed = io.StringIO()
    waits: list[float] = []
    enqueue(engine, clock, *(msg(str(n)) for n in range(5)))
    report = Delivery(
        engine, ConsoleSink(printed), clock=clock, min_interval=timedelta(seconds=1), sleep=waits.append
    ).run_once()
    assert report.sent == 5 and waits == [] and printed.getvalue().count("[#alerts] alert") == 5
