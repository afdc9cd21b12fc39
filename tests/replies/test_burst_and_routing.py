"""Routing by category, high priority first and to its own channel, and a 500-post burst kept readable."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from monitor.replies import actions
from monitor.storage.schema import outbox, reply_incidents
from tests.conftest import Clock
from tests.replies.helpers import drain, ingest, items, make_app, post


def keys_in_order(fake_slack) -> list[str]:
    return [((m.metadata or {}).get("event_payload") or {}).get("key", "") for m in fake_slack.messages]


def test_routing_and_high_priority_first(db_url, fake_slack) -> None:
    clock = Clock()
    app = make_app(fake_slack, db_url, clock, high_priority_channel="#brand-urgent")
    ingest(
        app,
        post("@AcmeSupport acme is broken", clock.now, author="low1", metrics={"followers": 3}),
        post("@AcmeSupport acme charged me twice, terrible, I want a refund", clock.now, author="bill"),
        post("@AcmeSupport acme is a scam, see you in court: lawsuit", clock.now, author="angry"),
        post("@AcmeSupport acme not working", clock.now, author="star", metrics={"followers": 2_000_000, "likes": 900}),
    )
    by_author = {}
    with app.engine.connect() as conn:
        from monitor.replies import store

        queue = store.queue(conn)
    for row in queue:
        by_author[row.post_author] = row
    # Escalation keyword and a huge reach make high priority; billing words route to the billing team.
    assert by_author["angry"].priority == "high" and "escalation keyword “scam”" in by_author["angry"].reason
    assert by_author["star"].priority == "high" and "reach 2,000,000" in by_author["star"].reason
    assert by_author["bill"].category == "billing"
    assert by_author["low1"].priority in ("normal", "low")
    assert {r.post_author for r in queue[:3]} == {"angry", "star", "bill"}  # the queue: high first
    assert queue[-1].post_author == "low1"
    assert by_author["angry"].channel == by_author["star"].channel == "#brand-urgent"
    # "refund" is an escalation keyword too: high, so it goes to the urgent channel despite its category.
    assert by_author["bill"].priority == "high" and by_author["bill"].channel == "#brand-urgent"
    assert by_author["low1"].channel == "#brand-replies"
    assert by_author["angry"].due_at - by_author["angry"].posted_at == timedelta(hours=1)

    drain(app)
    keys = keys_in_order(fake_slack)
    high_ids = {f"reply:{by_author[a].id}" for a in ("angry", "star", "bill")}
    assert set(keys[:3]) == high_ids  # their alerts went out first
    bill = next(
        m for m in fake_slack.messages if m.metadata["event_payload"]["key"] == f"reply:{by_author['bill'].id}"
    )
    body = json.dumps(bill.blocks, ensure_ascii=False)
    assert "<!subteam^S0BILLING>" in body and "DM us your order number" in body


def test_category_channel_and_sla_per_platform_and_priority(sqlite_db, fake_slack) -> None:
    clock = Clock()
    app = make_app(
        fake_slack,
        sqlite_db,
        clock,
        sla={"default": "1h", "reddit": {"normal": "4h", "low": "8h"}},
        escalation_keywords={"en": ["lawsuit"]},
    )
    ingest(
        app,
        post("@AcmeSupport where is my acme invoice?", clock.now, author="inv"),
        post("u/acme_support acme app keeps crashing, terrible", clock.now, author="red", platform="reddit"),
    )
    by_author = {r["post_id"]: r for r in items(app)}
    invoice, reddit = sorted(by_author.values(), key=lambda r: r["platform"], reverse=True)
    assert invoice["category"] == "billing" and invoice["channel"] == "#billing"
    assert "a question" in invoice["reason"]
    assert reddit["channel"] == "#brand-replies" and "mentions u/acme_support" in reddit["reason"]
    assert reddit["due_at"] - reddit["posted_at"] == timedelta(hours=4 if reddit["priority"] == "normal" else 8)


@pytest.mark.slow
def test_a_burst_of_500_negative_posts_is_a_bounded_readable_set_of_messages(db_url, fake_slack) -> None:
    clock = Clock()
    app = make_app(fake_slack, db_url, clock)
    words = ["broken", "refund", "worst", "scam", "terrible"]
    burst = [
        post(
            f"@AcmeSupport acme is {words[i % 5]} #{i} <!channel>",
            clock.now - timedelta(seconds=60 - i * 0.1),
            author=f"user{i}",
            metrics={"followers": (i * 37) % 5000},
        )
        for i in range(500)
    ]
    ingest(app, *burst)
    queued = items(app)
    assert len(queued) == 500  # every post is in the queue
    threads = [i for i in queued if i["summary_key"] is None]
    folded = [i for i in queued if i["summary_key"] is not None]
    cfg = app.config.replies
    channels = {i["channel"] for i in queued}
    assert channels == {"#billing", "#brand-replies"}  # refunds go to billing, the rest to the replies channel
    for channel in channels:  # the bound holds per channel (Slack paces each channel on its own)
        assert len([i for i in threads if i["channel"] == channel]) <= cfg.burst_threshold + cfg.burst_high
    summaries = {i["summary_key"] for i in folded}
    assert len(summaries) == len(channels)
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == len(threads) + len(summaries)
    # The summaries went into the outbox once each, with the first batch; the check edits in the rest.
    assert app.replies.check().bursts_refreshed == len(summaries)
    assert app.replies.check().bursts_refreshed == 0
    with app.engine.connect() as conn:
        rows = conn.execute(select(reply_bursts)).mappings().all()
    assert all(r["posts"] == r["rendered_posts"] for r in rows) and sum(r["posts"] for r in rows) == len(folded)

    sent = drain(app)
    assert sent == len(threads) + 2 * len(summaries)
    replies_burst = next(r for r in rows if r["channel"] == "#brand-replies")
    summary = next(m for m in fake_slack.messages if m.metadata["event_payload"]["key"] == replies_burst["summary_key"])
    assert f"Burst: {replies_burst['posts']:,} more posts due for reply" in summary.blocks[0]["text"]["text"]
    for message in fake_slack.messages:
        assert len(message.blocks) <= 50 and "<!channel>" not in json.dumps(message.blocks) + message.text
        assert all(len((b.get("text") or {}).get("text", "")) <= 3000 for b in message.blocks)

    # More posts join the burst: the summary is edited by the next check, not re-posted.
    ingest(app, *[post(f"@AcmeSupport acme broken again {i}", clock.now, author=f"late{i}") for i in range(5)])
    assert app.replies.check().bursts_refreshed == 1
    drain(app)
    assert f"Burst: {replies_burst['posts'] + 5:,} more posts" in summary.blocks[0]["text"]["text"]

    # The brand answers three posts of the burst on X: all three close, the summary is edited once.
    answered = [i for i in folded if i["channel"] == "#brand-replies"][:3]
    ingest(
        app,
        *[post("@x sorry, DM us", clock.now, author="AcmeSupport", reply_to=i["post_id"]) for i in answered],
    )
    edits = len(summary.edits)
    report = app.replies.check()
    assert (report.replied, report.bursts_refreshed) == (3, 1)
    drain(app)
    assert len(summary.edits) == edits + 1 and "3 replied on the platform" in json.dumps(summary.blocks)

    # Reminders and escalations for the burst come as a few grouped lines in the summary's thread.
    clock.now = max(i["due_at"] for i in items(app)) + timedelta(minutes=1)
    report = app.replies.check()
    assert report.escalated == 502
    before = len(fake_slack.messages)
    drain(app)
    new = fake_slack.messages[before:]
    assert 1 <= len(new) <= len(threads) * 2 + 10
    grouped = [m for m in new if m.thread_ts == summary.ts]
    assert grouped and all("passed their deadline" in m.text for m in grouped)

    # "Handled all" on the summary closes every post in it with one edit.
    with app.engine.begin() as conn:
        changed = actions.apply(
            conn,
            actions.Action(
                "handled",
                "U0LEAD",
                target=f"summary:{replies_burst['summary_key']}",
                channel=summary.channel,  # clicked on the summary message itself
                ts=summary.ts,
            ),
            cfg,
            now=clock.now,
        )
    assert changed == replies_burst["posts"] + 5 - 3
    closed = [i for i in items(app) if i["summary_key"] == replies_burst["summary_key"] and i["status"] != "replied"]
    assert all(i["status"] == "handled" and i["closed_by"] == "U0LEAD" and i["within_sla"] is False for i in closed)
    before = len(fake_slack.messages)
    drain(app)
    assert len(fake_slack.messages) - before == 1  # the note; the summary itself was edited
    assert "handled" in json.dumps(summary.blocks)
