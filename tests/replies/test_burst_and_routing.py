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
    assert len(queued) == 500  # every post is in the queue, with its own deadline
    threads = [i for i in queued if i["summary_key"] is None]
    folded = [i for i in queued if i["summary_key"] is not None]
    cfg = app.config.replies
    channels = {i["channel"] for i in queued}
    assert channels == {"#billing", "#brand-replies"}  # refunds go to billing, the rest to the replies channel
    for channel in channels:  # the bound holds per channel (Slack paces each channel on its own)
        assert len([i for i in threads if i["channel"] == channel]) <= cfg.burst_threshold + cfg.burst_high
    assert all(i["priority"] == "high" for i in threads)  # in an incident, only high priority keeps a thread
    # Each complaint is one incident (near-identical posts), not one per channel or per post.
    incidents = {i["incident_key"] for i in queued}
    assert None not in incidents and len(incidents) == len(words)
    assert {i["summary_key"] for i in folded} <= incidents
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == len(threads) + len(incidents)
    # The incidents went into the outbox once each, with the first batch; the check edits in the rest
    # (those that link high-priority threads once these are delivered, so that the links are in).
    sent = drain(app)
    assert sent == len(threads) + len(incidents)
    assert app.replies.check().incidents_refreshed == len(incidents)
    assert app.replies.check().incidents_refreshed == 0
    with app.engine.connect() as conn:
        rows = conn.execute(select(reply_incidents)).mappings().all()
    assert all(r["posts"] == r["rendered_posts"] for r in rows) and sum(r["posts"] for r in rows) == 500
    assert all(r["paged_at"] is not None for r in rows)
    assert drain(app) == len(incidents)
    outage = next(r for r in rows if r["category"] == "outage")  # "broken": normal priority, no own threads
    message = next(m for m in fake_slack.messages if m.metadata["event_payload"]["key"] == outage["incident_key"])
    with app.engine.connect() as conn:  # paged once, in the incident's first message (edits do not ping)
        first_text = conn.execute(select(outbox.c.text).where(outbox.c.dedup_key == outage["incident_key"])).scalar()
    assert "<@U0ONCALL>" in first_text and "Paged: <@U0ONCALL>" in json.dumps(message.blocks)
    assert f"*{outage['posts']:,} posts* due for reply" in json.dumps(message.blocks, ensure_ascii=False)
    for sent_message in fake_slack.messages:
        assert len(sent_message.blocks) <= 50
        assert "<!channel>" not in json.dumps(sent_message.blocks) + sent_message.text
        assert all(len((b.get("text") or {}).get("text", "")) <= 3000 for b in sent_message.blocks)

    # More such posts join the incident: it is edited by the next check, not re-posted.
    ingest(app, *[post(f"@AcmeSupport acme is broken #{i} <!channel>", clock.now, author=f"late{i}") for i in range(5)])
    assert app.replies.check().incidents_refreshed == 1
    drain(app)
    assert f"*{outage['posts'] + 5:,} posts* due for reply" in json.dumps(message.blocks, ensure_ascii=False)

    # The brand answers three posts of the incident on X: all three close, the incident is edited once.
    answered = [i for i in folded if i["incident_key"] == outage["incident_key"]][:3]
    ingest(
        app,
        *[post("@x sorry, DM us", clock.now, author="AcmeSupport", reply_to=i["post_id"]) for i in answered],
    )
    edits = len(message.edits)
    report = app.replies.check()
    assert (report.replied, report.incidents_refreshed) == (3, 1)
    drain(app)
    assert len(message.edits) == edits + 1 and "3 replied on the platform" in json.dumps(message.blocks)

    # Reminders and escalations for the incidents come as a few grouped lines in their threads.
    clock.now = max(i["due_at"] for i in items(app)) + timedelta(minutes=1)
    report = app.replies.check()
    assert report.escalated == 502
    before = len(fake_slack.messages)
    drain(app)
    new = fake_slack.messages[before:]
    assert 1 <= len(new) <= len(threads) * 2 + 10
    grouped = [m for m in new if m.thread_ts == message.ts]
    assert grouped and all("passed their deadline" in m.text and "<@U0ONCALL>" in m.text for m in grouped)

    # "Handled all" on the incident closes every post in it with one edit.
    with app.engine.begin() as conn:
        changed = actions.apply(
            conn,
            actions.Action(
                "handled",
                "U0LEAD",
                target=f"summary:{outage['incident_key']}",
                channel=message.channel,  # clicked on the incident message itself
                ts=message.ts,
            ),
            cfg,
            now=clock.now,
        )
    assert changed == outage["posts"] + 5 - 3
    closed = [i for i in items(app) if i["incident_key"] == outage["incident_key"] and i["status"] != "replied"]
    assert all(i["status"] == "handled" and i["closed_by"] == "U0LEAD" and i["within_sla"] is False for i in closed)
    before = len(fake_slack.messages)
    drain(app)
    assert len(fake_slack.messages) - before == 1  # the note; the incident message itself was edited
    assert "handled" in json.dumps(message.blocks)
