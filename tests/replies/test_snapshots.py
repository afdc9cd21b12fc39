"""Snapshots of the Slack payloads a reviewer signs off: the alert, a closed alert, a burst summary.

Regenerate after an intended change with ``BRAND_MONITOR_SNAPSHOTS=update pytest tests/replies/test_snapshots.py``
and review the diff.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.replies import messages
from monitor.replies.store import Burst, BurstStats, EarlierPost, History, Item

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


def test_burst_summary_snapshot() -> None:
    burst = Burst(summary_key="reply-burst:#brand-replies:1795166100", channel="#brand-replies",
                  window_start=POSTED, posts=480)  # fmt: skip
    stats = BurstStats(
        status={"open": 470, "replied": 10},
        priority={"high": 12, "normal": 400, "low": 68},
        category={"outage": 300, "uncategorised": 180},
        platform={"x": 450, "reddit": 30},
        earliest_due=POSTED + timedelta(hours=1),
    )
    top = [_row(id=100 + i, post_author=f"user{i}", post_text=f"acme is down again {i}") for i in range(3)]
    _check("burst_summary", _payload(messages.summary(burst, stats, top)))
