"""``reddit``: new submissions and comments mentioning a brand, through praw with read-only app credentials.

Three listings per brand, each read newest first until it reaches the time
the last read got to (minus an overlap window, because Reddit's listings
reorder a little; repeats are dropped with the cursor's ``recent_ids``):

* ``search``: submissions matching the brand's terms, sorted by new (all of
  Reddit, or only the configured subreddits);
* ``comments``: new comments in the configured subreddits, matched locally
  (Reddit's API has no comment search, and all of Reddit's comments are far
  more than 100 queries a minute can read);
* ``brand:<handle>``: comments by each of the brand's own accounts, so its
  replies are seen (cursors from before per-handle streams are split on read).

The listings are read by :func:`connectors.incremental.read_listings`, as Hacker
News, Bluesky and Mastodon are: a stream's position moves only once the stream
was read to its end, so a crash or a 429 mid-read re-reads (posts are upserted)
instead of skipping; a post dated in the future cannot push the position past
now; a brand's very first read looks back ``first_read_window``. All brands
share one request budget per OAuth app (``requests_per_minute``), kept in step
with Reddit's ``X-Ratelimit-*`` headers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import praw
import prawcore
import requests
from pydantic import Field

from connectors.base import Cursor, Page, Post, Query, SourceError
from connectors.budget import RequestBudget, shared_budget
from connectors.failures import Kind, failure, kind_of_status, kind_of_transport
from connectors.incremental import FetchPage, Listing, StreamState, read_listings
from connectors.pushdown import QueryTooLong, boolean_text, positive_only, relax, split_to_fit
from connectors.settings import ListingSettings
from values.query_tree import Expr, Term

log = logging.getLogger(__name__)

MAX_QUERY = 512  # Reddit's search refuses longer queries
KARMA_TTL = timedelta(days=1)
KARMA_CACHE = 10_000
KARMA_KEEP = 0.5  # karma lookups only spend budget while half of a minute's worth stays for the listings
_OLD_BRAND_STREAM = "brand"  # cursors written before each handle had its own stream
_CREDENTIALS = "check the app's client id and secret"
_HINTS = {
    Kind.UNAUTHORIZED: _CREDENTIALS,
    Kind.FORBIDDEN: _CREDENTIALS,
    Kind.NOT_FOUND: "check sources.reddit.subreddits and brand handles",
}


class RedditSettings(ListingSettings):
    """``[sources.reddit]``."""

    secret_fields = ("client_id_env", "client_secret_env")

    client_id_env: str = "REDDIT_CLIENT_ID"
    client_secret_env: str = "REDDIT_CLIENT_SECRET"
    # Reddit asks for a unique, descriptive user agent naming the app and its owner.
    user_agent: str = Field(default="brand-monitor/0.1 (by u/your_reddit_username)", min_length=7)
    auth_url: str | None = None  # token endpoint host; praw's reddit_url (default https://www.reddit.com)
    subreddits: tuple[str, ...] = ()  # empty: search all of Reddit; comments need subreddits
    comments: bool = True  # read new comments in `subreddits` and keep those that mention the brand
    page_size: int = Field(default=100, ge=1, le=100)
    max_pages: int = Field(default=10, ge=1, le=10)  # Reddit listings stop at 1,000 items
    requests_per_minute: float = Field(default=90, gt=0, le=1000)  # Reddit's free tier: 100 per OAuth app
    # Look up each new author's karma (one request per author a day, from the same budget; skipped when short).
    author_karma: bool = False


class _TimedSession(requests.Session):
    """praw takes its timeout in whole seconds, at least 1: the session applies the configured one as it is."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["timeout"] = self._timeout
        return super().request(*args, **kwargs)


class RedditConnector:
    """Reads Reddit listings through praw's HTTP layer and normalises them into posts."""

    platform = "reddit"

    def __init__(
        self,
        settings: RedditSettings,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self._clock = clock
        client_id = settings.secret("client_id_env").get_secret_value()
        self.budget = shared_budget(
            f"reddit:{client_id}", per_minute=settings.requests_per_minute, clock=clock, name="reddit"
        )
        self._lock = threading.Lock()  # praw is not thread-safe; the daemon polls brands from a thread pool
        self._karma: dict[str, tuple[float, dict[str, int]]] = {}  # author -> (looked up at, karma metrics)
        session = _TimedSession(settings.timeout.total_seconds())
        session.hooks["response"].append(self._observe)
        self._reddit = praw.Reddit(
            client_id=client_id,
            client_secret=settings.secret("client_secret_env").get_secret_value(),
            user_agent=settings.user_agent,
            oauth_url=(settings.base_url or "https://oauth.reddit.com").rstrip("/"),
            reddit_url=(settings.auth_url or "https://www.reddit.com").rstrip("/"),
            timeout=max(1, round(settings.timeout.total_seconds())),
            check_for_updates=False,
            check_for_async=False,
            requestor_kwargs={"session": session},
        )
        if settings.comments and not settings.subreddits:
            log.info("reddit: comments are read only in listed subreddits; set sources.reddit.subreddits to get them")

    def fetch(self, query: Query, cursor: Cursor) -> Iterator[Page]:
        """Yield one page per listing page; each stream's position advances when it is read to the end."""
        state = StreamState.load(cursor, self.platform)
        listings = self._listings(query)
        _split_brand_stream(state, [listing.stream for listing in listings])
        now = self._clock().timestamp()
        for page in read_listings(listings, parse_thing, state, self.settings, now=now):
            if self.settings.author_karma and page.posts:
                page = replace(page, posts=tuple(self._with_karma(post) for post in page.posts))
            yield page

    def _listings(self, query: Query) -> list[Listing]:
        """``search`` (submissions), ``comments`` (in the subreddits, matched locally), ``brand:<handle>``."""
        subs = "+".join(s.removeprefix("r/") for s in self.settings.subreddits)
        params = {"sort": "new", "type": "link", "restrict_sr": "on" if subs else None, "t": "all"}
        path = f"/r/{subs or 'all'}/search"
        searches = search_queries(query)
        if not searches and query.searchable:  # the query's platform: leaves Reddit out
            return []
        listings = [
            Listing("search" if i == 0 else f"search:{i + 1}", self._pages(path, {**params, "q": q}))
            for i, q in enumerate(searches)
        ]
        if self.settings.comments and subs:
            listings.append(Listing("comments", self._pages(f"/r/{subs}/comments", {}), query.matches))
        handles = dict.fromkeys(h.strip().lstrip("@").removeprefix("u/") for h in query.handles if h.strip("@ "))
        listings += [Listing(f"brand:{h}", self._pages(f"/user/{h}/comments", {"sort": "new"})) for h in handles]
        return listings

    def _pages(self, path: str, params: dict[str, Any]) -> FetchPage:
        def fetch(after: str | None, floor: float | None) -> tuple[list[Any], str | None]:
            listing = self._get(path, {**params, "limit": self.settings.page_size, "after": after, "raw_json": 1})
            return _children(listing, path)

        return fetch

    def _with_karma(self, post: Post) -> Post:
        """``post`` with its author's link/comment karma, when known or affordable now."""
        author = post.author
        if author in ("[deleted]", "") or "link_karma" in post.metrics:
            return post
        now = self._clock().timestamp()
        cached = self._karma.get(author)
        if cached is None or now - cached[0] > KARMA_TTL.total_seconds():
            if not self.budget.take_spare(keep=KARMA_KEEP):
                return post
            try:
                about = self._get(f"/user/{author}/about", {"raw_json": 1}, budgeted=False)
            except SourceError as exc:  # karma is a nicety: never fail a read for it
                log.debug("reddit: karma of %s not looked up: %s", author, exc)
                return post
            data = about.get("data") if isinstance(about, dict) else None
            karma = {}
            if isinstance(data, dict):
                karma = {k: data[f"{k}_karma"] for k in ("link", "comment") if isinstance(data.get(f"{k}_karma"), int)}
            if len(self._karma) >= KARMA_CACHE:
                self._karma.pop(next(iter(self._karma)))
            cached = self._karma[author] = (now, {f"{k}_karma": v for k, v in karma.items()})
        return replace(post, metrics={**post.metrics, **cached[1]}) if cached[1] else post

    def _get(self, path: str, params: dict[str, Any], *, budgeted: bool = True) -> Any:
        if budgeted:
            self.budget.take()
        try:
            with self._lock:
                return self._reddit.request(
                    method="GET", path=path, params={k: v for k, v in params.items() if v is not None}
                )
        except prawcore.PrawcoreException as exc:
            raise self._failure(exc, path) from None

    def _failure(self, exc: prawcore.PrawcoreException, path: str) -> SourceError:
        """prawcore's exception as the failure table's error."""
        if isinstance(exc, prawcore.RequestException):  # no answer, after prawcore's own retries
            original = exc.original_exception
            return failure("reddit", kind_of_transport(original), where=path, detail=type(original).__name__)
        response = getattr(exc, "response", None)
        status = response.status_code if response is not None else None
        kind: Kind | None
        if isinstance(exc, prawcore.Redirect):  # Reddit redirects a subreddit that does not exist to its search
            kind = Kind.NOT_FOUND
        elif isinstance(exc, prawcore.OAuthException):  # the token endpoint refused the app's credentials
            kind = Kind.UNAUTHORIZED
        elif isinstance(exc, prawcore.BadJSON):
            kind = Kind.BAD_ANSWER
        else:
            kind = None if status is None else kind_of_status(status)
        return failure(
            "reddit",
            kind or Kind.REFUSED,
            status=status,
            where=path,
            hints=_HINTS,
            retry_after=self.budget.window.wait() or None,
        )

    def _observe(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.budget.observe(response.headers, status=response.status_code)


def search_queries(query: Query) -> list[str]:
    """Reddit search's ``q`` for the brand: phrases in quotes, AND / OR, cut to Reddit's 512 characters.

    Reddit's search stems and matches loosely, so NOT, NEAR and lang: are left to
    the local check (a NOT sent to Reddit would also drop the posts it stems to).
    """
    node = relax(query.tree, platform="reddit", adapt=positive_only)
    if isinstance(node, bool):
        return []

    def render(part: Expr) -> str:
        return boolean_text(part, term=_reddit_term, and_=" AND ")

    try:
        return [render(piece) for piece in split_to_fit(node, render, MAX_QUERY)]
    except QueryTooLong as exc:
        raise failure("reddit", Kind.REFUSED, where="search", detail=str(exc)) from None


def _reddit_term(term: Term) -> str:
    return '"' + term.text.replace('"', "") + '"'


def _children(listing: Any, path: str) -> tuple[list[Any], str | None]:
    if not isinstance(listing, dict) or listing.get("kind") != "Listing" or not isinstance(listing.get("data"), dict):
        raise failure("reddit", Kind.BAD_ANSWER, where=path, detail="not a Listing")
    data = listing["data"]
    children = data.get("children")
    if not isinstance(children, list):
        raise failure("reddit", Kind.BAD_ANSWER, where=path, detail="a Listing without children")
    after = data.get("after")
    return children, after if isinstance(after, str) and after else None


def _split_brand_stream(state: StreamState, streams: list[str]) -> None:
    """Cursors saved before each handle had a stream kept one ``brand`` position: each handle starts from it."""
    old = state.positions.pop(_OLD_BRAND_STREAM, None)
    if old is None:
        return
    for stream in streams:
        if stream.startswith("brand:"):
            state.positions.setdefault(stream, old)


def parse_thing(child: Any) -> tuple[str, float, Post]:
    """A ``t3`` or ``t1`` thing as (fullname, created_utc, Post); raises on a malformed one."""
    kind, data = child["kind"], child["data"]
    if kind not in ("t3", "t1") or not isinstance(data, dict):
        raise ValueError(f"unexpected thing kind {kind!r}")
    name = f"{kind}_{data['id']}"
    created = float(data["created_utc"])
    author = str(data.get("author") or "[deleted]")
    # A fresh comment's score is hidden: Reddit then sends 1 whatever the votes are, which is no score at all.
    metrics = {} if data.get("score_hidden") else {"score": int(data.get("score") or 0)}
    extra = {"subreddit": str(data.get("subreddit") or ""), "kind": "submission" if kind == "t3" else "comment"}
    if kind == "t3":
        text = "\n\n".join(part for part in (str(data["title"]), str(data.get("selftext") or "")) if part)
        metrics["comments"] = int(data.get("num_comments") or 0)
        reply_to, thread_id = None, name
        if not data.get("is_self", True) and isinstance(data.get("url"), str) and data["url"]:
            extra["link"] = data["url"]  # what a link post points at (the permalink is the discussion)
    else:
        text = str(data["body"])
        reply_to, thread_id = str(data["parent_id"]), str(data["link_id"])
        if data.get("link_title"):
            extra["link_title"] = str(data["link_title"])
    for karma in ("author_link_karma", "author_comment_karma"):  # present only where Reddit includes it
        if isinstance(data.get(karma), int):
            metrics[karma.removeprefix("author_")] = data[karma]  # -> link_karma / comment_karma
    permalink = data.get("permalink")
    post = Post(
        platform="reddit",
        post_id=name,
        author=author,
        text=text,
        created_at=datetime.fromtimestamp(created, UTC),
        url=f"https://www.reddit.com{permalink}" if isinstance(permalink, str) else None,
        reply_to=reply_to,
        thread_id=thread_id,
        author_id=data.get("author_fullname"),
        metrics=metrics,
        extra=extra,
    )
    return name, created, post


def build(settings: RedditSettings, *, clock: Callable[[], datetime]) -> RedditConnector:
    """The registry's factory."""
    return RedditConnector(settings, clock=clock)


__all__ = ["RedditConnector", "RedditSettings", "RequestBudget", "build", "parse_thing"]
