"""A local Bluesky AppView + PDS over XRPC: searchPosts, getAuthorFeed, createSession, refreshSession.

Post views follow ``app.bsky.feed.defs#postView`` (``uri``, ``cid``,
``author{did, handle, displayName}``, ``record{$type, text, createdAt, langs,
reply{root, parent}}``, ``replyCount``/``repostCount``/``likeCount``/
``quoteCount``, ``indexedAt``); ``searchPosts`` takes ``q``, ``sort=latest``,
``since``, ``limit`` and an opaque ``cursor``. Errors are XRPC's
``{"error", "message"}``; rate limits use the ``ratelimit-*`` headers.
With ``require_auth`` every query needs a session's access token, which
expires after ``token_lifetime`` requests (answered ``400 ExpiredToken``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
from datetime import datetime
from typing import Any

from tests.support.fake_http import FakeServer, Reply
from tests.support.platform_search import Doc, search

LIMIT = 3000  # requests per 5-minute window, as the AppView's ratelimit-policy says
WINDOW = 300


class FakeBluesky(FakeServer):
    """Point :class:`connectors.bluesky.BlueskyConnector`'s ``base_url`` and ``auth_url`` here."""

    def __init__(
        self,
        *,
        require_auth: bool = False,
        identifier: str = "monitor.bsky.social",
        password: str = "app-pass",
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.require_auth = require_auth
        self.identifier, self.password = identifier, password
        self.posts: list[dict[str, Any]] = []
        self.sessions = 0
        self.refreshes = 0
        self.token_lifetime = 1000
        self._access: dict[str, int] = {}  # token -> uses left
        self._refresh: set[str] = set()
        self._window_start = self.clock().timestamp()
        self._used = 0

    def post(
        self, text: str, *, handle: str = "someone.bsky.social", reply_to: str | None = None, lang: str = "en"
    ) -> str:
        """Publish a post now; returns its at:// URI."""
        with self.lock:
            did = "did:plc:" + hashlib.sha256(handle.encode()).hexdigest()[:24]
            rkey = "3l" + "".join(random.choices(string.ascii_lowercase + string.digits, k=11))
            uri = f"at://{did}/app.bsky.feed.post/{rkey}"
            now = _iso(self.clock())
            record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": now, "langs": [lang]}
            if reply_to is not None:
                parent = next(p for p in self.posts if p["uri"] == reply_to)
                root = parent["record"].get("reply", {}).get("root") or {"uri": parent["uri"], "cid": parent["cid"]}
                record["reply"] = {"root": root, "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
                parent["replyCount"] += 1
            self.posts.append(
                {
                    "uri": uri,
                    "cid": "bafyrei" + hashlib.sha256(uri.encode()).hexdigest()[:52],
                    "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0].title(), "labels": []},
                    "record": record,
                    "replyCount": 0,
                    "repostCount": 0,
                    "likeCount": random.randint(0, 5),
                    "quoteCount": 0,
                    "indexedAt": now,
                    "labels": [],
                }
            )
            return uri

    def expire_sessions(self, *, refresh_too: bool = False) -> None:
        """Every access token handed out so far is expired (and the refresh tokens, with ``refresh_too``)."""
        with self.lock:
            self._access = dict.fromkeys(self._access, 0)
            if refresh_too:
                self._refresh.clear()

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        session_call = path.startswith("/xrpc/com.atproto.server.")
        # A "malformed"/"reorder" fault is about posts: it waits for a query, not a login.
        fault = self.take_fault(allowed=("timeout", "500", "429", "401") if session_call else None)
        if fault == "timeout":
            return 0, b"", {}
        if fault == "500":
            return 502, {"error": "UpstreamFailure", "message": "Upstream Failure"}, {}
        limits = self._rate_headers(exhausted=fault == "429")
        if fault == "429":
            return 429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, limits
        if fault == "401":
            return 401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, limits
        method_name = path.removeprefix("/xrpc/")
        if method_name == "com.atproto.server.createSession" and method == "POST":
            return self._create_session(body, limits)
        if method_name == "com.atproto.server.refreshSession" and method == "POST":
            return self._refresh_session(headers, limits)
        if self.require_auth:
            problem = self._check_access(headers)
            if problem:
                return (*problem, limits)
        if method_name == "app.bsky.feed.searchPosts":
            return 200, self._search(query, fault), limits
        if method_name == "app.bsky.feed.getAuthorFeed":
            return 200, self._author_feed(query, fault), limits
        return 501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}, limits

    def _create_session(self, body: bytes, limits: dict[str, str]) -> Reply:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return 400, {"error": "InvalidRequest", "message": "Invalid JSON"}, limits
        if data.get("identifier") != self.identifier or data.get("password") != self.password:
            return 401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, limits
        with self.lock:
            self.sessions += 1
            return 200, self._tokens(), limits

    def _refresh_session(self, headers: dict[str, str], limits: dict[str, str]) -> Reply:
        token = headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            if token not in self._refresh:
                return 400, {"error": "ExpiredToken", "message": "Token has expired"}, limits
            self._refresh.discard(token)
            self.refreshes += 1
            return 200, self._tokens(), limits

    def _tokens(self) -> dict[str, Any]:
        access, refresh = _jwt("access"), _jwt("refresh")
        self._access[access] = self.token_lifetime
        self._refresh.add(refresh)
        did = "did:plc:" + hashlib.sha256(self.identifier.encode()).hexdigest()[:24]
        return {"accessJwt": access, "refreshJwt": refresh, "handle": self.identifier, "did": did, "active": True}

    def _check_access(self, headers: dict[str, str]) -> tuple[int, dict[str, str]] | None:
        token = headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            if not token:
                return 403, {"error": "Forbidden", "message": "search requires authentication"}
            if token not in self._access:
                return 401, {"error": "InvalidToken", "message": "Bad token scope"}
            if self._access[token] <= 0:
                return 400, {"error": "ExpiredToken", "message": "Token has expired"}
            self._access[token] -= 1
        return None

    def _rate_headers(self, *, exhausted: bool) -> dict[str, str]:
        now = self.clock().timestamp()
        with self.lock:
            if now - self._window_start >= WINDOW:
                self._window_start, self._used = now, 0
            self._used += 1
            remaining = 0 if exhausted else max(LIMIT - self._used, 0)
            reset = int(now) + 3 if exhausted else int(self._window_start + WINDOW)
        return {
            "ratelimit-limit": str(LIMIT),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(reset),
            "ratelimit-policy": f"{LIMIT};w={WINDOW}",
        }

    def _page(self, found: list[dict[str, Any]], query: dict[str, str]) -> tuple[list[dict[str, Any]], str | None]:
        found.sort(key=lambda p: (p["indexedAt"], p["uri"]), reverse=True)
        offset = int(query.get("cursor") or 0)
        limit = max(1, min(int(query.get("limit") or 25), 100))
        page = [json.loads(json.dumps(p)) for p in found[offset : offset + limit]]
        more = offset + limit < len(found)
        return page, str(offset + limit) if more else None

    def _search(self, query: dict[str, str], fault: str | None) -> dict[str, Any]:
        matches = search(query.get("q", ""), "all")
        since, lang = query.get("since"), query.get("lang")
        with self.lock:
            found = [
                p
                for p in self.posts
                if matches(Doc(p["record"]["text"]))
                and (not since or p["indexedAt"] >= since)
                and (not lang or lang in p["record"].get("langs", []))
            ]
            page, cursor = self._page(found, query)
        page = _faulted(page, fault)
        out: dict[str, Any] = {"posts": page, "hitsTotal": len(found)}
        if cursor:
            out["cursor"] = cursor
        return out

    def _author_feed(self, query: dict[str, str], fault: str | None) -> dict[str, Any]:
        actor = query.get("actor", "")
        with self.lock:
            found = [p for p in self.posts if actor in (p["author"]["handle"], p["author"]["did"])]
            page, cursor = self._page(found, query)
        feed: list[Any] = [{"post": p} for p in _faulted(page, fault)]
        out: dict[str, Any] = {"feed": feed}
        if cursor:
            out["cursor"] = cursor
        return out


def _faulted(page: list[Any], fault: str | None) -> list[Any]:
    if fault == "reorder":
        return list(reversed(page)) + page[:2]
    if fault == "malformed":  # a post view whose record lost its text and time
        return [*page[:1], {"uri": "at://did:plc:broken/app.bsky.feed.post/x", "author": {}, "record": {}}, *page[1:]]
    return page


def _jwt(kind: str) -> str:
    header = base64.urlsafe_b64encode(b'{"typ":"JWT","alg":"ES256K"}').rstrip(b"=").decode()
    claims = base64.urlsafe_b64encode(json.dumps({"scope": kind, "n": random.random()}).encode()).rstrip(b"=").decode()
    return f"{header}.{claims}.{''.join(random.choices(string.ascii_letters, k=43))}"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
