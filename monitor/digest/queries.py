"""The digest's reads: every count, share and percentile is aggregated in the database.

Each function reads one brand (or the configured brands) over ``[start, end)``; rows come
back already grouped (a handful per platform, category or quarter hour), so the cost grows
with the day's size, never with the year stored. Indexes used: mentions (brand, created_at),
reply_items (brand, posted_at) and (status, due_at), spikes (brand, opened_at).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from monitor.digest.model import (
    CategoryCount,
    PostItem,
    ReplyItemView,
    ReplyStats,
    SpikeItem,
    Volume,
)
from monitor.digest.sqlparts import day_index, reach, seconds_between
from monitor.storage.buckets import epoch_bucket
from monitor.storage.schema import mentions, posts, reply_items, spikes

QUARTER_HOUR = 900  # every real UTC offset is a multiple of 15 minutes (Nepal +5:45, India +5:30)
OPEN_STATUSES = ("open", "acknowledged", "snoozed")
NOT_NEEDED = "not_negative"  # a person said the post was not negative: it never needed a reply


def _mentions_of(brand: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(
        mentions.c.brand == brand,
        mentions.c.created_at >= start,
        mentions.c.created_at < end,
        mentions.c.from_brand.is_(False),
    )


def _negative() -> ColumnElement[int]:
    return func.coalesce(func.sum(case((mentions.c.negative.is_(True), 1), else_=0)), 0)


def volume(conn: Connection, *, brand: str, start: datetime, end: datetime) -> Volume:
    """Mentions, classified and negative counts, by platform and language."""
    lang = func.coalesce(posts.c.lang, posts.c.platform_lang, literal("unknown"))
    rows = conn.execute(
        select(
            posts.c.platform,
            lang.label("lang"),
            func.count().label("total"),
            func.count(mentions.c.negative).label("classified"),
            _negative().label("negative"),
        )
        .select_from(mentions.join(posts, posts.c.id == mentions.c.post_pk))
        .where(_mentions_of(brand, start, end))
        .group_by(posts.c.platform, lang)
    ).all()
    platforms: dict[str, list[int]] = {}
    languages: dict[str, int] = {}
    for platform, language, total, _classified, negative in rows:
        counts = platforms.setdefault(platform, [0, 0])
        counts[0] += total
        counts[1] += int(negative)
        languages[language] = languages.get(language, 0) + total
    return Volume(
        total=sum(r.total for r in rows),
        classified=sum(r.classified for r in rows),
        negative=sum(int(r.negative) for r in rows),
        by_platform=tuple((p, n, neg) for p, (n, neg) in sorted(platforms.items(), key=lambda i: (-i[1][0], i[0]))),
        by_language=tuple(sorted(languages.items(), key=lambda i: (-i[1], i[0]))),
    )


def spikes_during(conn: Connection, *, brand: str, start: datetime, end: datetime) -> tuple[SpikeItem, ...]:
    """Spikes open at any time in ``[start, end)``, oldest first."""
    rows = conn.execute(
        select(spikes)
        .where(
            spikes.c.brand == brand,
            spikes.c.opened_at < end,
            or_(spikes.c.resolved_at.is_(None), spikes.c.resolved_at >= start),
        )
        .order_by(spikes.c.opened_at)
    ).mappings()
    return tuple(_spike(r) for r in rows)


def _spike(row: Any) -> SpikeItem:
    drivers = row["drivers"] if isinstance(row["drivers"], dict) else {}
    top = drivers.get("top_posts") or []
    top_url = top[0].get("url") if top and isinstance(top[0], dict) else None
    return SpikeItem(
        metric=row["metric"],
        status=row["status"],
        opened_at=row["opened_at"],
        resolved_at=row["resolved_at"],
        peak_at=row["peak_at"],
        peak_count=float(row["peak_count"]),
        expected=float(row["expected"]),
        terms=tuple(str(t) for t in (drivers.get("terms") or [])),
        summary=str(drivers.get("summary") or ""),
        top_url=top_url,
    )


def top_negative(conn: Connection, *, brand: str, start: datetime, end: datetime, limit: int) -> tuple[PostItem, ...]:
    """The day's negative posts that reached the most people (followers, karma), biggest first."""
    dialect = conn.dialect.name
    post_reach = reach(posts.c.metrics, dialect).label("reach")
    rows = conn.execute(
        select(posts.c.platform, posts.c.author, posts.c.text, posts.c.url, posts.c.created_at, post_reach)
        .select_from(mentions.join(posts, posts.c.id == mentions.c.post_pk))
        .where(_mentions_of(brand, start, end), mentions.c.negative.is_(True))
        .order_by(post_reach.desc(), posts.c.created_at, posts.c.id)
        .limit(limit)
    ).all()
    return tuple(PostItem(r.platform, r.author, r.text, r.url, r.created_at, int(r.reach or 0)) for r in rows)


def _outcome(as_of: datetime) -> ColumnElement[str]:
    """within | breached | pending for a reply item, as of ``as_of``."""
    answered = func.coalesce(reply_items.c.first_reply_at, reply_items.c.closed_at)
    return case(
        (reply_items.c.within_sla.is_(True), "within"),
        (reply_items.c.within_sla.is_(False), "breached"),
        (and_(reply_items.c.closed_at.is_(None), reply_items.c.due_at < as_of), "breached"),
        (reply_items.c.closed_at.is_(None), "pending"),
        # Closed without a verdict recorded: judge by when it was answered.
        (answered <= reply_items.c.due_at, "within"),
        else_="breached",
    )


def _needed(brand: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(
        reply_items.c.brand == brand,
        reply_items.c.posted_at >= start,
        reply_items.c.posted_at < end,
        reply_items.c.status != NOT_NEEDED,
    )


def reply_stats(conn: Connection, *, brand: str, start: datetime, end: datetime, as_of: datetime) -> ReplyStats:
    """How many posts of the day needed a reply, how fast the first reply came, and the SLA outcome."""
    outcome = _outcome(as_of).label("outcome")
    counts = {
        o: (n, replied)
        for o, n, replied in conn.execute(
            select(outcome, func.count(), func.count(reply_items.c.first_reply_at))
            .where(_needed(brand, start, end))
            .group_by(outcome)
        )
    }
    replied = sum(r for _, r in counts.values())
    seconds = seconds_between(reply_items.c.posted_at, reply_items.c.first_reply_at, conn.dialect.name)
    condition = and_(_needed(brand, start, end), reply_items.c.first_reply_at.is_not(None))
    return ReplyStats(
        needed=sum(n for n, _ in counts.values()),
        replied=replied,
        within=counts.get("within", (0, 0))[0],
        breached=counts.get("breached", (0, 0))[0],
        pending=counts.get("pending", (0, 0))[0],
        median_seconds=_percentile(conn, seconds, condition, replied, 0.5),
        p90_seconds=_percentile(conn, seconds, condition, replied, 0.9),
    )


def _percentile(conn: Connection, value: Any, condition: Any, n: int, q: float) -> float | None:
    """The ``q`` quantile (linear between order statistics, like numpy's default), read in SQL.

    Only the one or two rows around the quantile are fetched (ORDER BY ... OFFSET), which works
    the same on SQLite (no percentile functions) and PostgreSQL.
    """
    if n == 0:
        return None
    position = q * (n - 1)
    low = int(position)
    rows = [float(v) for (v,) in conn.execute(select(value).where(condition).order_by(value).offset(low).limit(2))]
    if len(rows) == 1 or position == low:
        return rows[0]
    return rows[0] + (position - low) * (rows[1] - rows[0])


def _item_views(rows: Sequence[Any]) -> tuple[ReplyItemView, ...]:
    return tuple(
        ReplyItemView(
            post=PostItem(r.platform, r.author or "", r.text or "", r.url, r.posted_at),
            posted_at=r.posted_at,
            due_at=r.due_at,
            answered_at=r.first_reply_at or r.closed_at,
            category=r.category,
            status=r.status,
        )
        for r in rows
    )


def _item_columns() -> list[Any]:
    return [
        reply_items.c.platform,
        posts.c.author,
        posts.c.text,
        posts.c.url,
        reply_items.c.posted_at,
        reply_items.c.due_at,
        reply_items.c.first_reply_at,
        reply_items.c.closed_at,
        reply_items.c.category,
        reply_items.c.status,
    ]


def breaches(
    conn: Connection, *, brand: str, start: datetime, end: datetime, as_of: datetime, limit: int
) -> tuple[ReplyItemView, ...]:
    """The day's posts whose reply came late or not at all, earliest due first."""
    rows = conn.execute(
        select(*_item_columns())
        .select_from(reply_items.join(posts, posts.c.id == reply_items.c.post_pk))
        .where(_needed(brand, start, end), _outcome(as_of) == "breached")
        .order_by(reply_items.c.due_at, reply_items.c.id)
        .limit(limit)
    ).all()
    return _item_views(rows)


def still_open(
    conn: Connection, *, brand: str, as_of: datetime, limit: int
) -> tuple[int, int, tuple[ReplyItemView, ...]]:
    """Posts of any day still waiting for a reply: (count, overdue count, the longest overdue first)."""
    condition = and_(reply_items.c.status.in_(OPEN_STATUSES), reply_items.c.brand == brand)
    count, overdue = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((reply_items.c.due_at < as_of, 1), else_=0)), 0),
        ).where(condition)
    ).one()
    rows = conn.execute(
        select(*_item_columns())
        .select_from(reply_items.join(posts, posts.c.id == reply_items.c.post_pk))
        .where(condition)
        .order_by(reply_items.c.due_at, reply_items.c.id)
        .limit(limit)
    ).all()
    return int(count), int(overdue), _item_views(rows)


def categories(conn: Connection, *, brand: str, bounds: Sequence[datetime]) -> tuple[CategoryCount, ...]:
    """Reply-queue categories per local day over 8 days (``bounds`` = 9 midnights; the last day is the digest's)."""
    index = day_index(reply_items.c.posted_at, bounds).label("day")
    rows = conn.execute(
        select(reply_items.c.category, index, func.count())
        .where(
            reply_items.c.brand == brand,
            reply_items.c.posted_at >= bounds[0],
            reply_items.c.posted_at < bounds[-1],
            reply_items.c.status != NOT_NEEDED,
            reply_items.c.category.is_not(None),
        )
        .group_by(reply_items.c.category, index)
    ).all()
    last = len(bounds) - 2
    per: dict[str, dict[int, int]] = {}
    for category, day, n in rows:
        per.setdefault(category, {})[int(day)] = n
    out = [
        CategoryCount(
            category=c,
            day=days.get(last, 0),
            week_ago=days.get(0, 0),
            days_seen=sum(1 for d in days if d >= last - 6),
        )
        for c, days in per.items()
    ]
    out = [c for c in out if c.day]
    out.sort(key=lambda c: (-c.day, -c.days_seen, c.category))
    return tuple(out)


def negative_texts(
    conn: Connection, *, brand: str, bounds: Sequence[datetime], negative: bool, limit: int
) -> list[tuple[int, str]]:
    """(local day index, text) of the brand's negative (or classified non-negative) posts, newest first."""
    index = day_index(mentions.c.created_at, bounds).label("day")
    flag = mentions.c.negative.is_(True) if negative else mentions.c.negative.is_(False)
    rows = conn.execute(
        select(index, posts.c.text)
        .select_from(mentions.join(posts, posts.c.id == mentions.c.post_pk))
        .where(_mentions_of(brand, bounds[0], bounds[-1]), flag)
        .order_by(mentions.c.created_at.desc())
        .limit(limit)
    ).all()
    return [(int(d), t or "") for d, t in rows]


def mention_quarters(
    conn: Connection, *, brands: Sequence[str], start: datetime, end: datetime
) -> list[tuple[str, int, int, int]]:
    """(brand, quarter-hour bucket, mentions, negative) over ``[start, end)``."""
    bucket = epoch_bucket(mentions.c.created_at, QUARTER_HOUR, conn.dialect.name).label("bucket")
    rows = conn.execute(
        select(mentions.c.brand, bucket, func.count(), _negative())
        .where(
            mentions.c.brand.in_(list(brands)),
            mentions.c.created_at >= start,
            mentions.c.created_at < end,
            mentions.c.from_brand.is_(False),
        )
        .group_by(mentions.c.brand, bucket)
    ).all()
    return [(b, int(q), int(n), int(neg)) for b, q, n, neg in rows]


def reply_quarters(
    conn: Connection, *, brands: Sequence[str], start: datetime, end: datetime, as_of: datetime
) -> list[tuple[int, int, int]]:
    """(quarter-hour bucket of posting, posts needing reply, of them breached) over ``[start, end)``."""
    bucket = epoch_bucket(reply_items.c.posted_at, QUARTER_HOUR, conn.dialect.name).label("bucket")
    breached = func.coalesce(func.sum(case((_outcome(as_of) == "breached", 1), else_=0)), 0)
    rows = conn.execute(
        select(bucket, func.count(), breached)
        .where(
            reply_items.c.brand.in_(list(brands)),
            reply_items.c.posted_at >= start,
            reply_items.c.posted_at < end,
            reply_items.c.status != NOT_NEEDED,
        )
        .group_by(bucket)
    ).all()
    return [(int(q), int(n), int(b)) for q, n, b in rows]
