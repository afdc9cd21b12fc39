"""The explicit list of sources: platform name -> settings model and connector factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors import bluesky, hn, mastodon, reddit, rss, x
from connectors.base import Connector
from connectors.replay import ReplayConnector, ReplaySettings
from connectors.settings import SourceSettings


@dataclass(frozen=True)
class SourceSpec:
    """How to configure and build one kind of source."""

    settings: type[SourceSettings]
    build: Callable[..., Connector]  # build(settings, clock=...) -> Connector


def _replay(settings: Any, *, clock: Callable[[], datetime]) -> Connector:
    return ReplayConnector(settings, clock=clock)


SOURCES: dict[str, SourceSpec] = {
    "replay": SourceSpec(ReplaySettings, _replay),
    "reddit": SourceSpec(reddit.RedditSettings, reddit.build),
    "x": SourceSpec(x.XSettings, x.build),
    "hn": SourceSpec(hn.HackerNewsSettings, hn.build),
    "bluesky": SourceSpec(bluesky.BlueskySettings, bluesky.build),
    "mastodon": SourceSpec(mastodon.MastodonSettings, mastodon.build),
    "rss": SourceSpec(rss.RssSettings, rss.build),
}
