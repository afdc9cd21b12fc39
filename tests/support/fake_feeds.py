"""A local feed host: RSS 2.0 and Atom 1.0 documents with ETag / Last-Modified and 304 answers.

``/rss/<name>`` serves RSS 2.0 (``guid``, ``pubDate`` in RFC 822), ``/atom/<name>``
Atom 1.0 (``id``, ``updated``/``published`` in RFC 3339); both list the newest
``length`` entries, newest first, as news search and alert feeds do.
``/search?q=`` is a news-search feed over every entry.
"""

from __future__ import annotations

import hashlib
import html
import random
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from tests.support.fake_http import FakeServer, Reply


class FakeFeeds(FakeServer):
    """Feeds for :class:`connectors.rss.RssConnector`; ``feed_url(name)`` is a feed's address."""

    def __init__(self, *, length: int = 50, **kw: Any) -> None:
        super().__init__(**kw)
        self.length = length
        self.entries: dict[str, list[dict[str, Any]]] = {}
        self.not_modified = 0  # 304s answered
        self._n = 0

    def feed_url(self, name: str, *, atom: bool = False) -> str:
        """The URL of feed ``name``."""
        return f"{self.base_url}/{'atom' if atom else 'rss'}/{name}"

    def publish(self, name: str, title: str, *, summary: str = "", dated: bool = True) -> str:
        """Add an entry to feed ``name``; returns its guid."""
        with self.lock:
            self._n += 1
            guid = f"tag:news.example,2026:{name}-{self._n}-{random.randrange(10**6)}"
            self.entries.setdefault(name, []).append(
                {
                    "guid": guid,
                    "title": title,
                    "summary": summary,
                    "link": f"https://news.example/{name}/{self._n}",
                    "published": self.clock() if dated else None,
                }
            )
            return guid

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        fault = self.take_fault()
        if fault == "timeout":
            return 0, b"", {}
        if fault == "500":
            return 502, b"<html><body>Bad Gateway</body></html>", {"Content-Type": "text/html"}
        if fault == "429":
            return 429, b"Too Many Requests", {"Retry-After": "3", "Content-Type": "text/plain"}
        if fault == "401":
            return 403, b"Forbidden", {"Content-Type": "text/plain"}
        parts = path.strip("/").split("/")
        with self.lock:
            if parts[0] == "search":
                words = query.get("q", "").lower().replace('"', "").split(" or ")
                items = [
                    e
                    for es in self.entries.values()
                    for e in es
                    if any(w.strip() and w.strip() in e["title"].lower() for w in words)
                ]
                atom = False
            elif len(parts) == 2 and parts[0] in ("rss", "atom"):
                items = list(self.entries.get(parts[1], []))
                atom = parts[0] == "atom"
            else:
                return 404, b"Not Found", {"Content-Type": "text/plain"}
        items = list(reversed(items))[: self.length]
        if fault == "reorder":
            items = list(reversed(items)) + items[:2]
        document = _atom(items, fault == "malformed") if atom else _rss(items, fault == "malformed")
        etag = '"' + hashlib.sha256(document.encode()).hexdigest()[:16] + '"'
        dates = [e["published"] for e in items if e["published"]]
        modified = format_datetime(max(dates), usegmt=True) if dates else None
        if headers.get("if-none-match") == etag:
            self.not_modified += 1
            return 304, b"", {"ETag": etag}
        extra = {"ETag": etag, "Content-Type": "application/atom+xml" if atom else "application/rss+xml; charset=utf-8"}
        if modified:
            extra["Last-Modified"] = modified
        return 200, document.encode(), extra


def _rss(items: list[dict[str, Any]], malformed: bool) -> str:
    rows = []
    for n, e in enumerate(items):
        if malformed and n == 1:
            rows.append("<item><description></description></item>")  # nothing to identify or read
        date = f"<pubDate>{format_datetime(e['published'], usegmt=True)}</pubDate>" if e["published"] else ""
        rows.append(
            f"<item><title>{html.escape(e['title'])}</title><link>{e['link']}</link>"
            f'<guid isPermaLink="false">{e["guid"]}</guid>{date}'
            f"<description>{html.escape(e['summary'])}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>News Example</title>'
        f"<link>https://news.example/</link><description>news</description>{''.join(rows)}</channel></rss>"
    )


def _atom(items: list[dict[str, Any]], malformed: bool) -> str:
    rows = []
    for n, e in enumerate(items):
        if malformed and n == 1:
            rows.append("<entry><summary></summary></entry>")
        when = _rfc3339(e["published"]) if e["published"] else None
        dates = f"<published>{when}</published><updated>{when}</updated>" if when else ""
        rows.append(
            f'<entry><title>{html.escape(e["title"])}</title><link href="{e["link"]}"/><id>{e["guid"]}</id>'
            f'{dates}<summary type="html">{html.escape(e["summary"])}</summary>'
            "<author><name>Review Site</name></author></entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Reviews Example</title><id>urn:reviews</id><updated>2026-11-20T12:00:00Z</updated>"
        f"{''.join(rows)}</feed>"
    )


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
