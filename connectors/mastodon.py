"""``mastodon``: statuses about a brand from configured Mastodon instances (no key needed for hashtags).

Per brand, per instance and poll, newest first (``Link: rel="next"`` pages),
back to the newest ``created_at`` the last read got to minus ``overlap``:

* ``tag:<host>:<tag>``: the public hashtag timeline (``/api/v1/timelines/tag/:tag``)
  for each of the brand's terms written as a hashtag (or ``tags`` if set);
* ``search:<host>:<term>``: full-text search (``/api/v2/search?type=statuses``),
  only with an access token (``access_token_env``) and only on the first
  instance, the one the token belongs to;
* ``account:<host>:<handle>``: the brand's own statuses, so its replies arrive
  (its boosts of other people's statuses are skipped).

A status seen through several instances has one ``uri``: that is the post id,
so it is stored once. The brand's replies get ``reply_to`` = the parent's
``uri`` (one ``/api/v1/statuses/:id`` lookup per reply, cached) so they close
the posts they answer. Authors are ``user@host``: write the brand's handle so.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field, field_validator

from connectors.base import Cursor, Page, Post, Query, SourceError
from connectors.failures import Kind, failure, short_url
from connectors.html_text import html_to_text
from connectors.http import HttpSource, json_body
from connectors.incremental import Listing, StreamState, read_listings
from connectors.language import language_hint
from connectors.pushdown import quoted, word_searches
from connectors.settings import ListingSettings
from connectors.times import utc_time
from values.durations import Duration
from values.query_tree import Term, positive_terms

log = logging.getLogger(__name__)

DEFAULT_INSTANCE = "https://mastodon.social"
_METRICS = {"replies_count": "replies", "reblogs_count": "reblogs", "favourites_count": "favourites"}
PARENT_CACHE = 5000


class MastodonSettings(ListingSettings):
    """``[sources.mastodon]``."""

    secret_fields = ("access_token_env",)

    interval: Duration = timedelta(minutes=5)
    instances: tuple[str, ...] = ()  # instance URLs; empty: base_url, else https://mastodon.social
    tags: tuple[str, ...] = ()  # hashtags to follow (without '#'); empty: each brand term as a hashtag
    access_token_env: str | None = None  # env var with a token (scope read:search) on the first instance
    page_size: int = Field(default=40, ge=1, le=40)  # the API's limit

    @field_validator("instances")
    @classmethod
    def _urls(cls, instances: tuple[str, ...]) -> tuple[str, ...]:
        bad = [i for i in instances if not i.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"{bad}: write each instance as its URL, e.g. https://mastodon.social")
        return instances


class MastodonConnector:
    """Reads Mastodon's REST API over plain HTTP."""

    platform = "mastodon"

    def __init__(self, settings: MastodonSettings, *, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self._clock = clock
        self.instances = tuple(i.rstrip("/") for i in (settings.instances or (settings.base_url or DEFAULT_INSTANCE,)))
        token = settings.secret("access_token_env").get_secret_value() if settings.access_token_env else ""
        self.http = HttpSource(
            "mastodon",
            base_url=self.instances[0],
            timeout=settings.timeout.total_seconds(),
            clock=clock,
            auth_hint="check the access token in "
            + (settings.access_token_env or "access_token_env")
            + " (scope read) or whether the instance allows public timelines",
        )
        self._token = token
        self._account_ids: dict[tuple[str, str], str] = {}
        self._parents: dict[str, str] = {}  # "host/id" -> uri

    def fetch(self, query: Query, cursor: Cursor) -> Iterator[Page]:
        """Yield a page per API page; each stream's position moves when it is read to the end."""
        state = StreamState.load(cursor, self.platform)
        now = self._clock().timestamp()
        yield from read_listings(self._listings(query), self._parse, state, self.settings, now=now)

    def _listings(self, query: Query) -> list[Listing]:
        searches = search_clauses(query)
        if not searches and query.searchable:  # the query's platform: leaves Mastodon out
            return []
        tags = self.settings.tags or tuple(t for t in (_as_tag(term) for term in _tag_terms(query)) if t)
        out = []
        for instance in self.instances:
            host = _host(instance)
            for tag in dict.fromkeys(tag.lower().lstrip("#") for tag in tags):
                path = f"{instance}/api/v1/timelines/tag/{urllib.parse.quote(tag)}"
                out.append(Listing(f"tag:{host}:{tag}", self._linked(path, {}, own=False)))
        if self._token:
            instance = self.instances[0]
            for name, q in searches.items():
                # Search results may come ranked, not by date: read on to a page wholly older than the floor.
                listing = Listing(f"search:{_host(instance)}:{name}", self._search(instance, q), newest_first=False)
                out.append(listing)
        for handle in dict.fromkeys(h.strip().lstrip("@") for h in query.handles if h.strip("@ ")):
            instance = self._home(handle)
            out.append(Listing(f"account:{_host(instance)}:{handle}", self._account(instance, handle)))
        return out

    def _headers(self, instance: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token and instance == self.instances[0] else {}

    def _linked(
        self, path: str, params: dict[str, Any], *, own: bool
    ) -> Callable[[str | None, float | None], tuple[list[Any], str | None]]:
        """A listing paged by ``Link: <...max_id=...>; rel="next"`` (timelines, account statuses)."""
        instance = path.split("/api/", 1)[0]

        def fetch(token: str | None, floor: float | None) -> tuple[list[Any], str | None]:
            url = token or path
            response = self.http.check(
                self.http.send(
                    "GET",
                    url,
                    params=None if token else {**params, "limit": self.settings.page_size},
                    headers=self._headers(instance),
                )
            )
            body = _json_list(response)
            link = response.links.get("next", {}).get("url")
            if link and _host(link) != _host(instance):  # never follow (or send a token) off the instance
                log.warning("mastodon: %s pointed its next page at another host; stopping there", _host(instance))
                link = None
            # The brand's own boosts are other people's posts, not the brand speaking (as Bluesky's reposts).
            items = [(instance, s, own) for s in body if not (own and isinstance(s, dict) and s.get("reblog"))]
            return items, link if body and link else None

        return fetch

    def _search(self, instance: str, term: str) -> Callable[[str | None, float | None], tuple[list[Any], str | None]]:
        def fetch(token: str | None, floor: float | None) -> tuple[list[Any], str | None]:
            params = {
                "q": term,
                "type": "statuses",
                "resolve": "false",
                "limit": self.settings.page_size,
                "max_id": token,
            }
            body = self.http.get_json(f"{instance}/api/v2/search", params, headers=self._headers(instance))
            statuses = body.get("statuses") if isinstance(body, dict) else None
            if not isinstance(statuses, list):
                raise failure("mastodon", Kind.BAD_ANSWER, where="search", detail="no statuses list")
            last = statuses[-1].get("id") if statuses and isinstance(statuses[-1], dict) else None
            more = len(statuses) >= self.settings.page_size and isinstance(last, str)
            return [(instance, s, False) for s in statuses], last if more else None

        return fetch

    def _account(
        self, instance: str, handle: str
    ) -> Callable[[str | None, float | None], tuple[list[Any], str | None]]:
        def fetch(token: str | None, floor: float | None) -> tuple[list[Any], str | None]:
            account_id = self._account_id(instance, handle)
            path = f"{instance}/api/v1/accounts/{account_id}/statuses"
            return self._linked(path, {"exclude_reblogs": "true"}, own=True)(token, floor)

        return fetch

    def _account_id(self, instance: str, handle: str) -> str:
        key = (instance, handle)
        if key not in self._account_ids:
            response = self.http.send(
                "GET", f"{instance}/api/v1/accounts/lookup", params={"acct": handle}, headers=self._headers(instance)
            )
            hint = f"account {handle} is not on {_host(instance)}: check the brand's handles"
            body = json_body(self.http.check(response, hints={Kind.NOT_FOUND: hint}), "mastodon")
            if not isinstance(body, dict) or not isinstance(body.get("id"), str):
                raise failure("mastodon", Kind.BAD_ANSWER, where="accounts/lookup", detail=f"no id for {handle}")
            self._account_ids[key] = body["id"]
        return self._account_ids[key]

    def _home(self, handle: str) -> str:
        """The configured instance a ``user@host`` handle lives on (else the first)."""
        domain = handle.partition("@")[2].lower()
        return next((i for i in self.instances if _host(i) == domain), self.instances[0])

    def _parse(self, item: Any) -> tuple[str, float, Post]:
        instance, status, own = item
        uri, created, post = parse_status(status, host=_host(instance))
        parent = status.get("in_reply_to_id")
        if parent and own:  # the brand's reply: find the post it answers, so it can close that post
            post = replace(post, reply_to=self._parent_uri(instance, str(parent)) or post.reply_to)
        return uri, created, post

    def _parent_uri(self, instance: str, status_id: str) -> str | None:
        key = f"{_host(instance)}/{status_id}"
        if key not in self._parents:
            try:
                body = self.http.get_json(f"{instance}/api/v1/statuses/{status_id}", headers=self._headers(instance))
            except SourceError as exc:
                if type(exc) is not SourceError:  # 429, outage, auth: the read fails and is retried
                    raise
                # A deleted or hidden parent (404): the reply is stored without reply_to, never dropped.
                log.info("mastodon: parent %s not resolved: %s", key, exc)
                return None
            uri = body.get("uri") if isinstance(body, dict) else None
            if not isinstance(uri, str):
                return None
            if len(self._parents) >= PARENT_CACHE:
                self._parents.pop(next(iter(self._parents)))
            self._parents[key] = uri
        return self._parents[key]


def parse_status(status: Any, *, host: str) -> tuple[str, float, Post]:
    """A Mastodon Status entity as (uri, the time it sorts by in its listing, Post); raises on a malformed one.

    A boost (``reblog``) is read as the boosted status; it sorts by the boost's
    own time, as the listing does (the boosted post may be much older).
    """
    listed_at = utc_time(status["created_at"])
    if status.get("reblog"):
        status = status["reblog"]  # a boost: the post is the boosted status
    status_id = str(status["id"])
    uri = status["uri"]
    if not isinstance(uri, str) or "://" not in uri:
        raise ValueError(f"uri {uri!r} is not a URL")
    created = utc_time(status["created_at"])
    account = status["account"]
    acct = str(account["acct"])
    author = acct if "@" in acct else f"{acct}@{host}"
    content = status["content"]
    if not isinstance(content, str):
        raise TypeError("content is not a string")
    text = html_to_text(content)
    if status.get("spoiler_text"):
        text = f"{status['spoiler_text']}\n\n{text}"
    metrics = {name: status[key] for key, name in _METRICS.items() if isinstance(status.get(key), int)}
    if isinstance(account.get("followers_count"), int):
        metrics["followers"] = account["followers_count"]
    extra = {"local_id": f"{host}:{status_id}"}
    if status.get("in_reply_to_id"):
        extra["in_reply_to_id"] = f"{host}:{status['in_reply_to_id']}"
    post = Post(
        platform="mastodon",
        post_id=uri,
        author=author,
        text=text,
        created_at=created,
        url=status.get("url") or uri,
        reply_to=None,
        thread_id=None if status.get("in_reply_to_id") else uri,
        author_id=str(account.get("url") or account["id"]),
        lang=language_hint(status.get("language")),
        metrics=metrics,
        extra=extra,
    )
    return uri, listed_at.timestamp(), post


def _json_list(response: Any) -> list[Any]:
    body = json_body(response, "mastodon")
    if not isinstance(body, list):
        raise failure("mastodon", Kind.BAD_ANSWER, where=short_url(response.url or ""), detail="not a list")
    return body


def search_clauses(query: Query) -> dict[str, str]:
    """One status search per alternative of the query, by stream name: its ``q``.

    Mastodon's search ANDs words and reads ``"..."`` as a phrase; it has no OR.
    NOT, NEAR and lang: are left to the local check.
    """
    clauses = word_searches(query.tree, platform="mastodon", where="search")
    out: dict[str, str] = {}
    for clause in clauses:
        terms = [p for p in clause if isinstance(p, Term)]
        out[" ".join(t.text for t in terms)] = " ".join(quoted(t) for t in terms)
    return out


def _tag_terms(query: Query) -> list[str]:
    """The terms followed as hashtags: every term of the simple form, the one-word terms a query wants."""
    if query.simple:
        return list(query.terms)
    return [t.text for t in positive_terms(query.tree) if len(t.words) == 1]


def _as_tag(term: str) -> str:
    """``#Acme`` / ``Acme Corp`` -> ``acme`` / ``acmecorp`` (hashtags are letters, digits and _)."""
    return re.sub(r"[^\w]", "", term).lower()


def _host(instance: str) -> str:
    return urllib.parse.urlsplit(instance).netloc.lower()


def build(settings: MastodonSettings, *, clock: Callable[[], datetime]) -> MastodonConnector:
    """The registry's factory."""
    return MastodonConnector(settings, clock=clock)
