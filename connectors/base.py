"""The connector contract: a cursor in, pages of posts out.

A connector knows its platform's API and nothing about storage, scheduling,
sentiment or Slack. It translates its client library's exceptions into the
few typed errors below, so the core never imports prawcore or tweepy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from values.query_match import Subject, matches
from values.query_tree import Expr, terms_query
from values.textfold import WordIndex, tagged_words


@dataclass(frozen=True, slots=True)
class Post:
    """One mention as a platform reported it, normalised."""

    platform: str
    post_id: str
    author: str
    text: str
    created_at: datetime  # timezone-aware, always
    url: str | None = None
    reply_to: str | None = None  # id of the post this one answers
    thread_id: str | None = None  # root of the conversation (X conversation_id, Reddit submission)
    author_id: str | None = None
    lang: str | None = None  # the platform's own language hint, if any
    metrics: Mapping[str, int] = field(default_factory=dict)  # followers, likes, score, ...
    extra: Mapping[str, str] = field(default_factory=dict)  # platform specifics: subreddit, ...

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise ValueError(f"{self.platform}:{self.post_id}: created_at must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a source got to for one query; owned and persisted by the core.

    ``position`` is the connector's own opaque marker (a since_id, a timestamp,
    a line number). ``recent_ids`` are the ids seen at the edge of the last
    read, so a connector that re-reads an overlap window can drop repeats.
    """

    position: str | None = None
    recent_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """The cursor as a JSON-serialisable mapping."""
        return {"position": self.position, "recent_ids": list(self.recent_ids)}

    @classmethod
    def from_json(cls, data: Mapping[str, object] | None) -> Cursor:
        """Rebuild a cursor stored with :meth:`to_json`; ``None`` is the start."""
        if not data:
            return cls()
        position = data.get("position")
        recent = data.get("recent_ids") or ()
        if not isinstance(recent, Iterable):
            raise TypeError(f"cursor recent_ids must be a list of ids, not {type(recent).__name__}")
        return cls(
            position=None if position is None else str(position),
            recent_ids=tuple(str(i) for i in recent),
        )


@dataclass(frozen=True, slots=True)
class Query:
    """What to look for: one brand's query (or its simple form, ``terms``), and its own accounts on this platform.

    A connector pushes ``tree`` down into its platform's search as far as that
    syntax goes; :meth:`matches` is the local check of the same tree.
    """

    brand: str
    terms: tuple[str, ...]
    handles: tuple[str, ...] = ()  # the brand's own account names on this platform
    expr: Expr | None = None  # the parsed ``query``; None: an OR of ``terms``

    @property
    def tree(self) -> Expr:
        """The query as a typed tree."""
        return self.expr if self.expr is not None else terms_query(self.terms)

    @property
    def searchable(self) -> bool:
        """True when there is something to search for (a brand may list only its own accounts)."""
        return self.expr is not None or any(t.strip() for t in self.terms)

    @property
    def simple(self) -> bool:
        """True for the simple form (an OR of terms): connectors keep their per-term reads, and cursors."""
        return self.expr is None

    def matches(self, post: Post, *, text: str | None = None) -> bool:
        """The local pre-check of ``post`` (an unknown language passes ``lang:``: the pipeline decides it)."""
        subject = Subject(post.text if text is None else text, post.platform, post.lang, lang_unknown_matches=True)
        return matches(self.tree, subject)

    def keeps(self, post: Post, *, text: str | None = None) -> bool:
        """True for a post the query matches, one by the brand's own accounts (its replies close threads), or
        one that @-mentions them (it is addressed to the brand)."""
        body = post.text if text is None else text
        return self.by_brand(post) or addresses(body, self.handles) or self.matches(post, text=text)

    def by_brand(self, post: Post) -> bool:
        """True when one of the brand's own accounts on this platform wrote ``post``."""
        names = {h.strip().lstrip("@").lower() for h in self.handles}
        return post.author.strip().lstrip("@").lower() in names


def addresses(text: str, handles: Iterable[str]) -> bool:
    """True when ``text`` @-mentions one of ``handles`` (``acme``, ``@acme``, ``acme.bsky.social``, ``a@host``)."""
    wanted = [tagged_words("@" + h.strip().lstrip("@").removeprefix("u/")) for h in handles if h.strip("@ ")]
    if not wanted:
        return False
    index = WordIndex(text)
    return any(index.contains(handle) for handle in wanted)


@dataclass(frozen=True, slots=True)
class Rejected:
    """An item the connector could not read as a post: kept (quarantined) with its reason, never dropped.

    ``raw`` is the item as received, serialised to JSON with every non-ASCII
    character escaped, so that any payload (NUL, lone surrogates) can be stored.
    """

    raw: str
    reason: str
    item_id: str | None = None  # the platform's id for it, when one could be read

    @classmethod
    def of(cls, item: Any, error: BaseException | str, *, item_id: object = None) -> Rejected:
        """A rejected ``item`` (any JSON-like value, or raw text) with ``error`` as its reason."""
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        raw = json.dumps(item, ensure_ascii=True, default=repr, sort_keys=True)
        return cls(raw=raw, reason=reason, item_id=None if item_id is None else str(item_id))


@dataclass(frozen=True, slots=True)
class Page:
    """A batch of posts and the cursor that is safe to save once they are stored.

    Until the last page of a read, ``cursor`` may equal the cursor the read
    started from: re-reading is cheap (posts are upserted), skipping is not.
    Items that could not be read travel in ``rejected``: the core quarantines
    them in the same transaction as the page, so the cursor never moves past
    an item that is neither stored nor quarantined.
    """

    posts: tuple[Post, ...]
    cursor: Cursor
    rejected: tuple[Rejected, ...] = ()

    @property
    def skipped(self) -> int:
        """How many items of this page were rejected."""
        return len(self.rejected)


class Connector(Protocol):
    """A source of posts for one platform."""

    platform: str

    def fetch(self, query: Query, cursor: Cursor) -> Iterator[Page]:
        """Yield pages of posts newer than ``cursor``, oldest page last or first as the API allows."""
        ...


class SourceError(Exception):
    """A failure talking to a platform, classified once at the API edge."""


class AuthError(SourceError):
    """Credentials missing, wrong or revoked (401/403): disable the source, tell a person."""


class RateLimited(SourceError):
    """The platform asked us to slow down (429 or an exhausted budget)."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(SourceError):
    """5xx, timeouts, connection failures: retry later with the cursor unchanged."""
