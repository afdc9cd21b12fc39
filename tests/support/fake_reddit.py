"""A local Reddit: the OAuth token endpoint and the listing endpoints brand-monitor reads.

Speaks what praw/prawcore expect: ``POST /api/v1/access_token`` (client
credentials, HTTP basic auth), then bearer-authenticated ``GET`` listings
(``/r/{subs}/search``, ``/r/{subs}/comments``, ``/user/{name}/comments``) as
``Listing`` things of ``t3`` (submissions) and ``t1`` (comments), newest first,
paged with ``after``; every answer carries Reddit's ``X-Ratelimit-*`` headers.
"""

from __future__ import annotations

import base64
import random
import re
from dataclasses import dataclass, field
from typing import Any

from tests.support.fake_http import FakeServer, Reply
from tests.support.platform_search import Doc, search

WINDOW = 600  # Reddit counts requests per 10-minute window
LIMIT = 1000  # per window for an OAuth client (100 per minute on average)


@dataclass
class Thing:
    """A submission (t3) or comment (t1) as Reddit stores it."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.kind}_{self.data['id']}"


class FakeReddit(FakeServer):
    """Reddit's API; point praw's ``oauth_url`` and ``reddit_url`` at ``base_url``."""

    def __init__(self, *, client_id: str = "app-id", client_secret: str = "app-secret", **kw: Any) -> None:
        super().__init__(**kw)
        self.client_id = client_id
        self.client_secret = client_secret
        self.things: list[Thing] = []
        self.tokens: set[str] = set()
        self.token_requests = 0
        self._next_id = 1_000_000
        self._window_start = self.clock().timestamp()
        self._used = 0

    # -- content ------------------------------------------------------------------------------
    def _new_id(self) -> str:
        self._next_id += 1
        return _base36(self._next_id)

    def submit(self, title: str, *, selftext: str = "", author: str = "someone", subreddit: str = "test") -> str:
        """Add a submission created now; returns its fullname (``t3_...``)."""
        with self.lock:
            sid = self._new_id()
            created = self.clock().timestamp()
            self.things.append(
                Thing(
                    "t3",
                    {
                        "id": sid,
                        "name": f"t3_{sid}",
                        "title": title,
                        "selftext": selftext,
                        "author": author,
                        "author_fullname": f"t2_{author}",
                        "subreddit": subreddit,
                        "subreddit_name_prefixed": f"r/{subreddit}",
                        "created_utc": created,
                        "created": created,
                        "score": 1,
                        "ups": 1,
                        "num_comments": 0,
                        "permalink": f"/r/{subreddit}/comments/{sid}/{_slug(title)}/",
                        "url": f"https://www.reddit.com/r/{subreddit}/comments/{sid}/{_slug(title)}/",
                        "over_18": False,
                        "is_self": True,
                    },
                )
            )
            return f"t3_{sid}"

    def comment(self, body: str, *, parent: str, author: str = "someone") -> str:
        """Add a comment answering ``parent`` (a t3 or t1 fullname); returns its fullname."""
        with self.lock:
            parent_thing = next(t for t in self.things if t.name == parent)
            link_id = parent if parent.startswith("t3_") else parent_thing.data["link_id"]
            link = next(t for t in self.things if t.name == link_id)
            cid = self._new_id()
            created = self.clock().timestamp()
            sub = link.data["subreddit"]
            self.things.append(
                Thing(
                    "t1",
                    {
                        "id": cid,
                        "name": f"t1_{cid}",
                        "body": body,
                        "author": author,
                        "author_fullname": f"t2_{author}",
                        "subreddit": sub,
                        "subreddit_name_prefixed": f"r/{sub}",
                        "created_utc": created,
                        "score": 1,
                        "parent_id": parent,
                        "link_id": link_id,
                        "link_title": link.data["title"],
                        "permalink": f"/r/{sub}/comments/{link.data['id']}/comment/{cid}/",
                    },
                )
            )
            link.data["num_comments"] += 1
            return f"t1_{cid}"

    # -- the API ------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        if method == "POST" and path == "/api/v1/access_token":
            return self._token(headers)
        fault = self.take_fault()
        if fault == "timeout":
            return 0, b"", {}
        if fault == "401" or headers.get("authorization", "").removeprefix("bearer ") not in self.tokens:
            return (
                401,
                {"message": "Unauthorized", "error": 401},
                {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'},
            )
        if fault == "500":
            return 500, {"message": "Internal Server Error", "error": 500}, {}
        if fault == "429":
            return (
                429,
                {"message": "Too Many Requests", "error": 429},
                {**self._rate_headers(exhausted=True), "retry-after": "1"},
            )
        if m := re.fullmatch(r"/user/(\w+)/about(?:\.json)?", path):
            return 200, self._about(m.group(1)), self._rate_headers()
        things = self._route(path, query)
        if things is None:
            return 404, {"message": "Not Found", "error": 404}, self._rate_headers()
        return (
            200,
            self._listing(things, query, malformed=fault == "malformed", shuffle=fault == "reorder"),
            self._rate_headers(),
        )

    def _about(self, name: str) -> dict[str, Any]:
        """A ``t2`` account; karma grows with what the fake holds by that author."""
        authored = [t for t in self.things if t.data["author"].lower() == name.lower()]
        links = sum(10 for t in authored if t.kind == "t3")
        comments = sum(3 for t in authored if t.kind == "t1")
        return {
            "kind": "t2",
            "data": {
                "name": name,
                "id": name.lower(),
                "link_karma": links,
                "comment_karma": comments,
                "total_karma": links + comments,
                "created_utc": 1_500_000_000.0,
                "is_suspended": False,
            },
        }

    def _token(self, headers: dict[str, str]) -> Reply:
        self.token_requests += 1
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if self.take_fault(allowed=("401",)) == "401" or headers.get("authorization") != f"Basic {expected}":
            with self.lock:
                self.faults.insert(0, "401")  # credentials stay wrong for the API call too
            return 401, {"message": "Unauthorized", "error": 401}, {}
        token = f"token-{random.randrange(10**12)}"
        self.tokens.add(token)
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"}, {}

    def _rate_headers(self, *, exhausted: bool = False) -> dict[str, str]:
        now = self.clock().timestamp()
        with self.lock:
            if now - self._window_start >= WINDOW:
                self._window_start, self._used = now, 0
            self._used += 1
            remaining = 0 if exhausted else max(LIMIT - self._used, 0)
            # At most a minute to go: prawcore paces requests over what is left of the window,
            # and a fresh 10-minute window would make it sleep 0.6s between test requests.
            reset = min(max(int(self._window_start + WINDOW - now), 1), 60)
        if exhausted:
            reset = 1  # tests wait for the window in their clock, not in real time
        return {
            "x-ratelimit-used": str(self._used),
            "x-ratelimit-remaining": f"{remaining:.1f}",
            "x-ratelimit-reset": str(reset),
        }

    def _route(self, path: str, query: dict[str, str]) -> list[Thing] | None:
        path = path.removesuffix(".json").rstrip("/")
        if m := re.fullmatch(r"/r/([\w+]+)/search", path):
            subs = set(m.group(1).lower().split("+"))
            restrict = query.get("restrict_sr", "").lower() in {"1", "true", "on"}
            matches = search(query.get("q", ""), "reddit")
            return [
                t
                for t in self.things
                if t.kind == "t3"
                and (not restrict or "all" in subs or t.data["subreddit"].lower() in subs)
                and matches(Doc(t.data["title"] + "\n" + t.data["selftext"]))
            ]
        if m := re.fullmatch(r"/r/([\w+]+)/comments", path):
            subs = set(m.group(1).lower().split("+"))
            return [t for t in self.things if t.kind == "t1" and ("all" in subs or t.data["subreddit"].lower() in subs)]
        if m := re.fullmatch(r"/user/(\w+)/comments", path):
            return [t for t in self.things if t.kind == "t1" and t.data["author"].lower() == m.group(1).lower()]
        return None

    def _listing(self, things: list[Thing], query: dict[str, str], *, malformed: bool, shuffle: bool) -> dict[str, Any]:
        ordered = sorted(things, key=lambda t: (t.data["created_utc"], int(t.data["id"], 36)), reverse=True)
        after = query.get("after")
        if after:
            names = [t.name for t in ordered]
            ordered = ordered[names.index(after) + 1 :] if after in names else []
        limit = min(int(query.get("limit") or 25), 100)
        page = ordered[:limit]
        children: list[Any] = [{"kind": t.kind, "data": dict(t.data)} for t in page]
        if shuffle:
            random.Random(7).shuffle(children)
        if malformed:  # a thing missing its id and timestamps, as a half-deleted item can come back
            children.insert(len(children) // 2, {"kind": "t3", "data": {"title": "acme broken", "author": None}})
        more = len(ordered) > limit
        return {
            "kind": "Listing",
            "data": {
                "after": page[-1].name if more and page else None,
                "before": None,
                "dist": len(children),
                "modhash": None,
                "geo_filter": "",
                "children": children,
            },
        }


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


def _slug(title: str) -> str:
    return re.sub(r"\W+", "_", title.lower()).strip("_")[:50]
