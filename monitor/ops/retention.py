"""Pruning old data in small batches, so the daemon's other jobs never wait long for the database.

Kept regardless of age: posts not yet classified, posts with an open reply
item; outbox rows not yet delivered, and rows that are still the parent of a
thread or an edit (an open spike, an open reply item, or a newer message
that threads on them), so a late reply never waits for a parent that is gone;
quarantined items not yet released (they are data a retry may still store).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, Table, and_, delete, exists, func, or_, select
from sqlalchemy.sql import ColumnElement

from monitor.ops.settings import RetentionSettings
from monitor.storage import envelopes
from monitor.storage.schema import outbox, posts, quarantine, reply_items, spikes

log = logging.getLogger(__name__)


@dataclass
class PruneReport:
    """What one run deleted; ``finished`` is False when it stopped on its time budget or a stop request."""

    posts: int = 0
    outbox: int = 0
    quarantine: int = 0  # quarantined items a retry stored long ago
    envelopes: int = 0  # Slack Socket Mode envelope ids remembered against re-sends
    batches: int = 0
    finished: bool = True


def prune(
    engine: Engine,
    settings: RetentionSettings,
    *,
    clock: Callable[[], datetime],
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> PruneReport:
    """Delete what is older than the configured ages, batch by batch, within ``settings.budget``."""
    report = PruneReport()
    deadline = time.monotonic() + settings.budget.total_seconds()
    now = clock()
    jobs: list[tuple[str, Callable[[], int]]] = []
    size = settings.batch_size
    if settings.outbox_days:
        condition = _prunable_outbox(now - timedelta(days=settings.outbox_days))
        jobs.append(("outbox", lambda: _delete_batch(engine, outbox, condition, size)))
    if settings.posts_days:
        old_posts = _prunable_posts(now - timedelta(days=settings.posts_days))
        jobs.append(("posts", lambda: _delete_batch(engine, posts, old_posts, size)))
    if settings.quarantine_days:
        released = quarantine.c.released_at < now - timedelta(days=settings.quarantine_days)
        jobs.append(("quarantine", lambda: _delete_batch(engine, quarantine, released, size)))
    # Always: envelope ids only guard against Slack's re-sends, which come within minutes.
    jobs.append(("envelopes", lambda: _prune_envelopes(engine, before=now - envelopes.KEEP, limit=size)))
    for name, delete_batch in jobs:
        while True:
            if should_stop() or time.monotonic() > deadline:
                report.finished = False
                break
            deleted = delete_batch()
            setattr(report, name, getattr(report, name) + deleted)
            report.batches += 1 if deleted else 0  # batches that removed rows
            if deleted < settings.batch_size:
                break
            sleep(settings.pause.total_seconds())
    if report.posts or report.outbox or report.quarantine or report.envelopes:
        log.info(
            "retention: pruned %d posts, %d outbox rows, %d released quarantine items and %d Slack envelope ids"
            " in %d batches%s",
            report.posts,
            report.outbox,
            report.quarantine,
            report.envelopes,
            report.batches,
            "" if report.finished else " (more next run)",
        )
    return report


def _prune_envelopes(engine: Engine, *, before: datetime, limit: int) -> int:
    with engine.begin() as conn:
        return envelopes.prune(conn, before=before, limit=limit)


def _delete_batch(engine: Engine, table: Table, condition: ColumnElement[bool], limit: int) -> int:
    ids = select(table.c.id).where(condition).order_by(table.c.id).limit(limit)
    with engine.begin() as conn:
        chosen = list(conn.execute(ids).scalars())
        if not chosen:
            return 0
        # Mentions, feedback and closed reply items go with their post (ON DELETE CASCADE).
        return conn.execute(delete(table).where(table.c.id.in_(chosen), condition)).rowcount


def _prunable_posts(cutoff: datetime) -> ColumnElement[bool]:
    open_reply = exists().where(reply_items.c.post_pk == posts.c.id, reply_items.c.closed_at.is_(None))
    return and_(posts.c.created_at < cutoff, posts.c.classified_at.is_not(None), ~open_reply)


def _prunable_outbox(cutoff: datetime) -> ColumnElement[bool]:
    child = outbox.alias("child")
    still_parent = exists().where(
        or_(child.c.thread_key == outbox.c.dedup_key, child.c.update_key == outbox.c.dedup_key),
        or_(child.c.status.in_(["pending", "sending"]), child.c.created_at >= cutoff),
    )
    open_spike = exists().where(spikes.c.spike_key == outbox.c.dedup_key, spikes.c.status == "open")
    open_reply = exists().where(reply_items.c.alert_key == outbox.c.dedup_key, reply_items.c.closed_at.is_(None))
    return and_(
        outbox.c.status.in_(["sent", "dead"]),
        func.coalesce(outbox.c.sent_at, outbox.c.created_at) < cutoff,
        ~still_parent,
        ~open_spike,
        ~open_reply,
    )
