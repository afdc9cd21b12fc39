"""Incidents in the database: posts due for reply grouped into one thread, with what its message shows.

An incident is ``similar`` (similar posts close together), ``spike`` (opened by a spike of the brand's
negative mentions) or ``burst`` (more posts than a channel can take as threads at once). Its posts stay
in ``reply_items`` with their own deadlines; ``reply_items.incident_key`` says which incident they
belong to and ``summary_key`` that they have no thread of their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select, update

from monitor.storage.schema import reply_incidents, reply_items
from monitor.storage.upsert import insert

SIMILAR, SPIKE, BURST = "similar", "spike", "burst"
OUTDATED = -1  # rendered_posts of an incident whose message must be edited (below any count of posts)
WAITING = -2  # ... edited once the threads it links are delivered (their links are not known yet)


@dataclass(frozen=True, slots=True)
class Incident:
    """One incident and what its message shows so far."""

    incident_key: str
    kind: str
    channel: str
    title: str
    window_start: datetime
    brand: str | None = None
    category: str | None = None
    terms: Mapping[str, Any] = field(default_factory=dict)  # {"words": [...], "terms": [...]}, folded
    spike_key: str | None = None
    explanation: Mapping[str, Any] | None = None
    created_at: datetime | None = None
    last_post_at: datetime | None = None
    posts: int = 0
    rendered_posts: int = 0  # the count its message shows (OUTDATED: must be edited)
    revision: int = 0
    paged_at: datetime | None = None


def _record(row: RowMapping) -> Incident:
    values = {f.name: row[f.name] for f in fields(Incident) if f.name in row}
    values["terms"] = values.get("terms") or {}
    return Incident(**values)


def create(conn: Connection, incident: Incident) -> bool:
    """Insert ``incident`` unless its key exists; True when it is new (its message must be queued)."""
    values = {f.name: getattr(incident, f.name) for f in fields(Incident)}
    values["terms"] = dict(incident.terms)
    values["explanation"] = dict(incident.explanation) if incident.explanation is not None else None
    created = conn.execute(
        insert(conn, reply_incidents)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["incident_key"])
        .returning(reply_incidents.c.incident_key)
    ).first()
    return created is not None


def get(conn: Connection, key: str) -> Incident | None:
    """One incident."""
    row = conn.execute(select(reply_incidents).where(reply_incidents.c.incident_key == key)).mappings().first()
    return _record(row) if row else None


def joined(conn: Connection, key: str, *, count: int, now: datetime) -> None:
    """``count`` more posts joined incident ``key``."""
    conn.execute(
        update(reply_incidents)
        .where(reply_incidents.c.incident_key == key)
        .values(posts=reply_incidents.c.posts + count, last_post_at=now)
    )


def active(conn: Connection, *, brands: Sequence[str], since: datetime, limit: int = 50) -> list[Incident]:
    """Similar and spike incidents of ``brands`` that took in a post (or opened) since ``since``: they may grow."""
    query = (
        select(reply_incidents)
        .where(
            reply_incidents.c.brand.in_(list(brands)),
            reply_incidents.c.kind != BURST,
            reply_incidents.c.last_post_at >= since,
        )
        .order_by(reply_incidents.c.last_post_at.desc())
        .limit(limit)
    )
    return [_record(r) for r in conn.execute(query).mappings()]


def set_spike(conn: Connection, key: str, *, spike_key: str, explanation: Mapping[str, Any], now: datetime) -> None:
    """A spike joined incident ``key``: its explanation is shown from the next render."""
    conn.execute(
        update(reply_incidents)
        .where(reply_incidents.c.incident_key == key)
        .values(spike_key=spike_key, explanation=dict(explanation), last_post_at=now, rendered_posts=OUTDATED)
    )


def paged(conn: Connection, key: str, *, now: datetime) -> bool:
    """Record that on-call was paged for ``key``; False if it had been already (page once)."""
    result = conn.execute(
        update(reply_incidents)
        .where(reply_incidents.c.incident_key == key, reply_incidents.c.paged_at.is_(None))
        .values(paged_at=now)
    )
    return bool(result.rowcount)


def stale(conn: Connection, *, limit: int = 50) -> list[Incident]:
    """Incidents whose message is out of date: posts joined, or some changed state."""
    query = select(reply_incidents).where(reply_incidents.c.rendered_posts < reply_incidents.c.posts)
    return [_record(r) for r in conn.execute(query.limit(limit)).mappings()]


def touch(conn: Connection, key: str) -> None:
    """Mark an incident's message as out of date (a post in it changed state); the next check edits it."""
    conn.execute(update(reply_incidents).where(reply_incidents.c.incident_key == key).values(rendered_posts=OUTDATED))


def rendered(conn: Connection, key: str, *, posts_shown: int) -> int:
    """Record what the message now shows; returns the new revision (for the update's outbox key)."""
    conn.execute(
        update(reply_incidents)
        .where(reply_incidents.c.incident_key == key)
        .values(rendered_posts=posts_shown, revision=reply_incidents.c.revision + 1)
    )
    query = select(reply_incidents.c.revision).where(reply_incidents.c.incident_key == key)
    return int(conn.execute(query).scalar_one())


def recent_threads(conn: Connection, *, channel: str, since: datetime, exclude: Sequence[int] = ()) -> tuple[int, int]:
    """(threads, of which high priority) opened in ``channel`` since ``since``, not counting ``exclude``."""
    query = select(func.count(), func.count().filter(reply_items.c.priority == "high")).where(
        reply_items.c.channel == channel,
        reply_items.c.created_at >= since,
        reply_items.c.summary_key.is_(None),
        reply_items.c.alert_key != "",  # a held post has no thread yet
    )
    if exclude:
        query = query.where(reply_items.c.id.notin_(list(exclude)))
    row = conn.execute(query).one()
    return int(row[0]), int(row[1])
