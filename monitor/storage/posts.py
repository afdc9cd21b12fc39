"""Storing fetched posts with their cursor, and the classifier's work queue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from connectors.base import Cursor, Post
from models.base import Sentiment
from monitor.storage.schema import cursors, mentions, posts
from monitor.storage.upsert import insert


@dataclass(frozen=True, slots=True)
class StoredPage:
    """What storing one page did."""

    new_posts: int
    new_mentions: int
    newest_post_at: datetime | None


def store_page(
    conn: Connection,
    *,
    source: str,
    brand: str,
    posts_in: Sequence[Post],
    cursor: Cursor,
    brand_handles: Iterable[str],
    now: datetime,
) -> StoredPage:
    """Upsert ``posts_in`` as mentions of ``brand`` and save ``cursor``, in the caller's transaction."""
    stored = store_posts(conn, source=source, brand=brand, posts_in=posts_in, brand_handles=brand_handles, now=now)
    save_cursor(conn, source=source, brand=brand, cursor=cursor, now=now)
    return stored


def store_posts(
    conn: Connection,
    *,
    source: str,
    brand: str,
    posts_in: Sequence[Post],
    brand_handles: Iterable[str],
    now: datetime,
) -> StoredPage:
    """Upsert ``posts_in`` (already normalised) as mentions of ``brand``, in the caller's transaction."""
    own = {h.lower().lstrip("@") for h in brand_handles}
    rows = [_post_row(p, source=source, now=now, from_brand=p.author.lower().lstrip("@") in own) for p in posts_in]
    new_posts = 0
    if rows:
        result = conn.execute(
            insert(conn, posts).on_conflict_do_nothing(index_elements=["platform", "post_id"]).returning(posts.c.id),
            rows,
        )
        new_posts = len(result.fetchall())
    new_mentions = 0
    pks = _post_keys(conn, posts_in)
    if pks:
        mention_rows = [
            {"brand": brand, "post_pk": pk, "created_at": created, "negative": negative, "from_brand": from_brand}
            for pk, created, negative, from_brand in pks
        ]
        result = conn.execute(
            insert(conn, mentions)
            .on_conflict_do_nothing(index_elements=["brand", "post_pk"])
            .returning(mentions.c.post_pk),
            mention_rows,
        )
        new_mentions = len(result.fetchall())
    newest = max((p.created_at for p in posts_in), default=None)
    return StoredPage(new_posts=new_posts, new_mentions=new_mentions, newest_post_at=newest)


def _post_row(post: Post, *, source: str, now: datetime, from_brand: bool) -> dict[str, object]:
    return {
        "platform": post.platform,
        "post_id": post.post_id,
        "source": source,
        "author": post.author,
        "author_id": post.author_id,
        "text": post.text,
        "url": post.url,
        "created_at": post.created_at,
        "fetched_at": now,
        "reply_to": post.reply_to,
        "thread_id": post.thread_id,
        "metrics": dict(post.metrics),
        "extra": dict(post.extra),
        "platform_lang": post.lang,
        "from_brand": from_brand,
    }


def _post_keys(conn: Connection, posts_in: Sequence[Post]) -> list[tuple[int, datetime, bool | None, bool]]:
    by_platform: dict[str, list[str]] = {}
    for post in posts_in:
        by_platform.setdefault(post.platform, []).append(post.post_id)
    out = []
    for platform, ids in by_platform.items():
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start : chunk_start + 500]
            query = select(
                posts.c.id,
                posts.c.created_at,
                posts.c.sentiment,
                posts.c.low_confidence,
                posts.c.complaint_phrase,
                posts.c.from_brand,
            ).where(posts.c.platform == platform, posts.c.post_id.in_(chunk))
            for pk, created, sentiment, unsure, phrase, from_brand in conn.execute(query):
                out.append((pk, created, counts_as_negative(sentiment, unsure=unsure, complaint=phrase), from_brand))
    return out


def load_cursor(conn: Connection, *, source: str, brand: str) -> Cursor:
    """The saved cursor for (source, brand), or the start."""
    row = conn.execute(
        select(cursors.c.position, cursors.c.recent_ids).where(cursors.c.source == source, cursors.c.brand == brand)
    ).first()
    if row is None:
        return Cursor()
    return Cursor.from_json({"position": row.position, "recent_ids": row.recent_ids})


def save_cursor(conn: Connection, *, source: str, brand: str, cursor: Cursor, now: datetime) -> None:
    """Upsert the cursor for (source, brand)."""
    values = {"position": cursor.position, "recent_ids": list(cursor.recent_ids), "updated_at": now}
    conn.execute(
        insert(conn, cursors)
        .values(source=source, brand=brand, **values)
        .on_conflict_do_update(index_elements=["source", "brand"], set_=values)
    )


@dataclass(frozen=True, slots=True)
class PendingPost:
    """A stored post waiting for its sentiment."""

    pk: int
    text: str


def unclassified(conn: Connection, *, limit: int) -> list[PendingPost]:
    """The oldest posts without a sentiment, up to ``limit``."""
    query = select(posts.c.id, posts.c.text).where(posts.c.classified_at.is_(None)).order_by(posts.c.id).limit(limit)
    return [PendingPost(pk, text) for pk, text in conn.execute(query)]


def claim_unclassified(conn: Connection, *, limit: int) -> list[PendingPost]:
    """Like :func:`unclassified`, but row-locked until the caller's transaction ends (PostgreSQL).

    ``FOR NO KEY UPDATE SKIP LOCKED``: another instance skips these rows and takes
    the next ones, and a poll inserting mentions of them (a key-share lock) is
    not blocked. If this process dies, the locks die with its connection.
    """
    query = (
        select(posts.c.id, posts.c.text)
        .where(posts.c.classified_at.is_(None))
        .order_by(posts.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, key_share=True)
    )
    return [PendingPost(pk, text) for pk, text in conn.execute(query)]


def save_sentiments(
    conn: Connection,
    results: Sequence[tuple[int, Sentiment]],
    *,
    now: datetime,
    complaints: Mapping[int, str] | None = None,
) -> None:
    """Store labels for posts and mark their mentions negative or not.

    ``complaints`` maps a post to the complaint phrase found in it (the safety net): such a post counts as
    negative (``mentions.negative``, what the spike metrics and the digest count) whatever the model said.
    """
    complaints = complaints or {}
    for pk, sentiment in results:
        phrase = complaints.get(pk)
        conn.execute(
            update(posts)
            .where(posts.c.id == pk)
            .values(
                sentiment=sentiment.label,
                sentiment_score=sentiment.score,
                negative_score=sentiment.negative,
                low_confidence=sentiment.low_confidence,
                lang=sentiment.lang,
                classified_at=now,
                complaint_phrase=phrase,
            )
        )
        negative = counts_as_negative(sentiment.label, unsure=sentiment.low_confidence, complaint=phrase)
        conn.execute(update(mentions).where(mentions.c.post_pk == pk).values(negative=negative))


def counts_as_negative(label: str | None, *, unsure: bool | None, complaint: str | None) -> bool | None:
    """A post's effective label for counting: negative and confident, or flagged by a complaint phrase.

    None while it is unclassified. The one definition behind ``mentions.negative``.
    """
    if label is None:
        return None
    return (label == "negative" and not unsure) or complaint is not None
