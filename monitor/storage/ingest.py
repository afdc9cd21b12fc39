"""Storing one page so that no single item can stop a source: normalise, store, isolate, quarantine, move on.

Every post passes the normalisation boundary; one it refuses is quarantined.
The page is stored in one statement inside a savepoint; when the database
refuses it for its data, each post is stored in its own savepoint and a post it
still refuses is quarantined with the database's reason. An error that is not
about the data (connection lost, database locked or full) is raised: the
caller's transaction rolls back and the page is read again later, never blamed
on its posts. Items the connector could not read arrive in ``Page.rejected``.
All of it, and the cursor, commit in the caller's one transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from connectors.base import Page, Post
from connectors.replay import post_record
from monitor.storage import posts as post_store
from monitor.storage import quarantine
from monitor.storage.error_text import describe, error_text
from monitor.storage.normalise import InvalidPost, normalise

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PageOutcome:
    """What storing one page did."""

    new_posts: int
    quarantined: int  # items newly quarantined (a re-read adds none)
    first_reason: str | None  # of the page's first quarantined item, for the ops alert
    left_out: int = 0  # posts that are not the brand's mentions (its query, its exclusions)


def is_data_error(exc: BaseException) -> bool:
    """True when ``exc`` is about the values being stored, not about the database being reachable or working."""
    if isinstance(exc, DBAPIError):
        return isinstance(exc, DataError | IntegrityError)
    if isinstance(exc, StatementError):  # raised binding a parameter, before the database saw anything
        return True
    return isinstance(exc, ValueError | TypeError | OverflowError)  # UnicodeEncodeError is a ValueError


def store_page(
    conn: Connection,
    *,
    source: str,
    brand: str,
    page: Page,
    platform: str | None,
    brand_handles: tuple[str, ...],
    now: datetime,
    keep: Callable[[Post], bool] | None = None,
) -> PageOutcome:
    """Store ``page`` as mentions of ``brand``, quarantine what cannot be, save its cursor: in ``conn``'s transaction.

    ``platform`` names the platform of the connector's rejected items, when it has one.
    ``keep`` is the brand's check of each normalised post: a post it refuses is
    no mention of the brand, and is neither stored nor quarantined.
    """
    items = [quarantine.Item.rejected(r, platform=platform) for r in page.rejected]
    storable: list[Post] = []
    left_out = 0
    for post in page.posts:
        try:
            clean = normalise(post)
        except InvalidPost as exc:
            items.append(_refused(post, str(exc)))
            continue
        if keep is None or keep(clean):
            storable.append(clean)
        else:
            left_out += 1
    new_posts, failed = _store(conn, source=source, brand=brand, posts_in=storable, handles=brand_handles, now=now)
    items.extend(failed)
    for item in items:  # untrusted values: quoted and shortened
        log.warning(
            "%s (%s): item %s (platform %s) quarantined: %s",
            source,
            brand,
            ascii(item.item_id)[:80],
            ascii(item.platform)[:40],
            error_text(item.reason, limit=300),
        )
    added = quarantine.add(conn, source=source, brand=brand, items=items, now=now)
    post_store.save_cursor(conn, source=source, brand=brand, cursor=page.cursor, now=now)
    return PageOutcome(
        new_posts=new_posts, quarantined=added, first_reason=items[0].reason if items else None, left_out=left_out
    )


def _store(
    conn: Connection, *, source: str, brand: str, posts_in: list[Post], handles: tuple[str, ...], now: datetime
) -> tuple[int, list[quarantine.Item]]:
    """Store the page at once; if its data is refused, post by post. Returns (new posts, items refused)."""
    try:
        with conn.begin_nested():
            stored = post_store.store_posts(
                conn, source=source, brand=brand, posts_in=posts_in, brand_handles=handles, now=now
            )
        return stored.new_posts, []
    except Exception as exc:
        if not is_data_error(exc):
            raise
        log.info("%s (%s): page refused (%s); storing its posts one by one", source, brand, describe(exc))
    new_posts = 0
    failed: list[quarantine.Item] = []
    for post in posts_in:
        try:
            with conn.begin_nested():
                stored = post_store.store_posts(
                    conn, source=source, brand=brand, posts_in=[post], brand_handles=handles, now=now
                )
            new_posts += stored.new_posts
        except Exception as exc:
            if not is_data_error(exc):
                raise
            failed.append(_refused(post, describe(exc)))
    return new_posts, failed


def _refused(post: Post, reason: str) -> quarantine.Item:
    """A post refused at storage: kept as its replay-format JSON, which ``quarantine retry`` reads back."""
    raw = json.dumps(post_record(post), ensure_ascii=True, sort_keys=True, default=_json_fallback)
    platform = post.platform if isinstance(post.platform, str) else None
    item_id = post.post_id if isinstance(post.post_id, str) else None
    return quarantine.Item(raw=raw, reason=reason, stage=quarantine.STORE, platform=platform, item_id=item_id)


def _json_fallback(value: object) -> str | None:
    """Bytes a connector left undecoded, as text; anything else JSON cannot hold as null, never a made-up id."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else None
