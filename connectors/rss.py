"""``rss``: RSS and Atom feed entries that mention a brand (news search feeds, review sites, Google Alerts).

Each poll fetches every configured feed with a conditional GET (``ETag`` /
``Last-Modified``; a 304 costs nothing), parses it with feedparser and keeps
the entries whose title or summary mention one of the brand's terms. A feed
URL may contain ``{query}``, replaced by the brand's query in news-search
syntax (URL-encoded, see :func:`feed_query`), e.g. a news search feed.

Feeds do not page: an entry is new when it was not in that feed's matching
entries at the last fetch (the cursor keeps their ids, stable hashes of the
entry's id/guid, else its link, else title and date). The very first fetch of
a feed keeps only entries from the last ``first_read_window``. One page is
handed out per feed; a feed that fails does not stop the others, and the poll
then reports the failure (so a broken feed is seen, and retried with back-off).
"""

from __future__ import annotations

import calendar
import hashlib
import json
import logging
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
from pydantic import Field, model_validator

from connectors.base import AuthError, Cursor, Page, Post, Query, RateLimited, Rejected, SourceError, Unavailable
from connectors.failures import Kind, failure
from connectors.html_text import html_to_text
from connectors.http import HttpSource
from connectors.language import language_hint
from connectors.pushdown import Node, boolean_text, quoted, relax
from connectors.settings import SourceSettings
from values.durations import Duration
from values.query_tree import And, Lang, Near, Term

log = logging.getLogger(__name__)

MAX_TEXT = 4000
_EMPTY_ITEM = re.compile(rb"<item\s*/>")


class RssSettings(SourceSettings):
    """``[sources.rss]``."""

    interval: Duration = timedelta(minutes=30)
    feeds: tuple[str, ...] = Field(min_length=1)  # feed URLs; "{query}" becomes the brand's terms
    first_read_window: Duration = timedelta(days=7)
    user_agent: str = "brand-monitor/0.1 (feed reader)"

    @model_validator(mode="after")
    def _absolute_feeds(self) -> RssSettings:
        relative = [f for f in self.feeds if not f.startswith(("http://", "https://"))]
        if relative and not self.base_url:
            raise ValueError(f"feeds {relative} are not http(s) URLs: write the full URL, or set base_url for them")
        return self


@dataclass
class _FeedState:
    etag: str | None = None
    modified: str | None = None
    ids: list[str] = field(default_factory=list)  # matching entries in the feed at the last fetch


class RssConnector:
    """Fetches feeds with requests (timeouts, conditional GETs, status table) and parses them with feedparser."""

    platform = "rss"

    def __init__(self, settings: RssSettings, *, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self._clock = clock
        self.http = HttpSource(
            "rss",
            base_url=settings.base_url or "http://localhost",
            timeout=settings.timeout.total_seconds(),
            clock=clock,
            auth_hint="the feed refuses us: check its URL (private feeds need a token in the URL)",
            user_agent=settings.user_agent,
        )

    def fetch(self, query: Query, cursor: Cursor) -> Iterator[Page]:
        """Yield one page per feed; failures are collected and raised after the other feeds were read."""
        urls = self.feed_urls(query)
        keys = {feed_key(url) for url in urls}
        states = {k: s for k, s in _load(cursor).items() if k in keys}  # feeds no longer configured are forgotten
        pattern = query
        failures: list[SourceError] = []
        # The same story often sits in several feeds (a news search and the site's own): hand it out once.
        handed = {i for state in states.values() for i in state.ids}
        for url in urls:
            key = feed_key(url)
            state = states.get(key, _FeedState())
            try:
                posts, rejected, new_state = self._read_feed(
                    url, state, pattern, first=key not in states, handed=handed
                )
            except SourceError as exc:
                log.warning("rss: feed %s failed: %s", _safe(url), exc)
                failures.append(exc)
                continue
            states[key] = new_state
            yield Page(tuple(posts), _dump(states), tuple(rejected))
        if failures:
            raise _combined(failures, attempted=len(urls))

    def feed_urls(self, query: Query) -> list[str]:
        """The configured feeds with ``{query}`` filled in for this brand."""
        terms = feed_query(query)
        if terms is None:  # the query's platform: leaves feeds out
            return []
        urls = [f.replace("{query}", urllib.parse.quote_plus(terms)) for f in self.settings.feeds]
        return [self.http.url(u) for u in dict.fromkeys(urls)]

    def _read_feed(
        self, url: str, state: _FeedState, pattern: Query, *, first: bool, handed: set[str]
    ) -> tuple[list[Post], list[Rejected], _FeedState]:
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.modified:
            headers["If-Modified-Since"] = state.modified
        response = self.http.check(self.http.send("GET", url, headers=headers))
        if response.status_code == 304:
            return [], [], state
        parsed = feedparser.parse(
            _without_empty_items(response.content),
            response_headers={k.lower(): v for k, v in response.headers.items()} | {"content-location": url},
        )
        if not parsed.version and not parsed.entries:
            problem = parsed.get("bozo_exception", "no entries")
            raise failure("rss", Kind.BAD_ANSWER, where=_safe(url), detail=f"not an RSS or Atom feed: {problem}")
        now = self._clock()
        floor = now - self.settings.first_read_window if first else None
        known = handed  # handed out by any feed's last fetch, or by an earlier feed in this read
        posts: list[Post] = []
        ids: list[str] = []
        rejected: list[Rejected] = []
        source_name = str(parsed.feed.get("title") or urllib.parse.urlsplit(url).netloc)
        # An Atom entry without its own <author> has the feed's (RFC 4287 4.2.1); an RSS channel has no
        # such author (managingEditor is an address to write to), so RSS items fall back to the feed's name.
        feed_author = _author_name(parsed.feed) if str(parsed.version).startswith("atom") else None
        feed_lang = parsed.feed.get("language")
        for entry in parsed.entries:
            try:
                post = parse_entry(entry, feed=source_name, now=now, feed_author=feed_author, feed_lang=feed_lang)
            except (KeyError, TypeError, ValueError, OverflowError) as exc:
                log.warning("rss: malformed entry in %s quarantined (%s)", _safe(url), exc)
                rejected.append(Rejected.of(entry, exc))
                continue
            if not pattern.matches(post, text=f"{post.text}\n{post.url or ''}"):
                continue
            ids.append(post.post_id)
            if post.post_id in known or (floor is not None and post.created_at < floor):
                continue
            known.add(post.post_id)
            posts.append(post)
        new_state = _FeedState(
            etag=response.headers.get("ETag"), modified=response.headers.get("Last-Modified"), ids=sorted(set(ids))
        )
        return posts, rejected, new_state


def feed_query(query: Query) -> str | None:
    """``{query}`` for a news search feed: ``a OR "b c"``, ``-x`` for NOT, as Google News and Bing News read it.

    NEAR is searched as both words, lang: is left to the local check; None when
    the query's ``platform:`` leaves feeds out.
    """

    def adapt(node: Term | Near | Lang, wanted: bool) -> Node:
        if isinstance(node, Near):
            return And((node.left, node.right)) if wanted else False
        return node if isinstance(node, Term) else wanted

    node = relax(query.tree, platform="rss", adapt=adapt)
    if isinstance(node, bool):
        return "" if node else None
    return boolean_text(node, term=quoted)


def parse_entry(
    entry: Any, *, feed: str, now: datetime, feed_author: str | None = None, feed_lang: str | None = None
) -> Post:
    """A feedparser entry as a :class:`Post` with a stable id; raises on an entry with nothing to go by.

    The author is the entry's own (its name, never its e-mail address), else
    ``feed_author``, else the feed's name. The URL is FeedBurner's
    ``origLink`` (the article) where the ``link`` is its tracking redirect.
    """
    if not isinstance(entry, Mapping):
        raise TypeError(f"entry is a {type(entry).__name__}, not a mapping")
    title = html_to_text(str(entry.get("title") or ""))
    summary = entry.get("summary") or ""
    if not summary and entry.get("content"):
        summary = entry["content"][0].get("value") or ""
    body = html_to_text(str(summary))
    link = entry.get("link")
    identity = entry.get("id") or link or (title and f"{title}|{entry.get('published') or entry.get('updated') or ''}")
    if not identity:
        raise ValueError("entry has no id, link or title")
    if not (title or body):
        raise ValueError("entry has no title or text")
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    created = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else now
    text = "\n\n".join([title, body] if body and body != title else [title]) if title else body
    url = entry.get("feedburner_origlink") or link
    title_detail = entry.get("title_detail")
    lang = title_detail.get("language") if isinstance(title_detail, Mapping) else None
    return Post(
        platform="rss",
        post_id=hashlib.sha256(str(identity).encode()).hexdigest()[:24],
        author=str(_author_name(entry) or feed_author or feed)[:191],
        text=text[:MAX_TEXT],
        created_at=created,
        url=str(url) if url else None,
        thread_id=None,
        lang=language_hint(lang or feed_lang),
        extra={"feed": feed[:200], "title": title[:300]},
    )


def _author_name(node: Mapping[str, Any]) -> str | None:
    """The name of an entry's or feed's author (feedparser's ``author`` may be "address (Name)")."""
    detail = node.get("author_detail")
    name = detail.get("name") if isinstance(detail, Mapping) else None
    return str(name or node.get("author") or "") or None


def _without_empty_items(document: bytes) -> bytes:
    """``document`` without empty ``<item/>`` elements.

    Some FeedBurner feeds nest an empty ``<item />`` inside every item: feedparser
    then reads each as an entry of its own and loses what follows it in the real
    item (``feedburner:origLink``). An empty item carries nothing to read.
    """
    return _EMPTY_ITEM.sub(b"", document)


def feed_key(url: str) -> str:
    """A short stable key for a feed URL (URLs may hold tokens: never stored in the cursor as such)."""
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def _load(cursor: Cursor) -> dict[str, _FeedState]:
    states: dict[str, _FeedState] = {}
    if cursor.position:
        try:
            raw = json.loads(cursor.position)
            states = {k: _FeedState(v.get("etag"), v.get("modified")) for k, v in raw.items()}
        except (ValueError, TypeError, AttributeError):
            log.warning("rss: unreadable cursor; every feed is read as new (stored posts are not duplicated)")
            return {}
    for item in cursor.recent_ids:
        key, _, entry_id = item.partition("/")
        if key in states:
            states[key].ids.append(entry_id)
    return states


def _dump(states: dict[str, _FeedState]) -> Cursor:
    position = {
        k: {n: v for n, v in (("etag", s.etag), ("modified", s.modified)) if v} for k, s in sorted(states.items())
    }
    recent = tuple(f"{k}/{i}" for k, s in sorted(states.items()) for i in sorted(s.ids))
    return Cursor(position=json.dumps(position, sort_keys=True), recent_ids=recent)


def _combined(failures: list[SourceError], *, attempted: int) -> SourceError:
    """One error for the poll: auth only when every feed refused us; else the longest wait; else unavailable."""
    text = "; ".join(str(f) for f in failures)[:600]
    if len(failures) == attempted and all(isinstance(f, AuthError) for f in failures):
        return AuthError(text)
    waits = [f.retry_after for f in failures if isinstance(f, RateLimited)]
    if waits:
        return RateLimited(text, retry_after=max(waits))
    return Unavailable(f"{len(failures)} of {attempted} feeds failed: {text}")


def _safe(url: str) -> str:
    return url.split("?", 1)[0]


def build(settings: RssSettings, *, clock: Callable[[], datetime]) -> RssConnector:
    """The registry's factory."""
    return RssConnector(settings, clock=clock)
