"""The one boundary every incoming post passes before storage: text made storable, fields fitted to their columns.

Post text is untrusted and platforms send anything: NUL (PostgreSQL refuses it in
text), lone surrogates (no UTF-8 encoding exists for them, so both databases
refuse them), terminal control sequences, ids and language tags longer than any
column. Here, in one place rather than per connector:

- bytes are decoded as UTF-8 with invalid sequences replaced (U+FFFD);
- surrogate pairs are joined, lone surrogates, NUL and every other control
  character are removed (text keeps newlines and tabs; a CR becomes a newline;
  one-line fields get a space for a newline or tab), by the rules in
  values/plaintext.py, which the classifier applies to text that never passed here;
- free text (author, lang) is truncated to its column, read from the schema;
  a reference to another post or an account (reply_to, thread_id, author_id)
  that does not fit is dropped, since a truncated id would point elsewhere;
- a post whose identity (platform, post id) is missing, blank or too long, or
  whose time cannot be expressed in UTC, is refused with the reason: it is
  quarantined by the caller, never stored under a made-up id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column

from connectors.base import Post
from monitor.storage.schema import posts
from values.plaintext import clean_line, clean_text

# JSON columns have no length; metric and extra names are short labels in every platform's API.
MAX_KEY = 64
INT64 = (-(2**63), 2**63 - 1)  # metrics are read back as 64-bit integers by the digest's SQL


class InvalidPost(ValueError):
    """A post that cannot be stored as it is; the message is the reason kept with it in quarantine."""


def _limit(column: Column[Any]) -> int | None:
    return getattr(column.type, "length", None)


PLATFORM_MAX = _limit(posts.c.platform)
POST_ID_MAX = _limit(posts.c.post_id)


def normalise(post: Post) -> Post:
    """``post`` made storable: cleaned and fitted to the ``posts`` columns; raises :class:`InvalidPost`."""
    platform = _identity(post.platform, posts.c.platform, "platform")
    post_id = _identity(post.post_id, posts.c.post_id, "post id")
    if not isinstance(post.text, str | bytes):
        raise InvalidPost(f"text is {type(post.text).__name__}, not a string")
    return replace(
        post,
        platform=platform,
        post_id=post_id,
        author=_free_text(post.author, posts.c.author) or "",
        text=clean_text(_as_text(post.text)),
        created_at=_utc(post.created_at),
        url=_free_text(post.url, posts.c.url),
        reply_to=_reference(post.reply_to, posts.c.reply_to),
        thread_id=_reference(post.thread_id, posts.c.thread_id),
        author_id=_reference(post.author_id, posts.c.author_id),
        lang=_free_text(post.lang, posts.c.platform_lang),
        metrics=_metrics(post.metrics),
        extra=_extra(post.extra),
    )


def fit(value: str, column: Column[Any]) -> str:
    """``value`` cut to ``column``'s length (characters, as both databases count them)."""
    length = _limit(column)
    return value if length is None else value[:length]


def _as_text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _scalar_text(value: Any) -> str | None:
    """A string, bytes or integer as text; anything else (None, a list, a bool) as None."""
    if isinstance(value, str | bytes):
        return _as_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _identity(value: Any, column: Column[Any], name: str) -> str:
    text = _scalar_text(value)
    if text is None:
        raise InvalidPost(f"{name} is {'missing' if value is None else type(value).__name__ + ', not a string'}")
    text = clean_line(text)
    if not text.strip():
        raise InvalidPost(f"{name} is blank")
    length = _limit(column)
    if length is not None and len(text) > length:
        raise InvalidPost(f"{name} is longer than {length} characters ({len(text)})")
    return text


def _free_text(value: Any, column: Column[Any]) -> str | None:
    text = _scalar_text(value)
    if text is None:
        return None
    return fit(clean_line(text), column) or None


def _reference(value: Any, column: Column[Any]) -> str | None:
    text = _scalar_text(value)
    if text is None:
        return None
    text = clean_line(text)
    length = _limit(column)
    if not text.strip() or (length is not None and len(text) > length):
        return None
    return text


def _utc(moment: Any) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidPost("created_at is not a timezone-aware datetime")
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise InvalidPost(f"created_at {moment.isoformat()} cannot be expressed in UTC ({exc})") from exc


def _key(key: Any) -> str | None:
    text = _scalar_text(key)
    if text is None:
        return None
    return clean_line(text)[:MAX_KEY] or None


def _metrics(metrics: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in (metrics.items() if isinstance(metrics, Mapping) else ()):
        name = _key(key)
        if name is None:
            continue
        if isinstance(value, float) and math.isfinite(value):
            value = int(value)
        if isinstance(value, int):  # a bool is an int: True counts as 1
            out[name] = min(max(int(value), INT64[0]), INT64[1])
    return out


def _extra(extra: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (extra.items() if isinstance(extra, Mapping) else ()):
        name = _key(key)
        if name is None or value is None:
            continue
        text = _scalar_text(value)
        out[name] = clean_text(text if text is not None else str(value))
    return out
