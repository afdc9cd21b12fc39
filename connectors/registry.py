"""The explicit list of sources: platform name -> settings model, connector factory and re-parse hook."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors import bluesky, hn, mastodon, reddit, replay, rss, x
from connectors.base import Connector, Post, Query
from connectors.replay import ReplayConnector, ReplaySettings
from connectors.settings import SourceSettings


@dataclass(frozen=True)
class SourceSpec:
    """How to configure and build one kind of source, and read one of its quarantined items again."""

    settings: type[SourceSettings]
    build: Callable[..., Connector]  # build(settings, clock=...) -> Connector
    # reparse(item, now) -> Post: one item the connector handed back as ``Rejected`` (its raw JSON, decoded),
    # through the same parser, so that `brand-monitor quarantine retry` benefits from a parser fix.
    reparse: Callable[[Any, datetime], Post]
    # searches(query, settings) -> what the source would ask its platform for this brand (one entry per request
    # kind); raises SourceError when the query cannot be sent (too long, too many alternatives). None: no search.
    searches: Callable[[Query, Any], list[str]] | None = None


def _replay(settings: Any, *, clock: Callable[[], datetime]) -> Connector:
    return ReplayConnector(settings, clock=clock)


def _replay_line(item: Any, now: datetime) -> Post:
    """Replay quarantines the line's text; a post refused at storage is kept as a replay-format object."""
    return replay.parse_post(json.loads(item) if isinstance(item, str) else item)


def _reddit_thing(item: Any, now: datetime) -> Post:
    return reddit.parse_thing(item)[2]


def _x_tweet(item: Any, now: datetime) -> Post:
    # The page's `includes.users` is not kept with a tweet: the retried post names its author by id.
    return x.parse_tweet(item, {})


def _hn_hit(item: Any, now: datetime) -> Post:
    return hn.parse_hit(item)[2]


def _bluesky_view(item: Any, now: datetime) -> Post:
    return bluesky.parse_post_view(item)[2]


def _mastodon_status(item: Any, now: datetime) -> Post:
    instance, status, _own = item  # the listing's item: (instance URL, status, from the brand's own account)
    return mastodon.parse_status(status, host=urllib.parse.urlsplit(str(instance)).netloc.lower())[2]


def _rss_entry(item: Any, now: datetime) -> Post:
    # The feed's title is not kept with an entry: the retried post names "rss" as its feed.
    return rss.parse_entry(item, feed="rss", now=now)


def _bluesky_searches(query: Query, settings: Any) -> list[str]:
    return [f"q={q}" + (f" lang={lang}" if lang else "") for q, lang in bluesky.search_clauses(query).values()]


def _rss_searches(query: Query, settings: Any) -> list[str]:
    text = rss.feed_query(query)
    return [] if text is None else [f"{{query}} = {text}"]


SOURCES: dict[str, SourceSpec] = {
    "replay": SourceSpec(ReplaySettings, _replay, _replay_line),
    "reddit": SourceSpec(
        reddit.RedditSettings, reddit.build, _reddit_thing, lambda q, s: reddit.search_queries(q)
    ),
    "x": SourceSpec(x.XSettings, x.build, _x_tweet, x.build_queries),
    "hn": SourceSpec(hn.HackerNewsSettings, hn.build, _hn_hit, lambda q, s: list(hn.search_words(q).values())),
    "bluesky": SourceSpec(bluesky.BlueskySettings, bluesky.build, _bluesky_view, _bluesky_searches),
    "mastodon": SourceSpec(
        mastodon.MastodonSettings,
        mastodon.build,
        _mastodon_status,
        lambda q, s: list(mastodon.search_clauses(q).values()),
    ),
    "rss": SourceSpec(rss.RssSettings, rss.build, _rss_entry, _rss_searches),
}
