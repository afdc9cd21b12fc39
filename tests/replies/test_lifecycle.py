"""A post due for reply in one Slack thread: alert, reminder, escalation, closed by the brand's reply."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor.storage.schema import outbox
from tests.conftest import Clock
from tests.replies.helpers import drain, ingest, items, make_app, post


def visible(blocks) -> str:
    """The blocks as JSON, without the bidi isolates around untrusted values."""
    return json.dumps(blocks, ensure_ascii=False).replace("\u2068", "").replace("\u2069", "")


def _thread(fake_slack, parent_ts: str) -> list[str]:
    return [m.text for m in fake_slack.messages if m.thread_ts == parent_ts]


def test_full_lifecycle_closed_by_the_brands_reply(db_url, fake_slack) -> None:
    clock = Clock()
    app = make_app(fake_slack, db_url, clock)
    posted = clock.now - timedelta(minutes=5)
    earlier = post("acme support is terrible, day 3 of waiting", posted - timedelta(days=3), author="dana")
    complaint = post(
        "@AcmeSupport my acme router is broken again, worst service <!channel> <@U999> *bold*",
        posted,
        author="dana",
        post_id="555",
    )
    ingest(app, earlier)
    ingest(app, complaint)
    queued = {i["post_id"]: i for i in items(app)}
    item = queued["555"]
    assert item["status"] == "open" and item["channel"] == "#brand-replies"
    assert item["category"] == "outage"
    assert item["due_at"] == posted + timedelta(hours=1)  # from the post's own time, not from now
    assert "negative (92%)" in item["reason"] and "mentions @AcmeSupport" in item["reason"]

    drain(app)
    alert = next(m for m in fake_slack.messages if (m.metadata or {})["event_payload"]["key"] == f"reply:{item['id']}")
    body = visible(alert.blocks)
    # Context: escaped post, author, reach, sentiment and language, category, deadline, history, playbook.
    assert "<!channel>" not in body and "<@U999>" not in body and "&lt;!channel&gt;" in body
    due_epoch = int(item["due_at"].timestamp())
    assert f"<!date^{due_epoch}^{{date_short_pretty}} {{time}}|" in body
    assert (
        "reach 120" in body
        and "sentiment negative (92% negative)" in body
        and "language en" in body
        and "outage" in body
    )
    assert "Earlier posts about Acme by this author:* 1 (1 negative)" in body
    assert "Suggested first response" in body and "Hi dana" in body
    assert [e["action_id"] for e in alert.blocks[-1]["elements"]] == [
        "reply_acknowledge",
        "reply_handled",
        "reply_not_negative",
        "reply_snooze",
    ]
    assert "<!channel>" not in alert.text and alert.text.startswith("Reply due 2026-11-20 12:55 UTC")

    # Nothing due yet: a check sends nothing.
    assert not app.replies.check().changed
    # 15 minutes before the deadline: a reminder in the thread, once.
    clock.now = item["due_at"] - timedelta(minutes=14)
    assert app.replies.check().reminded >= 1
    assert app.replies.check().reminded == 0
    drain(app)
    assert any("Reminder: a reply is due" in t for t in _thread(fake_slack, alert.ts))
    # At the deadline: escalation in the thread; a normal-priority post does not page on-call.
    clock.now = item["due_at"] + timedelta(seconds=30)
    assert app.replies.check().escalated >= 1
    drain(app)
    escalation = next(t for t in _thread(fake_slack, alert.ts) if "No reply yet, overdue by 30 s" in t)
    assert "<@U0ONCALL>" not in escalation and "<!subteam^S0SUPPORT>" not in escalation
    assert "escalated" in visible(alert.blocks)  # the first message was edited to say so

    # The brand answers on X: the connector stores it as from_brand with reply_to = the post.
    clock.advance(minutes=3)
    reply = post("@dana sorry! DM us", clock.now - timedelta(minutes=1), author="AcmeSupport", reply_to="555")
    ingest(app, reply)
    assert app.replies.check().replied == 1
    drain(app)
    closed = {i["post_id"]: i for i in items(app)}["555"]
    assert closed["status"] == "replied" and closed["closed_by"] == "platform"
    assert closed["first_reply_at"] == reply.created_at and closed["within_sla"] is False
    assert closed["first_reply_id"] == reply.post_id
    assert alert.blocks[0]["text"]["text"].startswith("Closed:")
    assert "the brand replied on the platform" in visible(alert.blocks) and "2 min after the deadline" in visible(
        alert.blocks
    )
    assert not any(b["type"] == "actions" for b in alert.blocks)
    assert any("The brand replied on the platform" in t for t in _thread(fake_slack, alert.ts))
    # The brand's own post never entered the queue, and nothing more is sent on later checks.
    assert reply.post_id not in {i["post_id"] for i in items(app)}
    before = len(fake_slack.messages)
    clock.advance(hours=2)
    app.replies.check()
    drain(app)
    assert len(fake_slack.messages) == before


def test_reply_in_the_thread_started_by_the_post_closes_it_within_sla(sqlite_db, fake_slack) -> None:
    clock = Clock()
    app = make_app(fake_slack, sqlite_db, clock)
    ingest(app, post("@AcmeSupport how do I reset my acme router?", clock.now, author="eve", post_id="700"))
    (item,) = items(app)
    assert "a question" in item["reason"]
    clock.advance(minutes=20)
    # A reply further down the conversation the post started (X conversation_id = the post).
    ingest(app, post("@eve try this", clock.now, author="AcmeSupport", reply_to="701", thread_id="700"))
    assert app.replies.check().replied == 1
    (item,) = items(app)
    assert item["status"] == "replied" and item["within_sla"] is True


def test_no_double_alert_with_the_negative_post_rule(db_url, fake_slack) -> None:
    clock = Clock()
    app = make_app(fake_slack, db_url, clock, needs_reply={"addressed_only": True})
    ingest(
        app,
        post("@AcmeSupport acme is broken", clock.now, author="a1"),  # queued: only the reply alert
        post("acme is broken for me too", clock.now, author="a2"),  # not addressed: the plain negative alert
    )
    drain(app)
    with app.engine.connect() as conn:
        kinds = sorted(r[0] for r in conn.execute(select(outbox.c.kind)))
    assert kinds == ["negative_post", "reply"]

    # Switched off on purpose: both alerts.
    other = make_app(fake_slack, db_url.replace("test.db", "other.db"), clock, replaces_negative_alerts=False)
    if "sqlite" in db_url:
        ingest(other, post("@AcmeSupport acme is broken", clock.now, author="a3"))
        with other.engine.connect() as conn:
            assert sorted(r[0] for r in conn.execute(select(outbox.c.kind))) == ["negative_post", "reply"]


def test_hostile_text_is_inert_and_within_slack_limits(sqlite_db, fake_slack) -> None:
    clock = Clock()
    app = make_app(fake_slack, sqlite_db, clock)
    hostile = (
        "@AcmeSupport <!channel> <!here> <@U0123ABC> <#C0123|general> *bold* _it_ ~s~ `code` > quote "
        "<https://evil.example|click> acme is broken " + "هذا سيء جدا خراب " + "x" * 10_000
    )
    ingest(app, post(hostile, clock.now, author="<@U0BOSS>*mallory*"))
    assert drain(app) == 1
    (message,) = fake_slack.messages
    body = json.dumps(message.blocks) + message.text
    for raw in (
        "<!channel>",
        "<!here>",
        "<@U0123ABC>",
        "<#C0123|general>",
        "<https://evil.example|click>",
        "<@U0BOSS>",
    ):
        assert raw not in body
    mrkdwn = [b["text"]["text"] for b in message.blocks if (b.get("text") or {}).get("type") == "mrkdwn"]
    mrkdwn += [e["text"] for b in message.blocks for e in b.get("elements", []) if e.get("type") == "mrkdwn"]
    assert any("mallory" in t for t in mrkdwn)
    for text in [*mrkdwn, message.text]:  # markup in the author name cannot form where Slack renders mrkdwn
        assert not re.search(r"(?<![\u200b\w])\*mallory\*", text)
    assert len(message.blocks) <= 50
    for block in message.blocks:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= (150 if block["type"] == "header" else 3000)
    assert "\u2068" in body  # RTL text is isolated so it cannot reorder what follows
    assert len(message.text) < 1000


def test_a_post_the_brand_already_answered_is_recorded_without_an_alert(db_url, fake_slack) -> None:
    clock = Clock()
    app = make_app(fake_slack, db_url, clock)
    # Both came in one poll: the customer's complaint and the brand's answer to it, 4 minutes later.
    complaint = post("@AcmeSupport acme is broken", clock.now - timedelta(minutes=10), author="zed", post_id="900")
    answer = post("@zed on it!", clock.now - timedelta(minutes=6), author="AcmeSupport", reply_to="900")
    ingest(app, complaint, answer)
    (item,) = items(app)
    assert (item["status"], item["first_reply_at"], item["within_sla"]) == ("replied", answer.created_at, True)
    assert drain(app) == 0 and fake_slack.messages == []
    assert not app.replies.check().changed


def test_a_check_that_dies_midway_changes_nothing_and_the_rerun_sends_each_once(sqlite_db, fake_slack, monkeypatch):
    clock = Clock()
    app = make_app(fake_slack, sqlite_db, clock)
    ingest(app, *[post(f"@AcmeSupport acme broken {i}", clock.now, author=f"u{i}") for i in range(3)])
    drain(app)
    clock.advance(hours=2)
    from monitor.replies import timers

    real, calls = timers.outbox.enqueue, []

    def dies_on_the_second(conn, message, *, now):
        calls.append(message.dedup_key)
        if len(calls) == 3:  # escalation 1, its edit, then escalation 2: the process dies here
            raise RuntimeError("killed")
        return real(conn, message, now=now)

    monkeypatch.setattr(timers.outbox, "enqueue", dies_on_the_second)
    with pytest.raises(RuntimeError):
        app.replies.check()
    monkeypatch.setattr(timers.outbox, "enqueue", real)
    assert all(i["escalated_at"] is None for i in items(app))  # rolled back together with its messages
    assert app.replies.check().escalated == 3
    assert app.replies.check().escalated == 0
    drain(app)
    sent_keys = fake_slack.keys()
    escalations = [k for k in sent_keys if k.endswith(":escalation")]
    assert sorted(escalations) == sorted(f"reply:{i['id']}:escalation" for i in items(app))
