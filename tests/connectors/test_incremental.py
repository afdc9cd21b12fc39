"""The newest-first stream reader shared by Hacker News, Bluesky and Mastodon."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.base import Cursor, Post
from connectors.incremental import Listing, StreamState, read_listing, read_listings
from connectors.settings import ListingSettings

NOW = 1_800_000_000.0
_SETTINGS = ListingSettings()


def _post(name: str, at: float) -> tuple[str, float, Post]:
    return name, at, Post("t", name, "a", "text", datetime.fromtimestamp(at, UTC))


def _pages(*pages: list[tuple[str, float]]):
    def fetch(token, floor):
        index = int(token or 0)
        return pages[index], str(index + 1) if index + 1 < len(pages) else None

    return fetch


def _read(listing: Listing, cursor: Cursor) -> tuple[list[str], Cursor]:
    state = StreamState.load(cursor, "t")
    got, last = [], cursor
    for page in read_listing(
        listing, lambda item: _post(*item), state, overlap=60, max_pages=10, first_floor=None, now=NOW
    ):
        got += [p.post_id for p in page.posts]
        last = page.cursor
    return got, last


def test_a_ranked_listing_reads_past_an_old_item_until_a_whole_page_is_old() -> None:
    _, cursor = _read(Listing("s", _pages([("a", NOW - 1000)])), Cursor())
    ranked = _pages(
        [("old", NOW - 5000), ("b", NOW - 10)], [("c", NOW - 5), ("old2", NOW - 6000)], [("old3", NOW - 7000)]
    )
    got, _ = _read(Listing("s", ranked, newest_first=False), cursor)
    assert got == ["b", "c"]
    got, _ = _read(Listing("s", ranked, newest_first=True), cursor)
    assert got == ["b"], "a newest-first listing stops at the first item older than the floor"


def test_a_post_from_the_future_does_not_push_the_position_past_now() -> None:
    _, cursor = _read(Listing("s", _pages([("future", NOW + 86_400 * 365), ("a", NOW - 10)])), Cursor())
    state = StreamState.load(cursor, "t")
    assert state.positions["s"] == NOW
    got, _ = _read(Listing("s", _pages([("b", NOW + 60), ("future", NOW + 86_400 * 365)])), cursor)
    assert got == ["b"], "posts after the bad one are still read"


def test_streams_no_longer_read_are_forgotten_so_they_do_not_pin_the_overlap_window() -> None:
    stale = Cursor(position='{"search:old-term": 1000.0, "s": 2000.0}', recent_ids=("1000.0:kept-too-long",))
    state = StreamState.load(stale, "t")
    listing = Listing("s", _pages([("a", NOW - 10)]))
    pages = list(read_listings([listing], lambda item: _post(*item), state, _SETTINGS, now=NOW))
    position = pages[-1].cursor.position or ""
    assert "old-term" not in position and "kept-too-long" not in pages[-1].cursor.recent_ids
