"""A local Algolia HN Search API: ``GET /api/v1/search_by_date`` as hn.algolia.com answers it.

Hits carry Algolia's HN record fields (``objectID``, ``created_at``,
``created_at_i``, ``author``, ``title``/``story_text`` or ``comment_text`` with
``parent_id``/``story_id``/``story_title``, ``points``, ``num_comments``,
``_tags``); ``tags`` (comma = AND, parentheses = OR), ``numericFilters`` on
``created_at_i``, ``hitsPerPage`` and ``page`` are honoured; the envelope has
``nbHits``/``nbPages``/``page``/``hitsPerPage``. Errors are Algolia's
``{"message", "status"}`` objects.
"""

from __future__ import annotations

import math
import re
from typing import Any

from tests.support.fake_http import FakeServer, Reply

FIRST_ID = 42_000_000


class FakeHN(FakeServer):
    """Algolia's HN search; point :class:`connectors.hn.HackerNewsConnector`'s ``base_url`` here."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.items: list[dict[str, Any]] = []
        self._next_id = FIRST_ID

    def story(self, title: str, *, author: str = "someone", text: str | None = None, url: str | None = None) -> str:
        """Add a story created now; returns its id."""
        with self.lock:
            oid = self._new_id()
            self.items.append(
                {
                    **self._common(oid, author, ["story", f"author_{author}", f"story_{oid}"]),
                    "title": title,
                    "url": url,
                    "story_text": text,
                    "points": 1,
                    "num_comments": 0,
                    "story_id": int(oid),
                }
            )
            return oid

    def comment(self, text: str, *, parent: str, author: str = "someone") -> str:
        """Add a comment (HTML, as HN stores it) answering item ``parent``; returns its id."""
        with self.lock:
            oid = self._new_id()
            parent_item = next(i for i in self.items if i["objectID"] == parent)
            story_id = parent_item["story_id"]
            story = next(i for i in self.items if i["objectID"] == str(story_id))
            story["num_comments"] += 1
            self.items.append(
                {
                    **self._common(oid, author, ["comment", f"author_{author}", f"story_{story_id}"]),
                    "comment_text": f"<p>{text.replace('&', '&amp;').replace('<', '&lt;')}</p>",
                    "parent_id": int(parent),
                    "story_id": story_id,
                    "story_title": story["title"],
                    "story_url": story.get("url"),
                    "points": None,
                    "num_comments": None,
                }
            )
            return oid

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def _common(self, oid: str, author: str, tags: list[str]) -> dict[str, Any]:
        now = self.clock()
        return {
            "objectID": oid,
            "author": author,
            "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "created_at_i": int(now.timestamp()),
            "updated_at": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "_tags": tags,
            "children": [],
        }

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        fault = self.take_fault()
        if fault == "timeout":
            return 0, b"", {}
        if fault == "401":
            return 403, {"message": "Invalid Application-ID or API key", "status": 403}, {}
        if fault == "500":
            return 503, b"<html><body><h1>503 Service Unavailable</h1></body></html>", {}
        if fault == "429":
            return 429, {"message": "Too many requests", "status": 429}, {}
        if method != "GET" or path not in ("/api/v1/search_by_date", "/api/v1/search"):
            return 404, {"message": "Not Found", "status": 404}, {}
        try:
            per_page = int(query.get("hitsPerPage", 20))
            page = int(query.get("page", 0))
            numeric = _numeric(query.get("numericFilters", ""))
        except ValueError as exc:
            return 400, {"message": f"invalid parameter: {exc}", "status": 400}, {}
        tags = _tags(query.get("tags", ""))
        words = query.get("query", "").lower().split()
        with self.lock:
            found = [
                dict(i)
                for i in self.items
                if all(any(t in i["_tags"] for t in group) for group in tags)
                and all(numeric_ok(i["created_at_i"]) for numeric_ok in numeric)
                and all(w in _searchable(i) for w in words)
            ]
        found.sort(key=lambda i: (i["created_at_i"], int(i["objectID"])), reverse=True)
        hits = found[page * per_page : (page + 1) * per_page]
        if fault == "reorder":
            hits = list(reversed(hits)) + hits[:2]
        if fault == "malformed":
            hits = [*hits[:1], {"objectID": "x1", "_tags": ["comment"], "created_at_i": "yesterday"}, *hits[1:]]
        return (
            200,
            {
                "hits": hits,
                "nbHits": len(found),
                "page": page,
                "nbPages": math.ceil(len(found) / per_page) if per_page else 0,
                "hitsPerPage": per_page,
                "exhaustiveNbHits": True,
                "query": query.get("query", ""),
                "params": "&".join(f"{k}={v}" for k, v in query.items()),
                "processingTimeMS": 1,
            },
            {},
        )


def _searchable(item: dict[str, Any]) -> str:
    fields = ("title", "story_text", "comment_text", "url", "author")
    return " ".join(str(item.get(f) or "") for f in fields).lower()


def _tags(spec: str) -> list[list[str]]:
    """``a,(b,c)`` -> [[a], [b, c]]: every group must match, any tag within a group."""
    groups = []
    for part in re.findall(r"\([^)]*\)|[^,]+", spec):
        groups.append([t.strip() for t in part.strip("()").split(",") if t.strip()])
    return [g for g in groups if g]


def _numeric(spec: str) -> list[Any]:
    checks = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        match = re.fullmatch(r"created_at_i\s*(>=|<=|>|<|=)\s*(\d+)", part)
        if not match:
            raise ValueError(part)
        op, value = match.group(1), int(match.group(2))
        checks.append(
            {
                ">=": lambda v, x=value: v >= x,
                "<=": lambda v, x=value: v <= x,
                ">": lambda v, x=value: v > x,
                "<": lambda v, x=value: v < x,
                "=": lambda v, x=value: v == x,
            }[op]
        )
    return checks
