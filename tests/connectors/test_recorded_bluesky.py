"""Bluesky's real recorded XRPC answers, read through the connector's own fetch path.

``searchPosts_page`` (100 posts, ``cursor`` "100") then ``searchPosts_last``
(no ``cursor`` key): four ``createdAt`` formats, link facets indexed by UTF-8
byte offsets in non-ASCII text, records without ``langs``. ``getAuthorFeed``:
reposts (someone else's posts, skipped) and replies.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Post, Query
from connectors.bluesky import BlueskyConnector, BlueskySettings
from tests.conftest import Clock
from tests.connectors.recorded_store import as_row_fields, poll_and_read_rows, read_all
from tests.support.recorded import RecordedServer, recorded_files, recording

PAGE = "bluesky/searchPosts_page.json.xz"
LAST = "bluesky/searchPosts_last.json"
FEED = "bluesky/getAuthorFeed_page.json.xz"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
AUTHOR_FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
RECORDED_AT = datetime(2025, 7, 4, 8, 48, 32, tzinfo=UTC)
LINK = "app.bsky.richtext.facet#link"
# Link facets whose text is the writer's own words, not a shortened URL: kept as written.
WORDS_NOT_URLS = {"democracy", "ukraine", "gaza", "madsen", "nsc", "7/4", "sgp", "corbyn", "kagan", "diogo"}
WORDS_NOT_URLS |= {"\n\n[Original post on fediscience.org]"}


def _connector(server: RecordedServer, **settings: Any) -> BlueskyConnector:
    values = {"base_url": server.base_url, "timeout": "2s", "first_read_window": "400d", **settings}
    return BlueskyConnector(BlueskySettings.model_validate(values), clock=Clock(RECORDED_AT))


def _search(server: RecordedServer) -> None:
    server.serve(SEARCH, PAGE, when=lambda q: "cursor" not in q)
    server.serve(SEARCH, LAST, when=lambda q: q.get("cursor") == "100")


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _links(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(shown text, URL) of each link facet, cut from the text by byte offsets."""
    data = record["text"].encode()
    return [
        (data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(), feature["uri"])
        for f in record.get("facets", [])
        for feature in f["features"]
        if feature["$type"] == LINK
    ]


def test_search_pages_every_post_with_utc_times_full_links_threads_and_languages() -> None:
    views = recording(PAGE).json()["posts"] + recording(LAST).json()["posts"]
    with RecordedServer() as server:
        _search(server)
        posts, rejected, pages = read_all(_connector(server), Query("R", ("rstats",)))
        cursors = [q.get("cursor") for _, _, q in server.requests]
        assert not server.unmatched
    assert cursors == [None, "100"], "the page's cursor is followed; the last page has no cursor key and ends it"
    assert rejected == []
    assert [p.post_id for p in posts] == [v["uri"] for v in views]
    assert len(pages) == 2
    formats = set()
    cut_links = 0
    for post, view in zip(posts, views, strict=True):
        record, author = view["record"], view["author"]
        formats.add(len(record["createdAt"]))
        assert post.created_at == _time(record["createdAt"]) and post.created_at.utcoffset() == timedelta(0)
        assert (post.author, post.author_id) == (author["handle"], author["did"])
        assert post.url == f"https://bsky.app/profile/{author['handle']}/post/{view['uri'].rsplit('/', 1)[1]}"
        reply = record.get("reply")
        assert post.reply_to == (reply["parent"]["uri"] if reply else None)
        assert post.thread_id == (reply["root"]["uri"] if reply else view["uri"])
        assert post.lang == (record.get("langs") or [None])[0]
        assert post.metrics == {
            "likes": view["likeCount"],
            "reposts": view["repostCount"],
            "replies": view["replyCount"],
            "quotes": view["quoteCount"],
        }
        assert post.extra.get("display_name") == (author.get("displayName") or None)
        for shown, url in _links(record):
            if shown in WORDS_NOT_URLS:
                assert shown in post.text
            else:
                assert url in post.text, f"{view['uri']}: {shown!r} is {url}"
                cut_links += shown.endswith(("...", "…"))
    assert formats == {24, 32, 25, 27}, "Z with ms, +00:00 with µs, an offset (-05:00), Z with µs"
    assert cut_links == 13, "links shown cut with ... (8 of them in non-ASCII posts) are stored whole"
    by_id = {p.post_id: p for p in posts}
    spanish = by_id["at://did:plc:3bfvz4wlaorselnixiesbeqk/app.bsky.feed.post/3lt4ozug2322q"]
    assert spanish.text == (
        "¡Conoce a la nueva cohorte de campeones de @ropensci.org! 🤩 \n\n"
        "https://ropensci.org/es/blog/2025/07/03/champions-2025/\n\n#RStats"
    )
    assert (spanish.lang, spanish.created_at) == ("es", datetime(2025, 7, 4, 7, 14, 45, 201000, tzinfo=UTC))
    offset = next(p for p, v in zip(posts, views, strict=True) if v["record"]["createdAt"].endswith("-05:00"))
    assert offset.created_at.tzinfo is UTC


def test_author_feed_skips_reposts_and_keeps_replies_in_their_threads() -> None:
    feed = recording(FEED).json()["feed"]
    with RecordedServer() as server:
        server.serve(AUTHOR_FEED, FEED, when=lambda q: q.get("actor") == "andrew.heiss.phd")
        # One page: its cursor is a time, and the next page was not recorded.
        connector = _connector(server, max_pages=1)
        posts, rejected, _ = read_all(connector, Query("Heiss", (), handles=("andrew.heiss.phd",)))
        sent = server.requests[0][2]
        assert not server.unmatched
    assert sent["filter"] == "posts_with_replies"
    own = [item for item in feed if "reason" not in item]
    assert (len(feed), len(own)) == (25, 15), "10 reposts of other people's posts: not the brand speaking"
    assert rejected == []
    assert [p.post_id for p in posts] == [item["post"]["uri"] for item in own]
    assert {p.author for p in posts} == {"andrew.heiss.phd"}
    replies = [p for p in posts if p.reply_to]
    assert len(replies) == sum(1 for item in own if "reply" in item["post"]["record"]) == 8
    for post, item in zip(posts, own, strict=True):
        reply = item["post"]["record"].get("reply")
        if reply:
            assert (post.reply_to, post.thread_id) == (reply["parent"]["uri"], reply["root"]["uri"])


def test_last_page_alone_has_no_cursor_and_one_post() -> None:
    [view] = recording(LAST).json()["posts"]
    with RecordedServer() as server:
        server.serve(SEARCH, LAST)
        posts, rejected, _ = read_all(_connector(server), Query("R", ("atrrr",)))
        assert len(server.requests) == 1 and not server.unmatched
    assert rejected == []
    assert posts == [
        Post(
            platform="bluesky",
            post_id=view["uri"],
            author="jbgruber.bsky.social",
            text=view["record"]["text"],
            created_at=datetime(2024, 12, 6, 10, 40, 32, 629646, tzinfo=UTC),
            url="https://bsky.app/profile/jbgruber.bsky.social/post/3lcmymlgxwa2t",
            reply_to=None,
            thread_id=view["uri"],
            author_id="did:plc:ntd53albt5ffa4rgervvgibd",
            lang=None,  # langs []
            metrics={"likes": 13, "reposts": 5, "replies": 3, "quotes": 0},
            extra={"cid": view["cid"], "display_name": "Johannes B. Gruber"},
        )
    ]


def test_stored_rows_equal_the_posts_read_from_the_recorded_pages(db_url: str) -> None:
    with RecordedServer() as server:
        _search(server)
        expected, _, _ = read_all(_connector(server), Query("Acme", ("rstats",)))
        connector = _connector(server)
        clock = Clock(RECORDED_AT)
        result, rows = poll_and_read_rows(db_url, connector, source="bluesky", terms=["rstats"], clock=clock)
    # Bluesky's search also returns a post whose text never says "rstats" (matched on something else): the
    # brand's local check leaves it out, so every source gives the same answer for the same post.
    mentions = [p for p in expected if "rstats" in p.text.lower()]
    assert len(expected) == 101 and len(mentions) == 100
    assert result.error is None and result.new_posts == 100 and result.left_out == 1
    assert set(rows) == {p.post_id for p in mentions}
    for post in mentions:
        assert {k: rows[post.post_id][k] for k in as_row_fields(post)} == as_row_fields(post)


def test_every_bluesky_recording_is_read_by_these_tests() -> None:
    assert recorded_files("bluesky") == {PAGE, LAST, FEED}
