"""Poll one connector through the real pipeline into a real database and read back the stored rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from connectors.base import Connector, Cursor, Page, Post, Query, Rejected
from models.base import Sentiment
from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from monitor.pipeline import PollResult
from monitor.storage.schema import posts


class _Neutral:
    def classify(self, texts: list[str]) -> list[Sentiment]:
        return [Sentiment("neutral", 0.9, 0.05) for _ in texts]


def poll_and_read_rows(
    db_url: str,
    connector: Connector,
    *,
    source: str,
    terms: Iterable[str],
    handles: dict[str, str] | None = None,
    clock: Callable[[], datetime],
) -> tuple[PollResult, dict[str, dict[str, Any]]]:
    """One ``pipeline.poll`` of ``connector`` for brand "Acme"; the stored rows by ``post_id``."""
    config = parse_config(
        {
            "storage": {"url": db_url},
            "slack": {"console": True},
            "brands": [{"name": "Acme", "terms": list(terms), "handles": handles or {}}],
        },
        env={},
    )
    app = bootstrap(config, clock=clock, classifier=_Neutral(), connectors={source: connector})
    try:
        result = app.pipeline.poll(source, app.connectors[source], app.config.brand("Acme"))
        with app.engine.connect() as conn:
            rows = {r.post_id: dict(r._mapping) for r in conn.execute(select(posts))}
    finally:
        app.engine.dispose()
    return result, rows


def as_row_fields(post: Post) -> dict[str, Any]:
    """The columns a stored post must hold, as the connector handed the post over."""
    return {
        "platform": post.platform,
        "author": post.author,
        "author_id": post.author_id,
        "text": post.text,
        "url": post.url,
        "created_at": post.created_at,
        "reply_to": post.reply_to,
        "thread_id": post.thread_id,
        "metrics": dict(post.metrics),
        "extra": dict(post.extra),
        "platform_lang": post.lang,
    }


def read_all(connector: Connector, query: Query) -> tuple[list[Post], list[Rejected], list[Page]]:
    """Every post and rejected item of one first read (an empty cursor), and its pages."""
    pages = list(connector.fetch(query, Cursor()))
    return [p for page in pages for p in page.posts], [r for page in pages for r in page.rejected], pages
