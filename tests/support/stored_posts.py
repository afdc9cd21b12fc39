"""What a test database holds after polling: post ids per platform, each stored exactly once."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from monitor.storage.engine import make_engine
from monitor.storage.schema import mentions, posts


def stored_post_ids(db_url: str, platforms: Iterable[str]) -> dict[str, list[str]]:
    """Post ids per platform in ``platforms``; fails when any post is recorded as a mention twice."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(posts.c.platform, posts.c.post_id)).all()
        doubled = conn.execute(
            select(func.count()).select_from(mentions).group_by(mentions.c.post_pk).having(func.count() > 1)
        ).all()
    engine.dispose()
    assert not doubled
    out: dict[str, list[str]] = {p: [] for p in platforms}
    for platform, post_id in rows:
        out[platform].append(post_id)
    return out
