"""``bluesky``: posts mentioning a brand from ``app.bsky.feed.searchPosts``, optionally with an app password.

Per brand and poll, newest first, back to the newest ``indexedAt`` the last
read got to minus ``overlap``:

* ``search:<term>``: ``searchPosts?q=<term>&sort=latest&since=…`` with cursor
  pagination;
* ``author:<handle>``: ``getAuthorFeed?filter=posts_with_replies`` of the
  brand's own accounts (reposts skipped), so its replies close threads.

A post's text is its record's ``text`` with each link the app wrote shortened
(``example.com/pa...``) replaced by the facet's full URL; times are in UTC.
A repost in an author feed is someone else's post: skipped.

The public AppView (``public.api.bsky.app``) may refuse search without a
login. With ``identifier_env``/``password_env`` set, the connector opens a
session at ``auth_url`` (``com.atproto.server.createSession``, an app
password), sends its requests there, and refreshes the session when the
server answers ``ExpiredToken``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from pydantic import Field, model_validator

from connectors.base import Cursor, Page, Post, Query
from connectors.failures import Kind, failure
from connectors.http import HttpSource, json_body
from connectors.incremental import Listing, StreamState, read_listings
from connectors.language import language_hint
from connectors.links import full_link
from connectors.pushdown import quoted, word_searches
from connectors.settings import ListingSettings
from connectors.times import utc_time
from values.durations import Duration
from values.query_tree import Lang, Term

log = logging.getLogger(__name__)

PUBLIC_APPVIEW = "https://public.api.bsky.app"
DEFAULT_PDS = "https://bsky.social"
_METRICS = {"likeCount": "likes", "repostCount": "reposts", "replyCount": "replies", "quoteCount": "quotes"}
_EXPIRED = ("ExpiredToken", "InvalidToken")
_LINK_FACET = "app.bsky.richtext.facet#link"
_LOGIN_REFUSED = ("AuthenticationRequired", "AuthFactorTokenRequired", "AccountTakedown")


class BlueskySettings(ListingSettings):
    """``[sources.bluesky]``."""

    secret_fields = ("identifier_env", "password_env")

    interval: Duration = timedelta(minutes=5)
    page_size: int = Field(default=50, ge=1, le=100)  # searchPosts' limit
    auth_url: str | None = None  # the PDS that opens sessions (default https://bsky.social)
    identifier_env: str | None = None  # env var holding the account's handle or DID
    password_env: str | None = None  # env var holding an app password (Settings > Privacy > App passwords)
    languages: tuple[str, ...] = ()  # searchPosts' lang filter, one request per term (first language only)

    @model_validator(mode="after")
    def _both_or_neither(self) -> BlueskySettings:
        if (self.identifier_env is None) != (self.password_env is None):
            raise ValueError("identifier_env and password_env go together: set both (an app password login) or neither")
        return self

    @property
    def authenticated(self) -> bool:
        """Whether searches go through a logged-in session."""
        return self.identifier_env is not None


class BlueskyConnector:
    """Reads Bluesky search over XRPC with plain HTTP."""

    platform = "bluesky"

    def __init__(self, settings: BlueskySettings, *, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self._clock = clock
        pds = settings.auth_url or DEFAULT_PDS
        base = settings.base_url or (pds if settings.authenticated else PUBLIC_APPVIEW)
        hint = (
            "check the app password in " + str(settings.password_env)
            if settings.authenticated
            else "the AppView refuses unauthenticated search: set identifier_env and password_env (an app password)"
        )
        self.http = HttpSource(
            "bluesky", base_url=base, timeout=settings.timeout.total_seconds(), clock=clock, auth_hint=hint
        )
        self._pds = pds.rstrip("/")
        self._session: dict[str, str] | None = None  # accessJwt, refreshJwt
        self._session_lock = threading.Lock()
        self.sessions_created = 0

    def fetch(self, query: Query, cursor: Cursor) -> Iterator[Page]:
        """Yield a page per XRPC page; each stream's position moves when it is read to the end."""
        state = StreamState.load(cursor, self.platform)
        now = self._clock().timestamp()
        searches = search_clauses(query)
        if not searches and query.searchable:  # the query's platform: leaves Bluesky out
            return
        fallback = self.settings.languages[0] if self.settings.languages else None
        listings = [
            Listing(f"search:{name}", self._search(q, lang or fallback)) for name, (q, lang) in searches.items()
        ]
        listings += [
            Listing(f"author:{h}", self._author_feed(h))
            for h in dict.fromkeys(h.strip().lstrip("@") for h in query.handles if h.strip("@ "))
        ]
        yield from read_listings(listings, parse_post_view, state, self.settings, now=now)

    def _search(
        self, q: str, lang: str | None
    ) -> Callable[[str | None, float | None], tuple[list[Any], str | None]]:
        def fetch(token: str | None, floor: float | None) -> tuple[list[Any], str | None]:
            params = {
                "q": q,
                "sort": "latest",
                "limit": self.settings.page_size,
                "cursor": token,
                "since": None if floor is None else _iso(floor),
                "lang": lang,
            }
            body = self._xrpc("app.bsky.feed.searchPosts", params)
            posts = body.get("posts")
            if not isinstance(posts, list):
                raise failure("bluesky", Kind.BAD_ANSWER, where="searchPosts", detail="no posts list")
            return posts, _next(body, posts)

        return fetch

    def _author_feed(self, handle: str) -> Callable[[str | None, float | None], tuple[list[Any], str | None]]:
        def fetch(token: str | None, floor: float | None) -> tuple[list[Any], str | None]:
            params = {
                "actor": handle,
                "filter": "posts_with_replies",
                "limit": self.settings.page_size,
                "cursor": token,
            }
            body = self._xrpc("app.bsky.feed.getAuthorFeed", params)
            feed = body.get("feed")
            if not isinstance(feed, list):
                raise failure("bluesky", Kind.BAD_ANSWER, where="getAuthorFeed", detail="no feed list")
            # A feed item with a `reason` is a repost of someone else's post: not the brand speaking.
            posts = [
                i.get("post") if isinstance(i, dict) else i
                for i in feed
                if not (isinstance(i, dict) and i.get("reason"))
            ]
            return posts, _next(body, feed)

        return fetch

    # -- XRPC with an optional session --------------------------------------------------------------
    def _xrpc(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        clean = {k: v for k, v in params.items() if v is not None}
        for attempt in range(2):
            headers = self._auth_headers()
            response = self.http.send("GET", f"/xrpc/{method}", params=clean, headers=headers)
            if self.settings.authenticated and _error_name(response) in _EXPIRED:
                if attempt:
                    break
                self._refresh()
                continue
            body = json_body(self.http.check(response), "bluesky")
            if not isinstance(body, dict):
                raise failure("bluesky", Kind.BAD_ANSWER, where=method, detail="not a JSON object")
            return body
        raise failure(
            "bluesky",
            Kind.UNAUTHORIZED,
            where=method,
            detail="the session expired again right after a refresh",
            hints={Kind.UNAUTHORIZED: "check the account"},
        )

    def _auth_headers(self) -> dict[str, str]:
        if not self.settings.authenticated:
            return {}
        with self._session_lock:
            if self._session is None:
                self._session = self._create_session()
            return {"Authorization": f"Bearer {self._session['accessJwt']}"}

    def _create_session(self) -> dict[str, str]:
        identifier = self.settings.secret("identifier_env").get_secret_value()
        password = self.settings.secret("password_env").get_secret_value()
        response = self.http.send(
            "POST",
            f"{self._pds}/xrpc/com.atproto.server.createSession",
            json={"identifier": identifier, "password": password},
        )
        login = {
            Kind.UNAUTHORIZED: f"check {self.settings.identifier_env} and {self.settings.password_env}"
            " (use an app password)"
        }
        if _error_name(response) in _LOGIN_REFUSED:  # said with 400 as well as 401: the login was refused either way
            raise self.http.failure(response, Kind.UNAUTHORIZED, hints=login)
        self.sessions_created += 1
        return _tokens(json_body(self.http.check(response, hints=login), "bluesky"))

    def _refresh(self) -> None:
        with self._session_lock:
            session = self._session
            self._session = None
            if session is None:
                return
            response = self.http.send(
                "POST",
                f"{self._pds}/xrpc/com.atproto.server.refreshSession",
                headers={"Authorization": f"Bearer {session['refreshJwt']}"},
            )
            if _error_name(response) in _EXPIRED or response.status_code == 401:
                log.info("bluesky: refresh token expired too; logging in again")
                self._session = self._create_session()
                return
            self._session = _tokens(json_body(self.http.check(response), "bluesky"))
            log.info("bluesky: session refreshed")


def search_clauses(query: Query) -> dict[str, tuple[str, str | None]]:
    """One ``searchPosts`` per alternative of the query, by stream name: (``q``, ``lang``).

    searchPosts ANDs the words of ``q`` and reads ``"..."`` as a phrase; it has no
    OR, so each alternative is a search. Its ``lang`` takes one language: a lone
    ``lang:xx`` in an alternative goes there. NOT and NEAR are left to the local check.
    """
    clauses = word_searches(query.tree, platform="bluesky", where="searchPosts", lang=True)
    out: dict[str, tuple[str, str | None]] = {}
    for clause in clauses:
        terms = [p for p in clause if isinstance(p, Term)]
        langs = [p.codes[0] for p in clause if isinstance(p, Lang) and len(p.codes) == 1]
        name = " ".join(t.text for t in terms)
        out[name] = (" ".join(quoted(t) for t in terms), langs[0] if len(langs) == 1 else None)
    return out


def _tokens(body: Any) -> dict[str, str]:
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("accessJwt"), str)
        or not isinstance(body.get("refreshJwt"), str)
    ):
        raise failure("bluesky", Kind.BAD_ANSWER, where="session", detail="no accessJwt/refreshJwt")
    return {"accessJwt": body["accessJwt"], "refreshJwt": body["refreshJwt"]}


def _error_name(response: requests.Response) -> str | None:
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def _next(body: Mapping[str, Any], items: list[Any]) -> str | None:
    token = body.get("cursor")
    return token if isinstance(token, str) and token and items else None


def parse_post_view(view: Any) -> tuple[str, float, Post]:
    """An ``app.bsky.feed.defs#postView`` as (uri, indexedAt, Post); raises on a malformed one."""
    uri = view["uri"]
    if not isinstance(uri, str) or not uri.startswith("at://"):
        raise ValueError(f"uri {uri!r} is not an at:// URI")
    author, record = view["author"], view["record"]
    handle, did = str(author["handle"]), str(author["did"])
    text = record["text"]
    if not isinstance(text, str):
        raise TypeError("record.text is not a string")
    text = _with_full_links(text, record.get("facets"))
    created = utc_time(record["createdAt"])
    indexed = utc_time(view.get("indexedAt") or record["createdAt"])
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else None
    langs = record.get("langs")
    metrics = {name: view[key] for key, name in _METRICS.items() if isinstance(view.get(key), int)}
    extra = {"cid": str(view.get("cid") or "")}
    if author.get("displayName"):
        extra["display_name"] = str(author["displayName"])
    post = Post(
        platform="bluesky",
        post_id=uri,
        author=handle,
        text=text,
        created_at=created,
        url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}",
        reply_to=str(reply["parent"]["uri"]) if reply else None,
        thread_id=str(reply["root"]["uri"]) if reply else uri,
        author_id=did,
        lang=language_hint(langs[0]) if isinstance(langs, list) and langs else None,
        metrics=metrics,
        extra=extra,
    )
    return uri, indexed.timestamp(), post


def _with_full_links(text: str, facets: Any) -> str:
    """``text`` with each link facet's shortened display (``example.com/pa...``) replaced by the facet's URL.

    Facets index the text by UTF-8 *byte* offsets (any non-ASCII character before
    a link makes them differ from character offsets). A facet whose offsets do not
    fit the text is ignored: the text stays as written.
    """
    if not isinstance(facets, list):
        return text
    data = text.encode("utf-8")
    spans: list[tuple[int, int, str]] = []
    for facet in facets:
        span = _link_span(facet, data)
        if span is not None:
            spans.append(span)
    edge = len(data)
    for start, end, url in sorted(spans, reverse=True):  # from the end, so earlier offsets stay valid
        if end <= edge:  # overlapping facets: the later one wins, the earlier is left as written
            data = data[:start] + url.encode("utf-8") + data[end:]
            edge = start
    return data.decode("utf-8")


def _link_span(facet: Any, data: bytes) -> tuple[int, int, str] | None:
    index = facet.get("index") if isinstance(facet, dict) else None
    features = facet.get("features") if isinstance(facet, dict) else None
    if not isinstance(index, dict) or not isinstance(features, list):
        return None
    start, end = index.get("byteStart"), index.get("byteEnd")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(data)):
        return None
    uri = next(
        (
            f["uri"]
            for f in features
            if isinstance(f, dict) and f.get("$type") == _LINK_FACET and isinstance(f.get("uri"), str)
        ),
        None,
    )
    try:
        shown = data[start:end].decode("utf-8")
    except UnicodeDecodeError:  # offsets inside a character
        return None
    url = None if uri is None else full_link(shown, uri)
    return None if url is None or url == shown else (start, end, url)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def build(settings: BlueskySettings, *, clock: Callable[[], datetime]) -> BlueskyConnector:
    """The registry's factory."""
    return BlueskyConnector(settings, clock=clock)
