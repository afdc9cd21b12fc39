"""The reply queue in the database: items, their state changes, and what the alerts show about them.

What it reads comes out as typed, frozen records (:class:`Item`, :class:`History`), not as rows or dicts.
Incidents themselves are in ``incidents.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, RowMapping, and_, case, func, or_, select, update
from sqlalchemy.orm import aliased

from monitor.alerts.outbox import PENDING, SENDING
from monitor.replies.priority import RANK
from monitor.storage.schema import mentions, outbox, posts, reply_items
from monitor.storage.upsert import insert

OPEN, ACKNOWLEDGED, SNOOZED = "open", "acknowledged", "snoozed"
HANDLED, REPLIED, NOT_NEGATIVE = "handled", "replied", "not_negative"
ACTIVE = (OPEN, ACKNOWLEDGED, SNOOZED)  # still waiting for an answer
CLOSED = (HANDLED, REPLIED, NOT_NEGATIVE)


@dataclass(frozen=True, slots=True)
class NewItem:
    """A post entering the queue."""

    brand: str
    post_pk: int
    platform: str
    post_id: str
    priority: str
    priority_score: float
    category: str | None
    channel: str
    reason: str
    posted_at: datetime
    due_at: datetime
    created_at: datetime
    status: str = OPEN
    alert_key: str = ""  # set once its alert (or the incident it goes into) is decided; empty while held


@dataclass(frozen=True, slots=True)
class Item:
    """A queued post, with the fields of the post itself (``post_*``) that its alert shows."""

    id: int
    brand: str
    post_pk: int
    platform: str
    post_id: str
    status: str
    priority: str
    priority_score: float
    channel: str
    reason: str
    posted_at: datetime
    due_at: datetime
    category: str | None = None
    created_at: datetime | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    snoozed_until: datetime | None = None
    snoozed_by: str | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    first_reply_at: datetime | None = None
    first_reply_id: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    within_sla: bool | None = None
    alert_key: str = ""
    summary_key: str | None = None  # the incident it went into, instead of a thread of its own
    incident_key: str | None = None  # the incident it belongs to (also with a thread of its own)
    revision: int = 0
    post_author: str | None = None
    post_text: str | None = None
    post_url: str | None = None
    post_lang: str | None = None
    post_metrics: Mapping[str, Any] = field(default_factory=dict)
    post_sentiment: str | None = None
    post_negative: float | None = None


@dataclass(frozen=True, slots=True)
class EarlierPost:
    """One of the author's earlier posts about the brand, as the alert shows it."""

    text: str | None
    url: str | None
    created_at: datetime
    sentiment: str | None


_Record = TypeVar("_Record", bound=EarlierPost)


def _record(kind: type[_Record], row: RowMapping) -> _Record:
    return kind(**{f.name: row[f.name] for f in fields(kind) if f.name in row})


def add(conn: Connection, new: NewItem) -> int | None:
    """Insert a queue item unless (brand, post) is already queued; its id if new."""
    row = conn.execute(
        insert(conn, reply_items)
        .values(**asdict(new))
        .on_conflict_do_nothing(index_elements=["brand", "post_pk"])
        .returning(reply_items.c.id)
    ).first()
    return int(row[0]) if row else None


def set_alert_key(conn: Connection, item_id: int, key: str, *, summary_key: str | None) -> None:
    """Record the outbox key of the item's thread (and, with ``summary_key``, the incident it went into)."""
    conn.execute(update(reply_items).where(reply_items.c.id == item_id).values(alert_key=key, summary_key=summary_key))


def item(conn: Connection, item_id: int) -> Item | None:
    """One item with its post's fields (``post_*``)."""
    rows = items(conn, [item_id])
    return rows[0] if rows else None


def items(conn: Connection, item_ids: Sequence[int]) -> list[Item]:
    """Items with their posts' fields, in queue order (priority, then deadline)."""
    if not item_ids:
        return []
    query = _with_post().where(reply_items.c.id.in_(list(item_ids))).order_by(*queue_order())
    return [_item(r) for r in conn.execute(query).mappings()]


def queue(conn: Connection, *, brand: str | None = None, limit: int = 100) -> list[Item]:
    """Items still waiting for an answer, most urgent first: priority, then the earliest deadline."""
    query = _with_post().where(reply_items.c.status.in_(ACTIVE))
    if brand is not None:
        query = query.where(reply_items.c.brand == brand)
    return [_item(r) for r in conn.execute(query.order_by(*queue_order()).limit(limit)).mappings()]


def queue_order() -> tuple[Any, ...]:
    """ORDER BY terms: high priority first, then higher score, then the earliest deadline."""
    rank = case(*((reply_items.c.priority == level, n) for level, n in RANK.items()), else_=len(RANK))
    return (rank, reply_items.c.priority_score.desc(), reply_items.c.due_at, reply_items.c.id)


def change(
    conn: Connection, item_id: int, *, only_if: Sequence[str] = ACTIVE, unset: Sequence[str] = (), **values: Any
) -> bool:
    """Apply a state change to an item still in one of ``only_if`` (and with the ``unset`` columns still null).

    True if it applied; bumps ``revision``. The conditions make the change happen once even when two
    instances run the same check at the same time.
    """
    conditions = [reply_items.c.id == item_id, reply_items.c.status.in_(list(only_if))]
    conditions.extend(reply_items.c[column].is_(None) for column in unset)
    result = conn.execute(update(reply_items).where(*conditions).values(revision=reply_items.c.revision + 1, **values))
    return bool(result.rowcount)


def due_for_reminder(conn: Connection, *, now: datetime, lead: timedelta, limit: int = 500) -> list[int]:
    """Open or acknowledged items inside their reminder lead time, not yet reminded or escalated."""
    query = (
        select(reply_items.c.id)
        .where(
            reply_items.c.status.in_([OPEN, ACKNOWLEDGED]),
            reply_items.c.reminded_at.is_(None),
            reply_items.c.escalated_at.is_(None),
            reply_items.c.due_at <= now + lead,
            reply_items.c.due_at > now,
        )
        .order_by(*queue_order())
        .limit(limit)
    )
    return [r[0] for r in conn.execute(query)]


def due_for_escalation(conn: Connection, *, now: datetime, limit: int = 500) -> list[int]:
    """Open or acknowledged items past their deadline and not yet escalated."""
    query = (
        select(reply_items.c.id)
        .where(
            reply_items.c.status.in_([OPEN, ACKNOWLEDGED]),
            reply_items.c.escalated_at.is_(None),
            reply_items.c.due_at <= now,
        )
        .order_by(*queue_order())
        .limit(limit)
    )
    return [r[0] for r in conn.execute(query)]


def snooze_over(conn: Connection, *, now: datetime, limit: int = 500) -> list[int]:
    """Snoozed items whose snooze has run out."""
    query = (
        select(reply_items.c.id)
        .where(reply_items.c.status == SNOOZED, reply_items.c.snoozed_until <= now)
        .order_by(reply_items.c.id)
        .limit(limit)
    )
    return [r[0] for r in conn.execute(query)]


def answered_on_platform(
    conn: Connection, *, limit: int = 500, item_ids: Sequence[int] | None = None, statuses: Sequence[str] = ACTIVE
) -> list[tuple[int, str, datetime]]:
    """Active items the brand has answered on the platform: (item id, reply post id, reply time).

    A reply is a post by one of the brand's accounts on the same platform whose ``reply_to``
    is the post, or whose conversation (``thread_id``) the post started, written after it.
    """
    reply = aliased(posts)
    matches = and_(
        reply.c.platform == reply_items.c.platform,
        reply.c.from_brand.is_(True),
        reply.c.created_at >= reply_items.c.posted_at,
        or_(reply.c.reply_to == reply_items.c.post_id, reply.c.thread_id == reply_items.c.post_id),
    )
    query = (
        select(reply_items.c.id, reply.c.post_id, reply.c.created_at)
        .join(reply, matches)
        .where(reply_items.c.status.in_(list(statuses)), reply_items.c.first_reply_at.is_(None))
        .order_by(reply_items.c.id, reply.c.created_at)
        .limit(limit)
    )
    if item_ids is not None:
        query = query.where(reply_items.c.id.in_(list(item_ids)))
    first: dict[int, tuple[int, str, datetime]] = {}
    for item_id, post_id, created in conn.execute(query):
        first.setdefault(item_id, (item_id, post_id, created))
    return list(first.values())


def in_brand_thread(conn: Connection, *, platform: str, reply_to: str | None, thread_id: str | None) -> bool:
    """True when the post answers, or belongs to a conversation rooted in, a post by the brand."""
    ids = [i for i in (reply_to, thread_id) if i]
    if not ids:
        return False
    query = select(posts.c.id).where(
        posts.c.platform == platform, posts.c.post_id.in_(ids), posts.c.from_brand.is_(True)
    )
    return conn.execute(query.limit(1)).first() is not None


@dataclass(frozen=True, slots=True)
class History:
    """The author's earlier posts about the brand: how many, how many negative, the latest few."""

    total: int
    negative: int
    latest: tuple[EarlierPost, ...]


def author_history(
    conn: Connection, *, brand: str, platform: str, author: str, before: datetime, since: datetime, exclude: int
) -> History:
    """What the author said about ``brand`` between ``since`` and ``before`` (their third complaint?)."""
    where = and_(
        mentions.c.brand == brand,
        mentions.c.created_at >= since,
        mentions.c.created_at < before,
        posts.c.platform == platform,
        posts.c.author == author,
        posts.c.id != exclude,
    )
    base = select(posts.c.id).join(mentions, mentions.c.post_pk == posts.c.id).where(where)
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    negative = conn.execute(
        select(func.count()).select_from(base.where(mentions.c.negative.is_(True)).subquery())
    ).scalar_one()
    latest = conn.execute(
        select(posts.c.text, posts.c.url, posts.c.created_at, posts.c.sentiment)
        .join(mentions, mentions.c.post_pk == posts.c.id)
        .where(where)
        .order_by(posts.c.created_at.desc())
        .limit(3)
    ).mappings()
    return History(int(total), int(negative), tuple(_record(EarlierPost, r) for r in latest))


def at_message(conn: Connection, *, channel: str, ts: str) -> str | None:
    """The outbox key of the thread the delivered message at (channel id, ts) belongs to, if it is ours."""
    row = conn.execute(
        select(outbox.c.dedup_key, outbox.c.thread_key)
        .where(outbox.c.slack_channel == channel, outbox.c.slack_ts == ts)
        .limit(1)
    ).first()
    if row is None:
        return None
    return row[1] or row[0]  # a reaction on a reminder or a note counts for the thread's post


def for_key(conn: Connection, key: str) -> list[int]:
    """Items whose thread is ``key``, or every item of the incident ``key`` (its own-thread posts too)."""
    query = select(reply_items.c.id).where(
        or_(
            and_(reply_items.c.alert_key == key, reply_items.c.summary_key.is_(None)),
            reply_items.c.summary_key == key,
            reply_items.c.incident_key == key,
        )
    )
    return [r[0] for r in conn.execute(query.order_by(reply_items.c.id))]


# -- incidents -----------------------------------------------------------------------------------


def queued_message(conn: Connection, key: str) -> bool:
    """Whether the message with outbox key ``key`` is still on its way (pending or being sent)."""
    query = select(outbox.c.id).where(outbox.c.dedup_key == key, outbox.c.status.in_([PENDING, SENDING]))
    return conn.execute(query.limit(1)).first() is not None


def members(conn: Connection, key: str, *, limit: int = 2000) -> list[Item]:
    """The posts of incident ``key`` (grouped into it, or with a thread of their own), most urgent first."""
    query = _with_post().where(reply_items.c.incident_key == key).order_by(*queue_order()).limit(limit)
    return [_item(r) for r in conn.execute(query).mappings()]


def recent_ungrouped(
    conn: Connection, *, brands: Sequence[str], since: datetime, exclude: Sequence[int] = (), limit: int = 500
) -> list[Item]:
    """Active posts of ``brands`` queued since ``since`` that belong to no incident (they may form one)."""
    query = _with_post().where(
        reply_items.c.brand.in_(list(brands)),
        reply_items.c.created_at >= since,
        reply_items.c.incident_key.is_(None),
        reply_items.c.status.in_(ACTIVE),
    )
    if exclude:
        query = query.where(reply_items.c.id.notin_(list(exclude)))
    return [_item(r) for r in conn.execute(query.order_by(reply_items.c.id).limit(limit)).mappings()]


def held(conn: Connection, *, before: datetime, limit: int = 500) -> list[Item]:
    """Active posts held for a forming incident (no message yet) since before ``before``: their hold is over."""
    query = _with_post().where(
        reply_items.c.alert_key == "",
        reply_items.c.incident_key.is_(None),
        reply_items.c.status.in_(ACTIVE),
        reply_items.c.created_at <= before,
    )
    return [_item(r) for r in conn.execute(query.order_by(*queue_order()).limit(limit)).mappings()]


def group_into(conn: Connection, item_id: int, key: str, *, own_thread: bool) -> None:
    """Make the item part of incident ``key``; without ``own_thread`` its timers go to the incident's thread."""
    values: dict[str, Any] = {"incident_key": key}
    if not own_thread:
        values["summary_key"] = key
    conn.execute(update(reply_items).where(reply_items.c.id == item_id).values(**values))


def _item(row: RowMapping) -> Item:
    values = {f.name: row[f.name] for f in fields(Item) if f.name in row}
    values["post_metrics"] = values.get("post_metrics") or {}  # a post stored without metrics
    return Item(**values)


def _with_post() -> Any:
    return select(
        reply_items,
        posts.c.author.label("post_author"),
        posts.c.text.label("post_text"),
        posts.c.url.label("post_url"),
        posts.c.lang.label("post_lang"),
        posts.c.metrics.label("post_metrics"),
        posts.c.sentiment.label("post_sentiment"),
        posts.c.negative_score.label("post_negative"),
    ).join(posts, posts.c.id == reply_items.c.post_pk)
