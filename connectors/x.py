"""``x``: posts mentioning a brand from X's API v2 recent search, through tweepy, within a monthly budget.

One query per brand: its terms (retweets excluded by default, languages
optional) OR the brand's own replies (``from:handle is:reply``), so the
replies that close "due for reply" items arrive with the mentions. With
``exclude_retweets = false`` a retweet is read as the post it repeats (whole,
from ``includes.tweets``), so a repeated complaint is one post, by its author.

The cursor's position holds the ``since_id`` of the last complete read, the
resume point of an unfinished one (``next_token`` with the ``newest_id`` it
will end at) and the posts this brand read in the current billing cycle.
Pages carry the resume point, so a crash, 429 or spent budget mid-read
continues where it stopped; ``since_id`` moves only when a read is complete.

X charges reads per post against a monthly cap. ``monthly_post_budget`` is
spread evenly over the cycle: at any time the brands together may have read
the cap's share of the elapsed cycle plus one day's share. When that is
spent a read stops early (keeping its resume point) and says so in the log;
it is pacing, not a failure, so it does not count against the source's health.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import tweepy
from pydantic import Field

from connectors.base import Cursor, Page, Post, Query, Rejected, SourceError
from connectors.failures import Kind, failure, kind_of_status, kind_of_transport
from connectors.language import language_hint
from connectors.pushdown import Node, QueryTooLong, boolean_text, quoted, relax, split_to_fit
from connectors.ratelimit import RateWindow
from connectors.settings import SourceSettings
from connectors.times import utc_time
from values.durations import Duration
from values.query_tree import And, Expr, Lang, Near, Or, Term

log = logging.getLogger(__name__)

TWEEPY_HOST = "https://api.twitter.com"
TWEET_FIELDS = "author_id,conversation_id,created_at,in_reply_to_user_id,lang,public_metrics,referenced_tweets"
RETWEET_EXPANSIONS = "author_id,referenced_tweets.id,referenced_tweets.id.author_id"
_TWEET_METRICS = {
    "like_count": "likes",
    "reply_count": "replies",
    "retweet_count": "retweets",
    "quote_count": "quotes",
    "impression_count": "impressions",
}
MIN_RESULTS = 10  # the API refuses max_results below 10
SEARCH_PATH = "/2/tweets/search/recent"
_CREDENTIALS = "check the bearer token and that the app's plan includes recent search"
_HINTS = {
    Kind.UNAUTHORIZED: _CREDENTIALS,
    Kind.FORBIDDEN: _CREDENTIALS,
    Kind.REFUSED: "check the brand's terms and sources.x",
}
_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657  # X's ids since November 2010 carry their creation time from this epoch
_FIRST_SNOWFLAKE = 30_000_000_000  # ids below this are the older sequential ones, with no time in them
_X_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_X_ENTITY = re.compile("|".join(_X_ENTITIES))


class XSettings(SourceSettings):
    """``[sources.x]``."""

    secret_fields = ("bearer_token_env",)

    interval: Duration = timedelta(minutes=15)
    bearer_token_env: str = "X_BEARER_TOKEN"
    exclude_retweets: bool = True
    languages: tuple[str, ...] = ()  # e.g. ["en", "pl"]; empty: any language
    extra_query: str = ""  # appended to the mention part, e.g. "-is:nullcast"
    max_query_length: int = Field(default=512, ge=64, le=4096)  # 512 on Basic, 4096 on Pro
    page_size: int = Field(default=100, ge=MIN_RESULTS, le=100)
    max_pages: int = Field(default=5, ge=1)
    # Posts read per billing cycle by all brands together (Basic: 10,000 / month at the time of writing).
    monthly_post_budget: int = Field(default=10_000, ge=MIN_RESULTS)
    budget_cycle_day: int = Field(default=1, ge=1, le=28)  # day of the month the plan's cap resets
    settle: Duration = timedelta(seconds=30)  # read up to now - settle: search indexes the newest posts late
    first_read_window: Duration = timedelta(hours=1)  # how far back the very first read looks (at most 7 days)


@dataclass(frozen=True)
class _Position:
    since_id: str | None = None
    next_token: str | None = None  # an unfinished read resumes here...
    ends_at: str | None = None  # ...and then since_id becomes this newest_id
    window: tuple[str, ...] | None = None  # (start_time or "", end_time) of the unfinished read: pages agree
    cycle: str | None = None  # the billing cycle `spent` belongs to (its start date)
    spent: int = 0

    @classmethod
    def load(cls, cursor: Cursor) -> _Position:
        if not cursor.position:
            return cls()
        try:
            raw = json.loads(cursor.position)
            return cls(
                since_id=raw.get("since_id"),
                next_token=raw.get("next_token"),
                ends_at=raw.get("ends_at"),
                window=tuple(raw["window"]) if raw.get("window") else None,
                cycle=raw.get("cycle"),
                spent=int(raw.get("spent") or 0),
            )
        except (ValueError, TypeError, AttributeError):
            log.warning("x: unreadable cursor %r; starting from the newest posts", cursor.position)
            return cls()

    def dump(self) -> str:
        fields = {
            "since_id": self.since_id,
            "next_token": self.next_token,
            "ends_at": self.ends_at,
            "window": list(self.window) if self.window else None,
            "cycle": self.cycle,
            "spent": self.spent,
        }
        return json.dumps({k: v for k, v in fields.items() if v not in (None, 0)}, sort_keys=True)

    def fresh_read(self) -> _Position:
        """Forget an unfinished read's resume point (its posts are re-read from since_id, then deduplicated)."""
        return replace(self, next_token=None, ends_at=None, window=None)


class XConnector:
    """Reads X recent search through tweepy's Client with an app bearer token."""

    platform = "x"

    def __init__(self, settings: XSettings, *, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self._clock = clock
        self._client = tweepy.Client(
            bearer_token=settings.secret("bearer_token_env").get_secret_value(),
            return_type=requests.Response,  # we read the rate-limit headers and parse the JSON ourselves
            wait_on_rate_limit=False,  # never sleep in a worker: back off through the scheduler
        )
        self._client.session = _RebasedSession(settings.base_url, timeout=settings.timeout.total_seconds())
        # X's 15-minute request window; its own x-rate-limit-reset wins over a proxy's Retry-After.
        self.window = RateWindow("x", clock=clock, max_wait=900.0, reset_first=True)
        self._spent: dict[str, tuple[str, int]] = {}  # brand -> (cycle, posts read): all brands share the cap

    # -- the read -----------------------------------------------------------------------------
    def fetch(self, query: Query, cursor: Cursor) -> Iterator[Page]:
        """Yield a page per API page of each search; each search's since_id moves on its last page.

        A query cut into several searches keeps one position per search (keyed by
        the search text) in the cursor; a search new to the cursor (the query was
        changed) starts from the oldest since_id the cursor had, so no post is lost.
        """
        searches = build_queries(query, self.settings)
        if len(searches) == 1 and not _split_cursor(cursor):
            yield from self._fetch_search(query, searches[0], cursor)
            return
        parts = _part_cursors(cursor, [_key(s) for s in searches])
        for search in searches:
            for page in self._fetch_search(query, search, parts[_key(search)]):
                parts[_key(search)] = page.cursor
                yield Page(page.posts, _joined(parts), page.rejected)

    def _fetch_search(self, query: Query, search: str, cursor: Cursor) -> Iterator[Page]:
        position = self._in_cycle(query.brand, _Position.load(cursor))
        recent = set(cursor.recent_ids)
        seen: set[str] = set()
        edge: list[str] = []
        retried_token = False
        page_no = 0
        while page_no < self.settings.max_pages:
            size = self._allowance(query.brand)
            if not size:  # budget paced out: the last page handed out holds the resume point
                break
            if position.window is None:
                position = replace(position, window=self._window(position))
            try:
                body = self._search(search, position, size=size)
            except _TokenRefused as exc:
                if retried_token:
                    raise SourceError(str(exc)) from None
                log.warning("%s; re-reading from the last since_id", exc)
                position, retried_token = position.fresh_read(), True
                continue
            page_no += 1
            meta = _mapping(body.get("meta"))
            count = int(meta.get("result_count") or 0)
            position = replace(position, spent=position.spent + count)
            self._spent[query.brand] = (position.cycle or "", position.spent)
            posts, rejected = parse_page(body)
            fresh = [p for p in posts if p.post_id not in recent and p.post_id not in seen]
            seen.update(p.post_id for p in posts)  # a post retweeted on two pages is handed out once
            if position.next_token is None:  # first page of a read: its newest ids are the new edge
                edge = [p.post_id for p in sorted(posts, key=_snowflake, reverse=True)[:20]]
            ends_at = position.ends_at or meta.get("newest_id") or position.since_id
            next_token = meta.get("next_token")
            if next_token:  # more to read: hand out this page with the resume point
                position = replace(position, next_token=next_token, ends_at=ends_at)
                yield Page(tuple(fresh), Cursor(position.dump(), cursor.recent_ids), tuple(rejected))
                continue
            position = replace(position.fresh_read(), since_id=ends_at)
            yield Page(tuple(fresh), Cursor(position.dump(), tuple(edge) or cursor.recent_ids), tuple(rejected))
            break
        else:
            log.info("x (%s): more posts than %d pages; continuing next poll", query.brand, self.settings.max_pages)
        self._log_budget(query.brand)

    def _window(self, position: _Position) -> tuple[str, str]:
        """The time range of a new read: up to now - settle; a first read looks back ``first_read_window``."""
        now = self._clock().astimezone(UTC)
        start = "" if position.since_id else _x_time(now - self.settings.first_read_window)
        return (start, _x_time(now - self.settings.settle))

    def _search(self, search: str, position: _Position, *, size: int) -> dict[str, Any]:
        self.window.check()
        params: dict[str, Any] = {
            "max_results": size,
            "since_id": position.since_id,
            "next_token": position.next_token,
            "start_time": (position.window or ("", ""))[0] or None,
            "end_time": (position.window or ("", ""))[1] or None,
            "sort_order": "recency",
            "tweet_fields": TWEET_FIELDS,
            # Retweets carry a cut text: the post they repeat comes whole in includes.tweets.
            "expansions": "author_id" if self.settings.exclude_retweets else RETWEET_EXPANSIONS,
            "user_fields": "username,public_metrics",
        }
        try:
            response = self._client.search_recent_tweets(search, **{k: v for k, v in params.items() if v is not None})
        except tweepy.HTTPException as exc:
            self.window.observe(exc.response.headers, status=exc.response.status_code)
            if isinstance(exc, tweepy.BadRequest) and position.next_token:  # a saved pagination token that expired
                raise _TokenRefused(f"x: next_token refused ({_detail(exc)})") from None
            status = exc.response.status_code
            raise failure(
                "x",
                kind_of_status(status) or Kind.REFUSED,
                status=status,
                where=SEARCH_PATH,
                detail="" if status >= 500 else _detail(exc),
                hints=_HINTS,
                retry_after=self.window.wait(),
            ) from None
        except requests.RequestException as exc:
            raise failure("x", kind_of_transport(exc), where=SEARCH_PATH, detail=type(exc).__name__) from None
        self.window.observe(response.headers, status=response.status_code)
        try:
            body = response.json()
        except ValueError:
            raise failure("x", Kind.BAD_ANSWER, where=SEARCH_PATH, detail="not JSON") from None
        if not isinstance(body, dict):
            raise failure("x", Kind.BAD_ANSWER, where=SEARCH_PATH, detail="not a JSON object")
        for problem in body.get("errors") or []:  # partial errors: a deleted author, a withheld post
            log.info("x: partial error from search: %s", str(problem)[:300])
        return body

    # -- the monthly budget ---------------------------------------------------------------------
    def _cycle(self) -> tuple[datetime, datetime]:
        now = self._clock().astimezone(UTC)
        day = self.settings.budget_cycle_day
        start = now.replace(day=day, hour=0, minute=0, second=0, microsecond=0)
        if start > now:
            start = _add_months(start, -1)
        return start, _add_months(start, 1)

    def _in_cycle(self, brand: str, position: _Position) -> _Position:
        cycle = self._cycle()[0].date().isoformat()
        if position.cycle != cycle:
            position = replace(position, cycle=cycle, spent=0)
        known = self._spent.get(brand)
        if known is None or known[0] != cycle or known[1] < position.spent:
            self._spent[brand] = (cycle, position.spent)
        return replace(position, spent=self._spent[brand][1])

    def _allowance(self, brand: str) -> int:
        """How many posts the next request may read: 0 when the even share of the budget is spent."""
        start, end = self._cycle()
        length = (end - start).total_seconds()
        elapsed = (self._clock() - start).total_seconds() + 86_400  # one day's share up front
        budget = self.settings.monthly_post_budget
        accrued = min(budget, budget * elapsed / length)
        spent = self.spent_this_cycle()
        available = int(accrued - spent)
        if available >= MIN_RESULTS:
            return min(self.settings.page_size, available)
        if budget - spent < MIN_RESULTS:
            log.warning("x (%s): the monthly budget of %d posts is spent; reading resumes next cycle", brand, budget)
        else:
            wait = (MIN_RESULTS - available) * length / budget
            log.info(
                "x (%s): pacing the monthly budget (%d of %d posts read); more in %.0f min",
                brand,
                spent,
                budget,
                wait / 60,
            )
        return 0

    def spent_this_cycle(self) -> int:
        """Posts read by all brands in the current cycle, as far as this process knows."""
        cycle = self._cycle()[0].date().isoformat()
        return sum(n for c, n in self._spent.values() if c == cycle)

    def _log_budget(self, brand: str) -> None:
        spent = self.spent_this_cycle()
        budget = self.settings.monthly_post_budget
        log.info("x (%s): %d of %d monthly posts read this cycle, %d left", brand, spent, budget, budget - spent)


def build_queries(query: Query, settings: XSettings) -> list[str]:
    """The search queries: the brand's query, cut to ``max_query_length`` where needed; the first adds its replies.

    Nothing when the query's ``platform:`` leaves X out.
    """
    node = relax(query.tree, platform="x", adapt=_x_adapt)
    if isinstance(node, bool):
        return []
    handles = [h.lstrip("@") for h in query.handles if h.strip("@ ")]

    def render(part: Expr, *, own: bool = True) -> str:
        text = boolean_text(part, term=quoted)
        parts = [f"({text})" if isinstance(part, Or) else text]
        if settings.exclude_retweets:
            parts.append("-is:retweet")
        if settings.languages:
            langs = " OR ".join(f"lang:{lang}" for lang in settings.languages)
            parts.append(f"({langs})" if len(settings.languages) > 1 else langs)
        if settings.extra_query.strip():
            parts.append(settings.extra_query.strip())
        search = " ".join(parts)
        if handles and own:
            mine = " OR ".join(f"from:{h}" for h in handles)
            search = f"({search}) OR (({mine}) is:reply)" if len(handles) > 1 else f"({search}) OR ({mine} is:reply)"
        return search

    try:
        pieces = split_to_fit(node, render, settings.max_query_length)
    except QueryTooLong as exc:
        raise SourceError(
            f"x: the query for {query.brand} does not fit max_query_length {settings.max_query_length}"
            f" even cut into several searches ({exc}): shorten its terms, or raise it if your plan allows"
        ) from None
    if len(pieces) > 1:
        log.info(
            "x (%s): the query is cut into %d searches of at most %d characters",
            query.brand,
            len(pieces),
            settings.max_query_length,
        )
    return [render(piece, own=i == 0) for i, piece in enumerate(pieces)]


def build_query(query: Query, settings: XSettings) -> str:
    """The one search query of a query that fits ``max_query_length`` (see :func:`build_queries`)."""
    searches = build_queries(query, settings)
    if len(searches) != 1:
        raise SourceError(f"x: the query for {query.brand} needs {len(searches)} searches, not one")
    return searches[0]


def _x_adapt(node: Term | Near | Lang, wanted: bool) -> Node:
    """X says terms, phrases, #tags, @mentions and lang: itself; it has no proximity operator."""
    if isinstance(node, Near):
        return And((node.left, node.right)) if wanted else False
    return node


def parse_page(body: Mapping[str, Any]) -> tuple[list[Post], list[Rejected]]:
    """Posts from one search response, joined with their authors, and the malformed tweets with their reasons.

    A retweet is read as the post it repeats, taken whole from ``includes.tweets``
    (its own ``text`` is cut to ``RT @user: …``); several retweets of one post give
    that post once. A retweet whose post is not included is rejected, not stored cut.
    """
    data = body.get("data") or []
    includes = _mapping(body.get("includes"))
    users = _by_id(includes.get("users"))
    included = _by_id(includes.get("tweets"))
    posts: dict[str, Post] = {}
    rejected: list[Rejected] = []
    for item in data if isinstance(data, list) else []:
        try:
            original = _retweeted(item)
            if original is not None and original not in included:
                raise ValueError(f"a retweet of {original}, which is not in includes.tweets (deleted or withheld)")
            post = parse_tweet(included[original] if original is not None else item, users)
        except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as exc:
            log.warning("x: malformed post quarantined (%s): %s", exc, str(item)[:200])
            rejected.append(Rejected.of(item, exc, item_id=item.get("id") if isinstance(item, dict) else None))
            continue
        posts.setdefault(post.post_id, post)
    return list(posts.values()), rejected


def parse_tweet(item: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]]) -> Post:
    """One tweet object as a :class:`Post`.

    Without ``created_at`` (X sends only ``id`` and ``text`` when fields are not
    honoured) the time is read from the id, a snowflake that holds it to the
    millisecond; without ``author_id`` the author is unknown (``""``).
    """
    tweet_id = str(item["id"])
    if not tweet_id.isdigit():
        raise ValueError(f"tweet id {tweet_id!r} is not numeric")
    text = item["text"]
    if not isinstance(text, str):
        raise TypeError("text is not a string")
    created = _created_at(item.get("created_at"), tweet_id)
    author_id = None if item.get("author_id") is None else str(item["author_id"])
    user = users.get(author_id or "", {})
    username = str(user.get("username") or "")
    metrics: dict[str, int] = {}
    # Optional parts of a tweet are read only when they have the documented shape.
    followers = _mapping(user.get("public_metrics")).get("followers_count")
    if isinstance(followers, int):
        metrics["followers"] = followers
    for key, value in _mapping(item.get("public_metrics")).items():
        if isinstance(value, int) and key in _TWEET_METRICS:
            metrics[_TWEET_METRICS[key]] = value
    references = item.get("referenced_tweets")
    replied_to = next(
        (
            str(r["id"])
            for r in (references if isinstance(references, list) else [])
            if isinstance(r, dict) and r.get("type") == "replied_to" and "id" in r
        ),
        None,
    )
    extra = {}
    if item.get("in_reply_to_user_id"):
        extra["in_reply_to_user_id"] = str(item["in_reply_to_user_id"])
    conversation = item.get("conversation_id")
    return Post(
        platform="x",
        post_id=tweet_id,
        author=username or author_id or "",
        text=unescape_text(text),
        created_at=created,
        url=f"https://x.com/{username or 'i'}/status/{tweet_id}",
        reply_to=replied_to,
        thread_id=None if conversation is None else str(conversation),
        author_id=author_id,
        lang=language_hint(item.get("lang")),
        metrics=metrics,
        extra=extra,
    )


def unescape_text(text: str) -> str:
    """X's text with the three entities it escapes (``&amp;``, ``&lt;``, ``&gt;``) decoded, in one pass.

    One pass: ``&amp;lt;`` (someone who wrote ``&lt;``) becomes ``&lt;``, never ``<``;
    other entities are left alone, as X never escapes them (a user may write ``&quot;``).
    """
    return _X_ENTITY.sub(lambda m: _X_ENTITIES[m.group(0)], text)


def _created_at(value: Any, tweet_id: str) -> datetime:
    if value is not None:
        return utc_time(value)
    if int(tweet_id) < _FIRST_SNOWFLAKE:
        raise ValueError(f"no created_at, and id {tweet_id} is older than snowflake ids, which hold the time")
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + _SNOWFLAKE_EPOCH_MS) / 1000, UTC)


def _retweeted(item: Any) -> str | None:
    """The id of the post ``item`` retweets, or None when it is not a retweet."""
    references = item.get("referenced_tweets") if isinstance(item, dict) else None
    for reference in references if isinstance(references, list) else []:
        if isinstance(reference, dict) and reference.get("type") == "retweeted" and "id" in reference:
            return str(reference["id"])
    return None


def _by_id(listed: Any) -> dict[str, Mapping[str, Any]]:
    return {str(x.get("id")): x for x in (listed if isinstance(listed, list) else []) if isinstance(x, dict)}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


class _RebasedSession(requests.Session):
    """tweepy hard-codes api.twitter.com and sets no timeout: point it at ``base_url``, bound every request."""

    def __init__(self, base_url: str | None, *, timeout: float) -> None:
        super().__init__()
        self._base = (base_url or TWEEPY_HOST).rstrip("/")
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        url = url.decode() if isinstance(url, bytes) else url
        if url.startswith(TWEEPY_HOST):
            url = self._base + url[len(TWEEPY_HOST) :]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method.decode() if isinstance(method, bytes) else method, url, *args, **kwargs)


class _TokenRefused(Exception):
    """X refused a saved next_token (they expire): restart the read from since_id."""


def _key(search: str) -> str:
    return hashlib.sha256(search.encode()).hexdigest()[:12]


def _split_cursor(cursor: Cursor) -> dict[str, str] | None:
    """The per-search positions of a cursor written for a query cut into several searches, else None."""
    try:
        raw = json.loads(cursor.position or "{}")
    except ValueError:
        return None
    parts = raw.get("parts") if isinstance(raw, dict) else None
    return {str(k): str(v) for k, v in parts.items()} if isinstance(parts, dict) else None


def _part_cursors(cursor: Cursor, keys: list[str]) -> dict[str, Cursor]:
    """One cursor per search; a search the cursor does not know starts at the oldest since_id it had."""
    known = _split_cursor(cursor)
    if known is None:
        known = {"": cursor.position} if cursor.position else {}
    since = [p.since_id for p in (_Position.load(Cursor(v)) for v in known.values()) if p.since_id]
    start = Cursor(json.dumps({"since_id": min(since, key=int)})) if since else Cursor()
    return {k: Cursor(known.get(k, start.position), cursor.recent_ids) for k in keys}


def _joined(parts: dict[str, Cursor]) -> Cursor:
    recent = dict.fromkeys(i for c in parts.values() for i in c.recent_ids[:20])
    return Cursor(json.dumps({"parts": {k: c.position for k, c in parts.items()}}, sort_keys=True), tuple(recent)[:100])


def _x_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _snowflake(post: Post) -> int:
    return int(post.post_id)


def _detail(exc: tweepy.HTTPException) -> str:
    messages = list(exc.api_messages or exc.api_errors or [])
    return "; ".join(str(m) for m in messages)[:300] or str(exc.response.reason)


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    return moment.replace(year=moment.year + index // 12, month=index % 12 + 1)


def build(settings: XSettings, *, clock: Callable[[], datetime]) -> XConnector:
    """The registry's factory."""
    return XConnector(settings, clock=clock)
