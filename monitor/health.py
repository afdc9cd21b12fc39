"""Per (source, brand) health: back-off after failures, disabling on bad credentials, ops alerts.

Silent monitoring failure is the worst failure for this product, so every
failure is recorded, repeated failures and rejected credentials page the ops
channel (once per ``REPORT_EVERY``), and back-off is kept in the database so a
restart does not hammer a platform that asked us to wait.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, select, update

from monitor import silence
from monitor.alerts import messages, outbox
from monitor.storage.error_text import error_text
from monitor.storage.schema import source_health
from monitor.storage.upsert import insert

FAILURES_BEFORE_REPORT = 3
REPORT_EVERY = timedelta(hours=6)
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Health:
    """A snapshot of one (source, brand) row."""

    next_poll_at: datetime | None
    disabled_reason: str | None
    consecutive_failures: int
    last_success_at: datetime | None


def read(conn: Connection, *, source: str, brand: str) -> Health:
    """The health row for (source, brand), or a healthy default."""
    row = conn.execute(
        select(
            source_health.c.next_poll_at,
            source_health.c.disabled_reason,
            source_health.c.consecutive_failures,
            source_health.c.last_success_at,
        ).where(source_health.c.source == source, source_health.c.brand == brand)
    ).first()
    if row is None:
        return Health(None, None, 0, None)
    return Health(*row)


def _ensure(conn: Connection, source: str, brand: str) -> None:
    conn.execute(
        insert(conn, source_health)
        .values(source=source, brand=brand, consecutive_failures=0, posts_total=0)
        .on_conflict_do_nothing(index_elements=["source", "brand"])
    )


def _where(source: str, brand: str) -> ColumnElement[bool]:
    return (source_health.c.source == source) & (source_health.c.brand == brand)


def succeeded(
    conn: Connection,
    *,
    source: str,
    brand: str,
    now: datetime,
    new_posts: int,
    quarantined: int = 0,
    ops_channel: str | None = None,
) -> None:
    """Record a successful poll; with ``ops_channel``, also report (or clear) a silence far longer than usual.

    A poll that quarantined nothing ends this (source, brand)'s quarantine incident.
    """
    _ensure(conn, source, brand)
    previous_post_at = conn.execute(select(source_health.c.last_post_at).where(_where(source, brand))).scalar()
    values: dict[str, object] = {
        "last_attempt_at": now,
        "last_success_at": now,
        "consecutive_failures": 0,
        "next_poll_at": None,
        "posts_total": source_health.c.posts_total + new_posts,
    }
    if not quarantined:
        values["quarantined_since"] = None
    if new_posts:
        values["last_post_at"] = now
    conn.execute(update(source_health).where(_where(source, brand)).values(**values))
    if ops_channel is None:
        return
    if new_posts:
        silence.posts_returned(
            conn, source=source, brand=brand, now=now, previous_post_at=previous_post_at, channel=ops_channel
        )
    else:
        silence.check(conn, source=source, brand=brand, now=now, last_post_at=previous_post_at, channel=ops_channel)


def failed(
    conn: Connection,
    *,
    source: str,
    brand: str,
    now: datetime,
    error: str,
    retry_after: float | None,
    ops_channel: str,
) -> timedelta:
    """Record a failed poll; returns how long to wait. Pages ops after repeated failures."""
    error = error_text(error)
    _ensure(conn, source, brand)
    failures = read(conn, source=source, brand=brand).consecutive_failures + 1
    if retry_after is not None:
        wait = timedelta(seconds=retry_after)
    else:  # exponential with full jitter: many sources failing together do not retry in lockstep
        wait = min(MAX_BACKOFF, timedelta(seconds=30) * 2 ** min(failures - 1, 10))
        wait = wait * (0.5 + random.random() / 2)
    conn.execute(
        update(source_health)
        .where(_where(source, brand))
        .values(
            last_attempt_at=now,
            last_error_at=now,
            last_error=error,
            consecutive_failures=failures,
            next_poll_at=now + wait,
        )
    )
    if failures >= FAILURES_BEFORE_REPORT:
        _report(
            conn,
            source=source,
            brand=brand,
            now=now,
            channel=ops_channel,
            problem=f"{failures} failed polls in a row; last error: {error}",
        )
    return wait


def disable(conn: Connection, *, source: str, brand: str, now: datetime, reason: str, ops_channel: str) -> None:
    """Stop polling (credentials rejected) until a person fixes it and restarts; tell ops."""
    reason = error_text(reason)
    _ensure(conn, source, brand)
    conn.execute(
        update(source_health)
        .where(_where(source, brand))
        .values(
            disabled_at=now,
            disabled_reason=reason,
            last_attempt_at=now,
            last_error_at=now,
            last_error=reason,
        )
    )
    _report(
        conn,
        source=source,
        brand=brand,
        now=now,
        channel=ops_channel,
        problem=f"disabled: {reason}. Fix the credentials, then restart brand-monitor.",
        force=True,
    )


def quarantined(
    conn: Connection, *, source: str, brand: str, now: datetime, count: int, reason: str, ops_channel: str
) -> bool:
    """A poll quarantined ``count`` items: ops hears once per source per incident; True if told now.

    An incident of (source, brand) lasts from its first quarantined item to its next
    poll that quarantines nothing. Ops is told when one begins while no other brand
    of the source has one going, so a poisoned post matching three brands, or
    spread over many pages, pages once.
    """
    _ensure(conn, source, brand)
    ongoing = dict(
        conn.execute(
            select(source_health.c.brand, source_health.c.quarantined_since).where(
                source_health.c.source == source, source_health.c.quarantined_since.is_not(None)
            )
        ).all()
    )
    if brand in ongoing:
        return False
    conn.execute(update(source_health).where(_where(source, brand)).values(quarantined_since=now))
    if ongoing:
        return False
    noun = "item" if count == 1 else "items"
    problem = (
        f"{count} {noun} could not be read or stored and went to quarantine (first reason: "
        f"{error_text(reason, limit=300)}); everything else was stored and the source goes on. "
        f"See `brand-monitor quarantine list --source {source}`, and after a fix "
        f"`brand-monitor quarantine retry --source {source}`."
    )
    key = f"ops:{source}:quarantine:{brand}:{int(now.timestamp())}"
    outbox.enqueue(conn, messages.source_problem(source, brand, problem, channel=ops_channel, key=key), now=now)
    return True


def enable_all(conn: Connection) -> None:
    """Clear disabled flags at start-up: a restart is how a person says 'credentials fixed'."""
    conn.execute(update(source_health).values(disabled_at=None, disabled_reason=None))


def _report(
    conn: Connection, *, source: str, brand: str, now: datetime, channel: str, problem: str, force: bool = False
) -> None:
    last = conn.execute(select(source_health.c.reported_at).where(_where(source, brand))).scalar()
    if not force and last is not None and now - last < REPORT_EVERY:
        return
    bucket = int(now.timestamp() // REPORT_EVERY.total_seconds())
    key = f"ops:{source}:{brand}:{'disabled' if force else 'failing'}:{bucket}"
    outbox.enqueue(conn, messages.source_problem(source, brand, problem, channel=channel, key=key), now=now)
    conn.execute(update(source_health).where(_where(source, brand)).values(reported_at=now))
