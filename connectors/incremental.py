"""Newest-first listings read back to where the last read got to, minus an overlap window.

Hacker News, Bluesky and Mastodon list posts newest first and page backwards.
Each listing ("stream") keeps in the cursor the newest time it has read; the
next read goes back to that time minus ``overlap`` (platforms index late and
reorder a little) and drops repeats with the ids kept in ``recent_ids``.

A stream's position moves only once the stream was read to its end, so a
crash or a 429 mid-read re-reads instead of skipping; posts handed out go into
``recent_ids`` at once, so that re-read does not hand them out again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from connectors.base import Cursor, Page, Post, Rejected
from connectors.settings import ListingSettings

log = logging.getLogger(__name__)

MAX_RECENT_IDS = 500

# One page of a listing: (raw items, token for the next page or None at the end).
FetchPage = Callable[[str | None, float | None], tuple[list[Any], str | None]]
# One raw item as (id, the time it sorts by, Post); raises KeyError/TypeError/ValueError when malformed.
ParseItem = Callable[[Any], tuple[str, float, Post]]


@dataclass(frozen=True)
class Listing:
    """One stream: ``fetch(page_token, floor)`` returns a page of raw items newest first."""

    stream: str
    fetch: FetchPage
    keep: Callable[[Post], bool] = lambda post: True
    # False where the API does not promise newest-first order (a search ranked by relevance):
    # the read then stops only at a page that lies wholly below the floor.
    newest_first: bool = True


class StreamState:
    """Per-stream positions (newest sort time read) and the ids inside the overlap window, as a Cursor."""

    def __init__(self, positions: dict[str, float], recent: dict[str, float], platform: str) -> None:
        self.positions = positions
        self.recent = recent  # id -> sort time
        self.platform = platform

    @classmethod
    def load(cls, cursor: Cursor, platform: str) -> StreamState:
        """Rebuild the state saved by :meth:`cursor` (an unreadable one starts afresh, logged)."""
        positions: dict[str, float] = {}
        if cursor.position:
            try:
                raw = json.loads(cursor.position)
                positions = {str(k): float(v) for k, v in raw.items()}
            except (ValueError, TypeError, AttributeError):
                log.warning("%s: unreadable cursor %r; starting afresh", platform, cursor.position)
        recent = {}
        for item in cursor.recent_ids:
            created, _, name = item.partition(":")  # ids may hold colons (at:// URIs); the time never does
            try:
                recent[name] = float(created)
            except ValueError:
                continue
        return cls(positions, recent, platform)

    def forget_other_streams(self, streams: Iterable[str]) -> None:
        """Drop positions of streams no longer read (a removed term or handle): they would pin the overlap horizon."""
        keep = set(streams)
        self.positions = {k: v for k, v in self.positions.items() if k in keep}

    def advance(self, stream: str, newest: float | None, window: set[tuple[float, str]], *, overlap: float) -> None:
        """A stream was read to its end: move its position and keep only ids still inside some overlap window."""
        if newest is None:
            return
        self.positions[stream] = max(newest, self.positions.get(stream, newest))
        for created, name in window:
            self.recent[name] = created
        horizon = min(self.positions.values()) - overlap
        kept = sorted(((c, n) for n, c in self.recent.items() if c >= horizon), reverse=True)[:MAX_RECENT_IDS]
        self.recent = {n: c for c, n in kept}

    def cursor(self) -> Cursor:
        """The state as a cursor (deterministic: the same state gives an equal cursor)."""
        position = json.dumps(self.positions, sort_keys=True) if self.positions else None
        recent = tuple(f"{c!r}:{n}" for n, c in sorted(self.recent.items(), key=lambda kv: (-kv[1], kv[0])))
        return Cursor(position=position, recent_ids=recent)


def read_listing(
    listing: Listing,
    parse: ParseItem,
    state: StreamState,
    *,
    overlap: float,
    max_pages: int,
    first_floor: float | None,
    now: float,
) -> Iterator[Page]:
    """Yield a page per API page of ``listing``, back to its position minus ``overlap``."""
    start = state.positions.get(listing.stream)
    floor = first_floor if start is None else start - overlap
    newest = start
    seen: set[str] = set()
    window: set[tuple[float, str]] = set()
    token: str | None = None
    reached_floor = False
    for page_no in range(max_pages):
        items, token = listing.fetch(token, floor)
        posts: list[Post] = []
        rejected: list[Rejected] = []
        below = 0
        for item in items:
            try:
                name, created, post = parse(item)
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
                log.warning(
                    "%s %s: malformed item quarantined (%s): %s", state.platform, listing.stream, exc, str(item)[:200]
                )
                rejected.append(Rejected.of(item, exc))
                continue
            if floor is not None and created < floor:
                below += 1
                reached_floor = reached_floor or listing.newest_first
                continue
            # A post "from the future" (a client's wrong clock) must not move the position past this read:
            # every later post would fall below the floor.
            created = min(created, now)
            newest = created if newest is None else max(newest, created)
            if name in seen:  # listings shift while we page: the same item twice
                continue
            seen.add(name)
            if name in state.recent:  # handed out by an earlier read, or by another stream
                window.add((state.recent[name], name))
            elif listing.keep(post):
                window.add((created, name))
                state.recent[name] = created  # a restart mid-read must not hand it out again
                posts.append(post)
        if not listing.newest_first and items and below == len(items) - len(rejected):
            reached_floor = True
        last = reached_floor or token is None or page_no == max_pages - 1
        if last:
            if not reached_floor and token is not None and start is not None:
                log.warning(
                    "%s %s: more than %d pages of new posts since the last read; older ones are missed."
                    " Poll more often or raise max_pages.",
                    state.platform,
                    listing.stream,
                    max_pages,
                )
            state.advance(listing.stream, newest, window, overlap=overlap)
        yield Page(tuple(posts), state.cursor(), tuple(rejected))
        if last:
            return


def read_listings(
    listings: Iterable[Listing], parse: ParseItem, state: StreamState, settings: ListingSettings, *, now: float
) -> Iterator[Page]:
    """:func:`read_listing` over each of ``listings`` in turn, with a source's overlap and page settings."""
    listings = list(listings)
    # A stream new to a cursor that has others (the brand's query or handles changed) starts where they had
    # got to, not a first-read window back: a changed query neither skips posts nor reads old ones again.
    known = [state.positions[listing.stream] for listing in listings if listing.stream in state.positions]
    inherited = min(known or state.positions.values(), default=None)
    state.forget_other_streams(listing.stream for listing in listings)
    overlap = settings.overlap.total_seconds()
    for listing in listings:
        yield from read_listing(
            listing,
            parse,
            state,
            overlap=overlap,
            max_pages=settings.max_pages,
            first_floor=now - settings.first_read_window.total_seconds() if inherited is None else inherited - overlap,
            now=now,
        )
