"""``brand-monitor query test --brand B [--days N]``: what a changed query would keep, on the posts already stored.

Edit the brand's ``query`` (or ``terms``, exclusions) in the config, then run this
before restarting the daemon: every post stored in the last ``--days`` days (for
any brand) is checked with the config's query, the same check the daemon runs on
fetched posts, and compared with what is stored as the brand's mentions now:

- ``+`` would match and is not a mention of the brand yet (the new query widens);
- ``-`` is a mention now and would no longer match (the new query narrows).

It also prints what each enabled source would send its platform for the query
(or why it cannot), as check-config checks it.

Only stored posts can be checked: a post no brand's query ever fetched is not here.
Nothing is written; a query change takes effect at the daemon's next poll, from
the cursors it has (no post is read twice or skipped).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, select

from connectors.base import Post, SourceError
from connectors.registry import SOURCES
from monitor.brand_filter import BrandFilter
from monitor.config import Config
from monitor.pipeline import all_handles
from monitor.storage.schema import mentions, posts

EXIT_OK, EXIT_USAGE = 0, 2
TEXT_WIDTH = 100
SHOWN = 50  # posts listed per side; the counts cover all


class QueryTestUsageError(ValueError):
    """A brand the config does not have."""


@dataclass
class QueryDiff:
    """The stored posts of the window, by what the config's query says of them."""

    checked: int = 0
    kept: int = 0  # mentions now, and still matching
    gained: list[Post] = field(default_factory=list)
    lost: list[Post] = field(default_factory=list)


def compare(config: Config, *, brand: str, days: int, engine: Engine, now: datetime) -> QueryDiff:
    """Check every post stored since ``now - days`` against ``brand``'s configured query and exclusions."""
    names = [b.name for b in config.brands]
    if brand not in names:
        raise QueryTestUsageError(f"unknown brand {brand!r}; the config has {', '.join(names)}")
    settings = config.brand(brand)
    check = BrandFilter(settings, all_handles(settings))
    diff = QueryDiff()
    for post, is_mention in _stored(engine, brand=brand, since=now - timedelta(days=days)):
        diff.checked += 1
        matches = check.keeps(post)
        if matches and is_mention:
            diff.kept += 1
        elif matches:
            diff.gained.append(post)
        elif is_mention:
            diff.lost.append(post)
    return diff


def _stored(engine: Engine, *, brand: str, since: datetime) -> Iterator[tuple[Post, bool]]:
    joined = posts.outerjoin(mentions, and_(mentions.c.post_pk == posts.c.id, mentions.c.brand == brand))
    query = (
        select(posts, mentions.c.brand.label("mention"))
        .select_from(joined)
        .where(posts.c.created_at >= since)
        .order_by(posts.c.created_at, posts.c.id)
    )
    with engine.connect() as conn:
        for row in conn.execute(query).yield_per(500):
            post = Post(
                platform=row.platform,
                post_id=row.post_id,
                author=row.author,
                text=row.text,
                created_at=row.created_at,
                url=row.url,
                lang=row.lang or row.platform_lang,  # the detected language, as the daemon's check would find it
                extra=row.extra or {},
            )
            yield post, row.mention is not None


def searches(config: Config, brand: str) -> dict[str, list[str] | str]:
    """What each enabled source would send its platform for ``brand``: its searches, or why it cannot."""
    settings = config.brand(brand)
    out: dict[str, list[str] | str] = {}
    for platform, source in config.enabled_sources().items():
        translate = SOURCES[platform].searches
        if translate is None or (source.brands is not None and brand not in source.brands):
            continue
        try:
            out[platform] = translate(settings.search_query(platform, settings.handles_on(platform)), source)
        except SourceError as exc:
            out[platform] = f"cannot search: {exc}"
    return out


def run(
    config: Config,
    *,
    brand: str,
    days: int,
    engine: Engine,
    clock: Callable[[], datetime],
    write: Callable[[str], None],
    as_json: bool = False,
) -> int:
    """The command: a summary line, then the posts that would be gained (+) and lost (-)."""
    diff = compare(config, brand=brand, days=days, engine=engine, now=clock())
    if as_json:
        write(
            json.dumps(
                {
                    "brand": brand,
                    "days": days,
                    "checked": diff.checked,
                    "still_matching": diff.kept,
                    "would_match": [_record(p) for p in diff.gained],
                    "would_no_longer_match": [_record(p) for p in diff.lost],
                    "searches": searches(config, brand),
                },
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    write(
        f"{brand}: {diff.checked} posts stored in the last {days} day(s); {diff.kept} mentions still match,"
        f" {len(diff.gained)} would match (+), {len(diff.lost)} would no longer match (-)"
    )
    for platform, sent in searches(config, brand).items():
        for line in [sent] if isinstance(sent, str) else sent or ["nothing (platform: leaves it out)"]:
            write(f"  {platform} sends: {line}")
    for sign, listed in (("+", diff.gained), ("-", diff.lost)):
        for post in listed[:SHOWN]:
            write(f"{sign} {post.created_at:%Y-%m-%d %H:%M} {post.platform}:{post.post_id} {_line(post.text)}")
        if len(listed) > SHOWN:
            write(f"{sign} … and {len(listed) - SHOWN} more (--json lists all)")
    return EXIT_OK


def _record(post: Post) -> dict[str, str | None]:
    return {
        "platform": post.platform,
        "id": post.post_id,
        "created_at": post.created_at.isoformat(),
        "author": post.author,
        "url": post.url,
        "text": post.text,
    }


def _line(text: str) -> str:
    """Post text on one line, shortened: it is untrusted and goes to a terminal (control characters went at storage)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= TEXT_WIDTH else flat[: TEXT_WIDTH - 1] + "…"
