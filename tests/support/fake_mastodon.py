"""A local Mastodon instance: hashtag timelines, v2 status search, account lookup and statuses.

Status entities carry Mastodon's fields (``id`` snowflakes as strings,
``created_at``, HTML ``content``, ``uri``/``url``, ``in_reply_to_id``,
``account{id, username, acct, display_name, followers_count, url}``,
``replies_count``/``reblogs_count``/``favourites_count``, ``language``);
timelines page newest first with ``max_id``/``since_id``/``min_id`` and a
``Link`` header; every answer has ``X-RateLimit-Limit/Remaining/Reset`` (an
ISO 8601 time); errors are ``{"error": "..."}``. Search needs a bearer token.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from datetime import timedelta
from typing import Any

from tests.support.fake_http import FakeServer, Reply
from tests.support.platform_search import Doc, search

LIMIT = 300  # requests per 5 minutes per IP/token


class FakeMastodon(FakeServer):
    """A Mastodon instance; add it to ``instances`` of :class:`connectors.mastodon.MastodonSettings`."""

    def __init__(self, *, token: str = "masto-token", **kw: Any) -> None:
        super().__init__(**kw)
        self.token = token
        self.statuses: list[dict[str, Any]] = []
        self.accounts: dict[str, dict[str, Any]] = {}
        self._seq = 0
        self._window_start = self.clock().timestamp()
        self._used = 0

    @property
    def host(self) -> str:
        """The instance's domain (``127.0.0.1:PORT``): local accounts are ``user@host``."""
        return urllib.parse.urlsplit(self.base_url).netloc

    def toot(self, text: str, *, user: str = "someone", tags: tuple[str, ...] = (), reply_to: str | None = None) -> str:
        """Publish a status now (``#tags`` are appended as links); returns its uri."""
        with self.lock:
            account = self.accounts.setdefault(
                user,
                {
                    "id": str(100 + len(self.accounts)),
                    "username": user,
                    "acct": user,
                    "display_name": user.title(),
                    "followers_count": 10 * (len(self.accounts) + 1),
                    "following_count": 3,
                    "statuses_count": 1,
                    "url": f"{self.base_url}/@{user}",
                },
            )
            self._seq += 1
            now = self.clock()
            status_id = str((int(now.timestamp() * 1000) << 16) + self._seq)
            links = " ".join(
                f'<a href="{self.base_url}/tags/{t}" class="mention hashtag" rel="tag">#<span>{t}</span></a>'
                for t in tags
            )
            parent = next((s for s in self.statuses if s["uri"] == reply_to), None) if reply_to else None
            self.statuses.append(
                {
                    "id": status_id,
                    "created_at": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                    "in_reply_to_id": parent["id"] if parent else None,
                    "in_reply_to_account_id": parent["account"]["id"] if parent else None,
                    "sensitive": False,
                    "spoiler_text": "",
                    "visibility": "public",
                    "language": "en",
                    "uri": f"{self.base_url}/users/{user}/statuses/{status_id}",
                    "url": f"{self.base_url}/@{user}/{status_id}",
                    "replies_count": 0,
                    "reblogs_count": 0,
                    "favourites_count": 1,
                    "content": f"<p>{html.escape(text)} {links}</p>",
                    "reblog": None,
                    "account": account,
                    "media_attachments": [],
                    "mentions": [],
                    "tags": [{"name": t.lower(), "url": f"{self.base_url}/tags/{t}"} for t in tags],
                    "emojis": [],
                }
            )
            if parent:
                parent["replies_count"] += 1
            return self.statuses[-1]["uri"]

    def federate(self, uri: str, to: FakeMastodon) -> str:
        """Copy status ``uri`` to instance ``to``, as federation does: a new local id there, the same uri."""
        with self.lock:
            status = json.loads(json.dumps(next(s for s in self.statuses if s["uri"] == uri)))
        with to.lock:
            to._seq += 1
            status["id"] = str(int(status["id"]) + to._seq)
            status["account"] = {**status["account"], "acct": f"{status['account']['username']}@{self.host}"}
            to.statuses.append(status)
        return uri

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        fault = self.take_fault()
        if fault == "timeout":
            return 0, b"", {}
        if fault == "500":
            return 503, b"<html><body>503 Service Unavailable</body></html>", {}
        limits = self._rate_headers(exhausted=fault == "429")
        if fault == "429":
            return 429, {"error": "Too many requests"}, limits
        if fault == "401":
            return 401, {"error": "The access token is invalid"}, limits
        authed = headers.get("authorization") == f"Bearer {self.token}"
        if headers.get("authorization") and not authed:
            return 401, {"error": "The access token is invalid"}, limits
        parts = path.strip("/").split("/")
        with self.lock:
            if parts[:4] == ["api", "v1", "timelines", "tag"] and len(parts) == 5:
                tag = urllib.parse.unquote(parts[4]).lower()
                found = [s for s in self.statuses if any(t["name"] == tag for t in s["tags"])]
                return self._timeline(path, query, found, fault, limits)
            if parts == ["api", "v2", "search"]:
                if not authed:
                    return 401, {"error": "The access token is invalid"}, limits
                matches = search(query.get("q", ""), "all")
                found = [s for s in self.statuses if matches(Doc(html.unescape(re.sub("<[^>]+>", " ", s["content"]))))]
                page, _ = _window(found, query)
                return 200, {"accounts": [], "statuses": _faulted(page, fault), "hashtags": []}, limits
            if parts == ["api", "v1", "accounts", "lookup"]:
                acct = query.get("acct", "").removesuffix(f"@{self.host}")
                if acct not in self.accounts:
                    return 404, {"error": "Record not found"}, limits
                return 200, self.accounts[acct], limits
            if parts[:3] == ["api", "v1", "accounts"] and len(parts) == 5 and parts[4] == "statuses":
                found = [s for s in self.statuses if s["account"]["id"] == parts[3]]
                return self._timeline(path, query, found, fault, limits)
            if parts[:3] == ["api", "v1", "statuses"] and len(parts) == 4:
                status = next((s for s in self.statuses if s["id"] == parts[3]), None)
                return (200, status, limits) if status else (404, {"error": "Record not found"}, limits)
        return 404, {"error": "Record not found"}, limits

    def _timeline(
        self, path: str, query: dict[str, str], found: list[dict[str, Any]], fault: str | None, limits: dict[str, str]
    ) -> Reply:
        page, more = _window(found, query)
        links = []
        if page:
            if more:
                links.append(
                    f'<{self.base_url}{path}?limit={query.get("limit", 20)}&max_id={page[-1]["id"]}>; rel="next"'
                )
            links.append(f'<{self.base_url}{path}?limit={query.get("limit", 20)}&min_id={page[0]["id"]}>; rel="prev"')
        headers = dict(limits)
        if links:
            headers["Link"] = ", ".join(links)
        return 200, _faulted(page, fault), headers

    def _rate_headers(self, *, exhausted: bool) -> dict[str, str]:
        now = self.clock()
        with self.lock:
            if now.timestamp() - self._window_start >= 300:
                self._window_start, self._used = now.timestamp(), 0
            self._used += 1
            remaining = 0 if exhausted else max(LIMIT - self._used, 0)
            reset = now + timedelta(seconds=3) if exhausted else now + timedelta(seconds=300)
        return {
            "X-RateLimit-Limit": str(LIMIT),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.") + f"{reset.microsecond // 1000:03d}Z",
        }


def _window(found: list[dict[str, Any]], query: dict[str, str]) -> tuple[list[dict[str, Any]], bool]:
    """Mastodon's id paging: max_id/since_id newest first; min_id the oldest ones just after it."""
    limit = max(1, min(int(query.get("limit") or 20), 40))
    rows = sorted(found, key=lambda s: int(s["id"]), reverse=True)
    if query.get("max_id"):
        rows = [s for s in rows if int(s["id"]) < int(query["max_id"])]
    if query.get("since_id"):
        rows = [s for s in rows if int(s["id"]) > int(query["since_id"])]
    if query.get("min_id"):
        rows = sorted((s for s in rows if int(s["id"]) > int(query["min_id"])), key=lambda s: int(s["id"]))[:limit]
        return sorted(rows, key=lambda s: int(s["id"]), reverse=True), False
    return [dict(s) for s in rows[:limit]], len(rows) > limit


def _faulted(page: list[Any], fault: str | None) -> list[Any]:
    if fault == "reorder":
        return list(reversed(page)) + page[:2]
    if fault == "malformed":  # a status whose account and content went missing
        return [*page[:1], {"id": "1", "uri": "https://broken.example/1", "created_at": "yesterday"}, *page[1:]]
    return page
