"""``digest_runs``: one row per (local day, channel), created with the digest's outbox messages.

The row and the messages commit together (the unique (digest_date, channel) key makes a
second build a no-op), so a digest is queued exactly once and, through the outbox, posted
exactly once. The row then tracks the chart upload that follows the message:
``pending`` -> ``uploading`` (claimed until ``next_attempt_at``) -> ``sent`` | ``dead``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from monitor.alerts import outbox
from monitor.alerts.outbox import Message
from monitor.digest.render import Part
from monitor.storage.schema import digest_runs
from monitor.storage.upsert import insert
from values.redaction import redact

PENDING, UPLOADING, SENT, DEAD = "pending", "uploading", "sent", "dead"


def message_key(day: date, channel: str) -> str:
    """The outbox key of the digest's first message."""
    return f"digest:{day.isoformat()}:{channel}"


@dataclass(frozen=True, slots=True)
class Run:
    """A digest run row."""

    id: int
    day: date
    channel: str
    status: str
    chart: bytes | None
    created_at: datetime
    attempts: int
    next_attempt_at: datetime

    @property
    def key(self) -> str:
        """The outbox key of its first message."""
        return message_key(self.day, self.channel)

    @property
    def filename(self) -> str:
        """The chart's file name, unique per run (to find it again after a crash mid-upload)."""
        return f"brand-digest-{self.day.isoformat()}-{self.id}.png"


def find(conn: Connection, *, day: date, channel: str) -> Run | None:
    """The run for (day, channel), if there is one."""
    row = (
        conn.execute(select(digest_runs).where(digest_runs.c.digest_date == day, digest_runs.c.channel == channel))
        .mappings()
        .first()
    )
    return _run(row) if row else None


def any_before(conn: Connection, *, day: date, channel: str) -> bool:
    """Whether a digest for an earlier day was queued for ``channel``."""
    query = select(digest_runs.c.id).where(digest_runs.c.channel == channel, digest_runs.c.digest_date < day).limit(1)
    return conn.execute(query).first() is not None


def create(
    conn: Connection, *, day: date, channel: str, parts: list[Part], chart: bytes | None, now: datetime
) -> int | None:
    """Record the run and queue its messages, in the caller's transaction; None if it already existed."""
    key = message_key(day, channel)
    result = conn.execute(
        insert(conn, digest_runs)
        .values(
            digest_date=day,
            channel=channel,
            status=PENDING if chart else SENT,
            text=parts[0].text,
            blocks=[{"text": p.text, "blocks": p.blocks} for p in parts],
            chart=chart,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["digest_date", "channel"])
        .returning(digest_runs.c.id)
    ).first()
    if result is None:
        return None
    for n, part in enumerate(parts, start=1):
        outbox.enqueue(
            conn,
            Message(
                dedup_key=key if n == 1 else f"{key}:part{n}",
                kind="digest",
                channel=channel,
                text=part.text,
                blocks=part.blocks,
                thread_key=None if n == 1 else key,
            ),
            now=now,
        )
    return int(result[0])


def due_charts(conn: Connection, *, now: datetime) -> list[Run]:
    """Runs whose chart is waiting (or whose upload claim ran out), oldest first."""
    rows = conn.execute(
        select(digest_runs)
        .where(digest_runs.c.status.in_([PENDING, UPLOADING]), digest_runs.c.next_attempt_at <= now)
        .order_by(digest_runs.c.id)
    ).mappings()
    return [_run(r) for r in rows]


def claim(conn: Connection, run: Run, *, now: datetime, until: datetime) -> bool:
    """Take the upload of ``run`` until ``until``; False if another process took it first."""
    result = conn.execute(
        update(digest_runs)
        .where(
            digest_runs.c.id == run.id,
            digest_runs.c.status == run.status,
            digest_runs.c.next_attempt_at == run.next_attempt_at,
        )
        .values(status=UPLOADING, attempts=digest_runs.c.attempts + 1, next_attempt_at=until)
    )
    return result.rowcount == 1


def mark_sent(conn: Connection, run_id: int, *, file_id: str | None, slack_ts: str | None, now: datetime) -> None:
    """The chart is out (or there was nothing to upload)."""
    conn.execute(
        update(digest_runs)
        .where(digest_runs.c.id == run_id)
        .values(status=SENT, file_id=file_id, slack_ts=slack_ts, sent_at=now, last_error=None)
    )


def mark_retry(conn: Connection, run_id: int, *, error: str, at: datetime) -> None:
    """Try the upload again at ``at``."""
    conn.execute(
        update(digest_runs)
        .where(digest_runs.c.id == run_id)
        .values(status=PENDING, next_attempt_at=at, last_error=redact(error)[:2000])
    )


def mark_dead(conn: Connection, run_id: int, *, error: str) -> None:
    """Give up on the chart (the message itself is the outbox's business)."""
    conn.execute(
        update(digest_runs).where(digest_runs.c.id == run_id).values(status=DEAD, last_error=redact(error)[:2000])
    )


def _run(row: Any) -> Run:
    return Run(
        id=row["id"],
        day=row["digest_date"],
        channel=row["channel"],
        status=row["status"],
        chart=row["chart"],
        created_at=row["created_at"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
    )
