"""Snapshots of the Slack payloads a reviewer signs off: the alert, a closed alert, an incident.

Regenerate after an intended change with ``BRAND_MONITOR_SNAPSHOTS=update pytest tests/replies/test_snapshots.py``
and review the diff.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.replies import incident_message, messages
from monitor.replies.incidents import Incident
from monitor.replies.store import EarlierPost, History, Item

HERE = Path(__file__).parent / "snapshots"
POSTED = datetime(2026, 11, 20, 9, 15, tzinfo=UTC)


def _row(**over) -> Item:
    row = {
        "id": 42,
        "brand": "Acme",
        "post_pk": 7,
        "platform": "x",
        "post_id": "1861",
        "status": "open",
        "priority": "high",
        "priority_score": 0.71,
        "category": "billing",
        "channel": "#billing",
        "reason": "negative (93%); a complaint (“charged twice”); mentions @AcmeSupport; escalation keyword “refund”",
        "posted_at": POSTED,
        "due_at": POSTED + timedelta(hours=1),
        "acknowledged_by": None,
        "snoozed_until": None,
        "snoozed_by": None,
        "closed_at": None,
        "closed_by": None,
        "within_sla": None,
        "escalated_at": None,
        "first_reply_at": None,
        "summary_key": None,
        "revision": 0,
        "post_author": "dana_k",
        "post_text": "@AcmeSupport charged twice for one order, I want a refund *now* <!channel>",
        "post_url": "https://x.com/dana_k/status/1861",
        "post_lang": "en",
        "post_metrics": {"followers": 4200, "likes": 12},
        "post_sentiment": "negative",
        "post_negative": 0.93,
    }
    row.update(over)
    return Item(**row)


HISTORY = History(
    total=2,
    negative=2,
    latest=(
        EarlierPost(text="still no refund from acme", url="https://x.com/dana_k/status/1700",
                    created_at=POSTED - timedelta(days=3), sentiment="negative"),
    ),
)  # fmt: skip


def _check(name: str, payload: dict) -> None:
    path = HERE / f"{name}.json"
    text = json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if os.environ.get("BRAND_MONITOR_SNAPSHOTS") == "update":
        path.write_text(text, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"no snapshot {path.name}: run with BRAND_MONITOR_SNAPSHOTS=update and review it")
    assert text == path.read_text(encoding="utf-8")


def _payload(message) -> dict:
    return {"channel": message.channel, "text": message.text, "blocks": message.blocks, "key": message.dedup_key,
            "thread_key": message.thread_key, "update_key": message.update_key}  # fmt: skip


def test_alert_snapshot() -> None:
    message = messages.alert(
        _row(), brand_history=HISTORY, playbook="Hi {author}, DM us your order number.", mentions=("S0BILLING",),
        key="reply:42",
    )  # fmt: skip
    _check("alert", _payload(message))


def test_closed_alert_snapshot() -> None:
    row = _row(
        status="handled", closed_by="U0ALICE", closed_at=POSTED + timedelta(minutes=20), within_sla=True, revision=3
    )
    message = messages.alert(
        row, brand_history=HISTORY, playbook="", mentions=(), key="reply:42", update=True, revision=3
    )
    _check("alert_closed", _payload(message))


def test_incident_snapshot() -> None:
    record = Incident(
        incident_key="incident:Acme:100",
        kind="similar",
        channel="#brand-replies",
        title="@AcmeSupport app is down <!channel> *again*",
        window_start=POSTED,
        brand="Acme",
        category="outage",
        explanation={
            "headline": "18 negative mentions in 5 min vs 0.4 expected (p=1.2e-09), since 2026-11-20 09:15 UTC",
            "summary": "many independent voices",
            "terms": ["down", "app"],
        },
        posts=4,
        paged_at=POSTED,
    )
    members = [
        _row(id=100, priority="high", post_author="big", post_metrics={"followers": 45000}),
        *(
            _row(id=101 + i, priority="normal", summary_key="incident:Acme:100", post_author=f"user{i}",
                 post_text=f"app is down {i}", post_lang="pl" if i else "en", platform="reddit" if i == 2 else "x")
            for i in range(3)
        ),
    ]  # fmt: skip
    message = incident_message.incident(
        record,
        members,
        playbook="Hi {author}, we know {brand} is down and are on it.",
        page=("U0ONCALL", "S0SUPPORT"),
        threads={100: "https://slack.com/archives/C1/p1795166100000100"},
    )
    _check("incident", _payload(message))
