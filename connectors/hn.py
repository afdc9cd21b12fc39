"""``hn``: Hacker News stories and comments mentioning a brand, from the Algolia HN Search API (no key).

Per brand and poll, newest first (``/api/v1/search_by_date``), back to the
newest ``created_at_i`` the last read got to minus ``overlap``:

* ``search:<term>``: stories, polls and comments (``tags=(story,poll,comment)``) matching
  each term, checked again locally (Algolia is typo- and prefix-tolerant:
  "acne" would match "acme");
* ``author:<handle>``: everything the brand's own accounts posted, so its
  replies (comments with ``parent_id``/``story_id``) arrive to close threads.

Algolia allows about 10,000 requests an hour per client IP; there is no key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field

from connectors.base import Cursor, Page, Post, Query
from connectors.failures import Kind, failure
from connectors.html_text import html_to_text
from connectors.http import HttpSource
from connectors.incremental import Listing, StreamState, read_listings
from connectors.pushdown import word_searches
from connectors.settings import ListingSettings
from values.durations import Duration
from values.query_tree import Term

log = logging.getLogger(__name__)

ALGOLIA_HN = "https://hn.algolia.com"
ITEM_URL = "https://news.ycombinator.com/item?id={}"


class HackerNewsSettings(ListingSettings):
    """``[sources.hn]``."""

    interval: Duration = timedelta(minutes=10)
    page_size: int = Field(default=100, ge=1, le=1000)  # Algolia's hitsPerPage
    comments: bool = True  # search comments as well as stories


class HackerNewsConnector:
    """Reads Algolia's HN search by date over plain HTTP."""

    platform = "hn"

    def __init__(self, settings: HackerNewsSettings, *, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self._clock = clock
        self.http = HttpSource(
            "hn",
            base_url=settings.base_url or ALGOLIA_HN,
            timeout=settings.timeout.total_seconds(),
            clock=clock,
            auth_hint="hn.algolia.com needs no key: check sources.hn.base_url (a proxy refusing us?)",
        )

    def fetch(self, query: Query, cursor: Cursor) -> Iterator[Page]:
        """Yield a page per search page; each stream's position moves when it is read to the end."""
        state = StreamState.load(cursor, self.platform)
        # Polls are tagged "poll", not "story": without it a poll about the brand is never seen.
        tags = "(story,poll,comment)" if self.settings.comments else "(story,poll)"
        now = self._clock().timestamp()
        searches = search_words(query)
        if not searches and query.searchable:  # the query's platform: leaves Hacker News out
            return
        listings = [
            Listing(f"search:{name}", self._pages(words, tags), lambda p: _matches(p, query))
            for name, words in searches.items()
        ]
        listings += [
            Listing(f"author:{handle}", self._pages("", f"author_{handle}"))
            for handle in dict.fromkeys(h.strip().lstrip("@") for h in query.handles if h.strip("@ "))
        ]
        yield from read_listings(listings, parse_hit, state, self.settings, now=now)

    def _pages(self, text: str, tags: str) -> Callable[[str | None, float | None], tuple[list[Any], str | None]]:
        def fetch(token: str | None, floor: float | None) -> tuple[list[Any], str | None]:
            page = int(token or 0)
            params = {
                "query": text,
                "tags": tags,
                "hitsPerPage": self.settings.page_size,
                "page": page,
                "numericFilters": None if floor is None else f"created_at_i>={int(floor)}",
            }
            body = self.http.get_json("/api/v1/search_by_date", params)
            if not isinstance(body, dict) or not isinstance(body.get("hits"), list):
                raise failure("hn", Kind.BAD_ANSWER, where="search_by_date", detail="no hits list")
            pages = body.get("nbPages")
            more = isinstance(pages, int) and page + 1 < pages and bool(body["hits"])
            return body["hits"], str(page + 1) if more else None

        return fetch


def search_words(query: Query) -> dict[str, str]:
    """One Algolia search per alternative of the query, by stream name: its words, which Algolia ANDs.

    Algolia matches prefixes and typos ("acne" finds "acme"), so NOT, NEAR, lang:
    and phrases are left to the local check. A one-term alternative keeps the
    stream name ``search:<term>`` a terms-only brand always had.
    """
    clauses = word_searches(query.tree, platform="hn", where="search_by_date")
    out: dict[str, str] = {}
    for clause in clauses:
        terms = [p for p in clause if isinstance(p, Term)]
        text = " ".join(w.text for t in terms for w in t.words)
        if text not in out.values():  # `acme` and `#acme` are one search: Algolia ignores the `#`
            out[" ".join(t.text for t in terms)] = text
    return out


def _matches(post: Post, query: Query) -> bool:
    return query.matches(post, text=f"{post.text}\n{post.extra.get('link', '')}")


def parse_hit(hit: Any) -> tuple[str, float, Post]:
    """One Algolia hit (a story or a comment) as (id, created_at_i, Post); raises on a malformed one."""
    object_id = str(hit["objectID"])
    if not object_id.isdigit():
        raise ValueError(f"objectID {object_id!r} is not an item id")
    created = hit["created_at_i"]
    if not isinstance(created, int):
        raise TypeError("created_at_i is not an integer")
    author = hit["author"]
    if not isinstance(author, str):
        raise TypeError("author is not a string")
    tags = hit.get("_tags") or []
    metrics = {
        name: hit[key]
        for key, name in (("points", "points"), ("num_comments", "comments"))
        if isinstance(hit.get(key), int)
    }
    extra: dict[str, str] = {}
    if "comment" in tags or hit.get("comment_text") is not None:
        text = html_to_text(str(hit["comment_text"]))
        reply_to = str(hit["parent_id"])
        thread_id = str(hit.get("story_id") or hit["parent_id"])
        extra["kind"] = "comment"
        if hit.get("story_title"):
            extra["story_title"] = str(hit["story_title"])
    else:
        title = str(hit["title"])
        body = html_to_text(str(hit.get("story_text") or ""))
        text = "\n\n".join(part for part in (title, body) if part)
        reply_to, thread_id = None, object_id
        extra["kind"] = "poll" if "poll" in tags else "story"
        if hit.get("url"):  # "" (an Ask HN) and null both mean no link
            extra["link"] = str(hit["url"])
    post = Post(
        platform="hn",
        post_id=object_id,
        author=author,
        text=text,
        created_at=datetime.fromtimestamp(created, UTC),
        url=ITEM_URL.format(object_id),
        reply_to=reply_to,
        thread_id=thread_id,
        author_id=author,
        metrics=metrics,
        extra=extra,
    )
    return object_id, float(created), post


def build(settings: HackerNewsSettings, *, clock: Callable[[], datetime]) -> HackerNewsConnector:
    """The registry's factory."""
    return HackerNewsConnector(settings, clock=clock)
