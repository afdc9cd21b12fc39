"""The durable outbox: alerts are written here in the same transaction as their cause.

Delivery claims rows, sends them and marks them sent. A row is ``pending``,
``sending`` (claimed; if its process died mid-send it is reconciled against
Slack before any retry, so nothing is sent twice), ``sent`` or ``dead``
(rejected by Slack for good; kept, logged, counted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, func, or_, select, update

from monitor.storage.schema import outbox
from monitor.storage.upsert import insert
from values.redaction import redact

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"


@dataclass(frozen=True, slots=True)
class Message:
    """An alert to deliver. ``dedup_key`` makes enqueueing idempotent."""

    dedup_key: str
    kind: str
    channel: str
    text: str
    blocks: Sequence[Mapping[str, Any]] | None = None
    thread_key: str | None = None  # reply in the thread started by this message
    update_key: str | None = None  # edit the message with this key (chat.update)
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row claimed for delivery."""

    id: int
    message: Message
    attempts: int
    claimed_at: datetime
    claimed_by: str = ""


def enqueue(conn: Connection, message: Message, *, now: datetime) -> bool:
    """Add ``message`` unless its key is already there; True if it was new."""
    result = conn.execute(
        insert(conn, outbox)
        .values(
            dedup_key=message.dedup_key,
            kind=message.kind,
            channel=message.channel,
            text=message.text,
            blocks=list(message.blocks) if message.blocks is not None else None,
            thread_key=message.thread_key,
            update_key=message.update_key,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(outbox.c.id)
    )
    return result.first() is not None


def claim_due(conn: Connection, *, now: datetime, worker: str, limit: int = 20) -> list[Claimed]:
    """Mark up to ``limit`` due pending rows as ``sending`` by ``worker`` and return them, oldest first."""
    query = (
        select(outbox)
        .where(outbox.c.status == PENDING, outbox.c.next_attempt_at <= now)
        .order_by(outbox.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # several instances share one outbox
    rows = conn.execute(query).mappings().all()
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids), outbox.c.status == PENDING)
        .values(status=SENDING, claimed_at=now, claimed_by=worker, attempts=outbox.c.attempts + 1)
    )
    return [Claimed(r["id"], _message(r), r["attempts"] + 1, now, worker) for r in rows]


def mark_sent(
    conn: Connection, row_id: int, *, channel: str, ts: str, now: datetime, claim: Claimed | None = None
) -> bool:
    """Record a delivered message and where it landed; with ``claim``, only if that claim still stands."""
    result = conn.execute(
        update(outbox)
        .where(outbox.c.id == row_id, *_still_claimed(claim))
        .values(status=SENT, sent_at=now, slack_channel=channel, slack_ts=ts, last_error=None)
    )
    return result.rowcount > 0


def _still_claimed(claim: Claimed | None) -> list[Any]:
    """Conditions that hold only while ``claim`` is the row's current claim (compare-and-set between instances)."""
    if claim is None:
        return []
    return [
        outbox.c.status == SENDING,
        outbox.c.claimed_at == claim.claimed_at,
        outbox.c.claimed_by == claim.claimed_by,
    ]


def mark_retry(
    conn: Connection,
    row_id: int,
    *,
    error: str,
    at: datetime,
    count_attempt: bool = True,
    claim: Claimed | None = None,
) -> bool:
    """Put a row back in the queue, to be tried again at ``at``; with ``claim``, only if that claim still stands."""
    values: dict[str, Any] = {"status": PENDING, "next_attempt_at": at, "last_error": redact(error)[:2000]}
    if not count_attempt:
        values["attempts"] = outbox.c.attempts - 1
    result = conn.execute(update(outbox).where(outbox.c.id == row_id, *_still_claimed(claim)).values(**values))
    return result.rowcount > 0


def release_held(conn: Connection, *, now: datetime, marks: Sequence[str]) -> int:
    """Make pending rows waiting for a later attempt because of an error containing one of ``marks`` due now."""
    held = or_(*(outbox.c.last_error.contains(mark, autoescape=True) for mark in marks))
    result = conn.execute(
        update(outbox)
        .where(outbox.c.status == PENDING, outbox.c.next_attempt_at > now, held)
        .values(next_attempt_at=now)
    )
    return result.rowcount


def mark_dead(conn: Connection, row_id: int, *, error: str) -> None:
    """Give up on a row that Slack rejects for good (kept for inspection)."""
    conn.execute(update(outbox).where(outbox.c.id == row_id).values(status=DEAD, last_error=redact(error)[:2000]))


def stale_sending(conn: Connection, *, claimed_before: datetime, limit: int = 50) -> list[Claimed]:
    """Rows left in ``sending`` by a process that died mid-send (their fate is unknown)."""
    query = (
        select(outbox)
        .where(outbox.c.status == SENDING, outbox.c.claimed_at < claimed_before)
        .order_by(outbox.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = conn.execute(query).mappings()
    return [Claimed(r["id"], _message(r), r["attempts"], r["claimed_at"], r["claimed_by"] or "") for r in rows]


def location(conn: Connection, dedup_key: str) -> tuple[str, str] | None:
    """(channel id, ts) of the delivered message with ``dedup_key``, if it was delivered."""
    row = conn.execute(
        select(outbox.c.slack_channel, outbox.c.slack_ts).where(
            outbox.c.dedup_key == dedup_key, outbox.c.status == SENT
        )
    ).first()
    return (row[0], row[1]) if row else None


def backlog(conn: Connection, *, now: datetime) -> dict[str, int]:
    """Counts of undelivered rows: due now, waiting for a retry, and in flight."""
    rows = conn.execute(
        select(outbox.c.status, outbox.c.next_attempt_at).where(outbox.c.status.in_([PENDING, SENDING]))
    )
    counts = {"due": 0, "waiting": 0, "sending": 0}
    for status, next_at in rows:
        if status == SENDING:
            counts["sending"] += 1
        else:
            counts["due" if next_at <= now else "waiting"] += 1
    return counts


def undelivered(conn: Connection) -> int:
    """How many rows are not yet sent (pending or sending)."""
    query = select(func.count()).select_from(outbox).where(outbox.c.status.in_([PENDING, SENDING]))
    return int(conn.execute(query).scalar_one())


def _message(row: RowMapping) -> Message:
    return Message(
        dedup_key=row["dedup_key"],
        kind=row["kind"],
        channel=row["channel"],
        text=row["text"],
        blocks=row["blocks"],
        thread_key=row["thread_key"],
        update_key=row["update_key"],
    )


def retry_delay(
    attempts: int, *, base: timedelta = timedelta(seconds=5), cap: timedelta = timedelta(minutes=15)
) -> timedelta:
    """Exponential back-off for the n-th failed attempt."""
    return min(cap, base * (2 ** max(0, attempts - 1)))
