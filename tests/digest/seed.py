"""Seeding a digest database directly: posts with their mentions, spikes and reply-queue rows."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from monitor.storage.schema import mentions, posts, reply_items, spikes

_ids = itertools.count(1)


def post(
    conn: Connection,
    brand: str,
    at: datetime,
    *,
    platform: str = "x",
    negative: bool | None = False,
    lang: str | None = "en",
    platform_lang: str | None = None,
    text: str = "a post about acme",
    metrics: dict[str, Any] | None = None,
    from_brand: bool = False,
    author: str | None = None,
) -> int:
    """Insert a post mentioning ``brand``; ``negative=None`` leaves it unclassified. Returns its pk."""
    n = next(_ids)
    sentiment = None if negative is None else ("negative" if negative else "neutral")
    pk = conn.execute(
        posts.insert()
        .values(
            platform=platform,
            post_id=f"p{n}",
            source=platform,
            author=author or f"user{n}",
            text=text,
            url=f"https://{platform}.example/p/{n}",
            created_at=at,
            fetched_at=at,
            metrics=metrics or {},
            extra={},
            platform_lang=platform_lang,
            lang=lang if negative is not None else None,
            from_brand=from_brand,
            sentiment=sentiment,
            classified_at=None if negative is None else at,
        )
        .returning(posts.c.id)
    ).scalar_one()
    conn.execute(
        mentions.insert().values(brand=brand, post_pk=pk, created_at=at, negative=negative, from_brand=from_brand)
    )
    return int(pk)


def spike(
    conn: Connection,
    brand: str,
    opened: datetime,
    *,
    resolved: datetime | None,
    peak_at: datetime,
    peak: float,
    expected: float,
    drivers: dict[str, Any] | None = None,
    metric: str = "negative",
) -> None:
    """Insert a spike row."""
    conn.execute(
        spikes.insert().values(
            spike_key=f"{brand}:{metric}:{opened.isoformat()}",
            brand=brand,
            metric=metric,
            status="resolved" if resolved else "open",
            opened_at=opened,
            updated_at=resolved or peak_at,
            resolved_at=resolved,
            peak_at=peak_at,
            peak_count=peak,
            expected=expected,
            drivers=drivers,
        )
    )


def reply(
    conn: Connection,
    brand: str,
    post_pk: int,
    posted: datetime,
    *,
    sla: timedelta = timedelta(hours=1),
    status: str = "open",
    first_reply: datetime | None = None,
    closed: datetime | None = None,
    within: bool | None = None,
    category: str | None = None,
) -> None:
    """Insert a reply-queue row (the columns of schema.py as they are)."""
    n = next(_ids)
    conn.execute(
        reply_items.insert().values(
            brand=brand,
            post_pk=post_pk,
            platform="x",
            post_id=f"r{n}",
            status=status,
            priority="normal",
            priority_score=0.5,
            category=category,
            channel="#brand-alerts",
            reason="negative",
            posted_at=posted,
            due_at=posted + sla,
            created_at=posted,
            first_reply_at=first_reply,
            closed_at=closed if closed is not None else first_reply,
            within_sla=within,
            alert_key=f"reply:{n}",
        )
    )
