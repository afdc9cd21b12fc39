"""A local X API v2: ``GET /2/tweets/search/recent`` as tweepy's Client calls it.

Bearer-token auth, ``since_id``/``until``-style paging with an opaque
``next_token``, ``expansions=author_id`` answered in ``includes.users`` with
``public_metrics``, ``meta{newest_id, oldest_id, result_count, next_token}``,
problem-JSON errors, and the ``x-rate-limit-limit/remaining/reset`` headers of
a 15-minute window.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from tests.support.fake_http import FakeServer, Reply
from tests.support.platform_search import Doc, search

WINDOW = 900
LIMIT = 450  # requests per window for an app bearer token on recent search
FIRST_ID = 1_860_000_000_000_000_000


class FakeX(FakeServer):
    """X's API; point :class:`connectors.x.XConnector`'s ``base_url`` at ``base_url``."""

    def __init__(self, *, bearer_token: str = "x-bearer", **kw: Any) -> None:
        super().__init__(**kw)
        self.bearer_token = bearer_token
        self.tweets: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.posts_served = 0  # what counts against the monthly cap
        self.issued_tokens: set[str] = set()  # next_tokens still valid; expire_tokens() empties it
        self._next_id = FIRST_ID
        self._window_start = self.clock().timestamp()
        self._used = 0

    def tweet(
        self, text: str, *, author: str = "someone", followers: int = 10, reply_to: str | None = None, lang: str = "en"
    ) -> str:
        """Add a tweet created now; returns its id."""
        with self.lock:
            self._next_id += random.randint(1, 1000) * 4096  # snowflakes grow with time
            tid = str(self._next_id)
            user = self.users.setdefault(
                author,
                {
                    "id": str(1000 + len(self.users)),
                    "name": author.title(),
                    "username": author,
                    "public_metrics": {
                        "followers_count": followers,
                        "following_count": 5,
                        "tweet_count": 42,
                        "listed_count": 0,
                    },
                },
            )
            tweet: dict[str, Any] = {
                "id": tid,
                "text": text,
                "author_id": user["id"],
                "created_at": _iso(self.clock()),
                "conversation_id": tid,
                "lang": lang,
                "edit_history_tweet_ids": [tid],
                "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0},
            }
            if reply_to is not None:
                parent = next(t for t in self.tweets if t["id"] == reply_to)
                tweet["conversation_id"] = parent["conversation_id"]
                tweet["in_reply_to_user_id"] = parent["author_id"]
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
            self.tweets.append(tweet)
            return tid

    def expire_tokens(self) -> None:
        """Pagination tokens handed out so far stop working (X's expire)."""
        with self.lock:
            self.issued_tokens.clear()

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        fault = self.take_fault()
        if fault == "timeout":
            return 0, b"", {}
        if fault == "401" or headers.get("authorization") != f"Bearer {self.bearer_token}":
            return 401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}, {}
        if fault == "500":
            return (
                503,
                {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503},
                {},
            )
        limits = self._rate_headers(exhausted=fault == "429")
        if fault == "429":
            return (
                429,
                {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
                limits,
            )
        if method != "GET" or path != "/2/tweets/search/recent":
            return (
                404,
                {
                    "title": "Not Found Error",
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                    "status": 404,
                    "detail": path,
                },
                limits,
            )
        if not query.get("query"):
            return 400, _invalid("query", "The `query` query parameter can not be empty"), limits
        token = query.get("next_token")
        if token and token not in self.issued_tokens:
            message = f"The `next_token` query parameter value [{token}] is not one of the allowed values"
            return 400, _invalid("next_token", message), limits
        return 200, self._search(query, malformed=fault == "malformed", shuffle=fault == "reorder"), limits

    def _rate_headers(self, *, exhausted: bool) -> dict[str, str]:
        now = self.clock().timestamp()
        with self.lock:
            if now - self._window_start >= WINDOW:
                self._window_start, self._used = now, 0
            self._used += 1
            remaining = 0 if exhausted else max(LIMIT - self._used, 0)
            reset = int(self._window_start + WINDOW) if not exhausted else int(now) + 2
        return {
            "x-rate-limit-limit": str(LIMIT),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(reset),
        }

    def _doc(self, tweet: dict[str, Any]) -> Doc:
        author = next((u["username"] for u in self.users.values() if u["id"] == tweet["author_id"]), "")
        kinds = {r["type"] for r in tweet.get("referenced_tweets", [])}
        return Doc(tweet["text"], tweet.get("lang"), author, "replied_to" in kinds, "retweeted" in kinds)

    def _search(self, query: dict[str, str], *, malformed: bool, shuffle: bool) -> dict[str, Any]:
        since = int(query.get("since_id") or 0)
        token = query.get("next_token")
        until = int(token.split("-")[0], 16) if token else None
        end_time = _parse(query["end_time"]) if query.get("end_time") else None
        start_time = _parse(query["start_time"]) if query.get("start_time") else None
        size = max(10, min(int(query.get("max_results") or 10), 100))
        matches = search(query.get("query", ""), "x")
        with self.lock:
            found = [
                t
                for t in self.tweets
                if matches(self._doc(t))
                and int(t["id"]) > since
                and (until is None or int(t["id"]) < until)
                and (end_time is None or _parse(t["created_at"]) < end_time)
                and (start_time is None or _parse(t["created_at"]) >= start_time)
            ]
            found.sort(key=lambda t: int(t["id"]), reverse=True)
            page = [dict(t) for t in found[:size]]
            self.posts_served += len(page)
        if not page:
            return {"meta": {"result_count": 0}}
        meta: dict[str, Any] = {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"], "result_count": len(page)}
        if len(found) > size:
            meta["next_token"] = f"{int(page[-1]['id']):x}-{random.randrange(16**6):06x}"
            self.issued_tokens.add(meta["next_token"])
        data: list[dict[str, Any]] = page
        if shuffle:
            data = list(reversed(page))
        if malformed:  # a tweet without its text and time, as a withheld/partial object can arrive
            data = [*data[:1], {"id": "not-a-number", "author_id": "1000"}, *data[1:]]
        author_ids = {t["author_id"] for t in page}
        users = [u for u in self.users.values() if u["id"] in author_ids]
        return {"data": data, "includes": {"users": users}, "meta": meta}


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _invalid(parameter: str, message: str) -> dict[str, Any]:
    return {
        "errors": [{"parameters": {parameter: []}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
