"""``replay``: a JSON Lines file of posts, replayed as if the posts arrived live.

It is what the demo, the tests and the benchmarks run on. The cursor is the
number of lines consumed, so a restart resumes exactly where the last stored
page ended. In ``live`` mode a post is released only once the clock has moved
past its place in the file's own timeline.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from connectors.base import Cursor, Page, Post, Query, Rejected, Unavailable, addresses
from connectors.settings import SourceSettings
from connectors.times import utc_time
from values.query_tree import positive_terms
from values.textfold import Word, WordIndex

log = logging.getLogger(__name__)


class ReplaySettings(SourceSettings):
    """``[sources.replay]``."""

    path: Path
    page_size: int = Field(default=200, ge=1, le=100_000)
    # "all": every post at once. "live": posts appear as the clock passes their time.
    mode: Literal["all", "live"] = "all"
    speed: float = Field(default=1.0, gt=0)  # live mode: 60 = one recorded hour per minute

    @field_validator("path")
    @classmethod
    def _relative_to_config(cls, path: Path, info: ValidationInfo) -> Path:
        base = (info.context or {}).get("base_dir")
        return path if path.is_absolute() or base is None else Path(base) / path


class ReplayConnector:
    """Reads posts from a JSON Lines file; the cursor is a line number."""

    platform = "replay"
    mixes_platforms = True  # its file holds posts of every platform: queries carry the brand's handles on all

    def __init__(
        self, settings: ReplaySettings, *, clock: Callable[[], datetime], started_at: datetime | None = None
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._started_at = started_at or clock()

    def fetch(self, query: Query, cursor: Cursor) -> Iterator[Page]:
        """Yield pages of matching posts after line ``cursor.position``."""
        start = int(cursor.position or 0)
        # A garbled line is kept (quarantined) for this brand only when it names one of its terms or accounts.
        names = [t.words for t in positive_terms(query.tree)]
        lines = self._lines()
        release_until = self._release_horizon(lines)
        batch: list[Post] = []
        rejected: list[Rejected] = []
        end = saved = start  # lines before `end` are consumed; `saved` is the last cursor handed out
        for index in range(start, len(lines)):
            line = lines[index].strip()
            post = None
            if line:
                try:
                    post = parse_post(json.loads(line))
                except (ValueError, TypeError, KeyError, OverflowError) as exc:
                    # Kept for this brand only when the line could be about it: a garbled line naming no
                    # term of the brand is not one of its mentions, whatever it was meant to say.
                    if _names_brand(line, names, query.handles):
                        log.warning("replay %s line %d quarantined: %s", self.settings.path, index + 1, exc)
                        rejected.append(Rejected.of(line, f"line {index + 1}: {type(exc).__name__}: {exc}"))
            if post is not None and release_until is not None and post.created_at > release_until:
                break  # not yet "live": resume from this line next time
            end = index + 1
            if post is not None and query.keeps(post):
                batch.append(post)
            if len(batch) >= self.settings.page_size:
                yield Page(tuple(batch), Cursor(str(end)), tuple(rejected))
                batch, rejected, saved = [], [], end
        if batch or rejected or end != saved:
            yield Page(tuple(batch), Cursor(str(end)), tuple(rejected))

    def _lines(self) -> list[str]:
        """The file's lines, each decoded on its own: an invalid UTF-8 byte damages only its line (U+FFFD)."""
        try:
            data = self.settings.path.read_bytes()
        except OSError as exc:
            raise Unavailable(f"replay file {self.settings.path}: {exc}") from exc
        # Split the bytes, not the text: str.splitlines would also split inside a post at U+2028 or U+0085.
        return [raw.decode("utf-8", "replace") for raw in data.removeprefix(b"\xef\xbb\xbf").splitlines()]

    def _release_horizon(self, lines: list[str]) -> datetime | None:
        """In live mode, the latest post time that has 'happened' by now on the replay clock."""
        if self.settings.mode == "all":
            return None
        first = _first_time(lines)
        if first is None:
            return None
        elapsed = (self._clock() - self._started_at) * self.settings.speed
        return first + elapsed


def parse_post(data: Any) -> Post:
    """Build a :class:`Post` from one JSON object in the replay format (README.md, "The replay source").

    The format is also how a post is kept in quarantine (:func:`post_record`), so it
    reads every field of a post; a missing, null or blank platform or id is refused
    rather than stored as ``"None"``.
    """
    if not isinstance(data, dict):
        raise TypeError("each line must be a JSON object")
    created = utc_time(_required_string(data, "created_at"))
    metrics = data.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise TypeError("metrics must be an object")
    extra = data.get("extra") or {}
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise TypeError("extra must be an object of strings")
    text = data["text"]
    if not isinstance(text, str):
        raise TypeError("text must be a string")
    return Post(
        platform=_required_string(data, "platform"),
        post_id=_required_id(data, "id"),
        author=_optional_string(data, "author") or "",
        text=text,
        created_at=created,
        url=_optional_string(data, "url"),
        reply_to=_optional_id(data, "reply_to"),
        thread_id=_optional_id(data, "thread_id"),
        author_id=_optional_id(data, "author_id"),
        lang=_optional_string(data, "lang"),
        metrics={
            str(k): int(v)
            for k, v in metrics.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        },
        extra=dict(extra),
    )


def post_record(post: Post) -> dict[str, Any]:
    """``post`` as one replay-format JSON object: what :func:`parse_post` reads back into the same post."""
    return {
        "platform": post.platform,
        "id": post.post_id,
        "author": post.author,
        "text": post.text,
        "created_at": post.created_at.isoformat(),
        "url": post.url,
        "reply_to": post.reply_to,
        "thread_id": post.thread_id,
        "author_id": post.author_id,
        "lang": post.lang,
        "metrics": dict(post.metrics),
        "extra": dict(post.extra),
    }


def _optional_string(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key} must be a string, not {type(value).__name__}")
    return value


def _required_string(data: dict[str, Any], key: str) -> str:
    value = _optional_string(data, key)
    if value is None:
        raise ValueError(f"{key} is {'null' if key in data else 'missing'}")
    if not value.strip():
        raise ValueError(f"{key} is blank")
    return value


def _optional_id(data: dict[str, Any], key: str) -> str | None:
    """An id: a string, or an integer written as a JSON number."""
    value = data.get(key)
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else _optional_string(data, key)


def _required_id(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else _required_string(data, key)


def _names_brand(line: str, names: list[tuple[Word, ...]], handles: tuple[str, ...]) -> bool:
    index = WordIndex(line)
    return any(index.contains(n) for n in names) or addresses(line, handles)


def _first_time(lines: list[str]) -> datetime | None:
    for line in lines:
        try:
            return parse_post(json.loads(line)).created_at
        except (ValueError, TypeError, KeyError, OverflowError):
            continue
    return None
