"""X's real recorded search responses, read through tweepy and the connector's own fetch path.

``search_recent_page2`` is a full page as X sends it with expansions: partial
``errors`` beside good data, retweets cut to ``RT @user: …`` (the full post
is in ``includes.tweets``), HTML-escaped text, ``lang`` ``und``.
``search_recent_default_fields`` is what X sends when no fields are asked
for: only ``id`` and ``text``.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import Post, Query
from connectors.x import XConnector, XSettings, parse_tweet
from tests.conftest import Clock
from tests.connectors.recorded_store import as_row_fields, poll_and_read_rows, read_all
from tests.support.recorded import RecordedServer, recorded_files, recording

ENV = {"X_BEARER_TOKEN": "recorded-bearer"}
PAGE = "x/search_recent_page2.json.xz"
DEFAULT_FIELDS = "x/search_recent_default_fields.json"
SEARCH = "/2/tweets/search/recent"
QUERY = Query("BLM", ("blacklivesmatter",))


def _connector(server: RecordedServer, clock: Clock, **settings: Any) -> XConnector:
    values = {"base_url": server.base_url, "timeout": "2s", "max_pages": 1, **settings}
    return XConnector(XSettings.model_validate(values, context={"env": ENV}), clock=clock)


def _x_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _retweeted(tweet: dict[str, Any]) -> str | None:
    return next((r["id"] for r in tweet.get("referenced_tweets", []) if r["type"] == "retweeted"), None)


def _page(clock: Clock, **settings: Any) -> tuple[list[Post], list[Any], list[Any], list[tuple[str, str, dict]]]:
    with RecordedServer() as server:
        server.serve(SEARCH, PAGE)
        posts, rejected, pages = read_all(_connector(server, clock, **settings), QUERY)
        assert not server.unmatched
        return posts, rejected, pages, server.requests


def test_page_with_retweets_partial_errors_escaped_text_and_und(caplog: pytest.LogCaptureFixture) -> None:
    body = recording(PAGE).json()
    included = {t["id"]: t for t in body["includes"]["tweets"]}
    users = {u["id"]: u for u in body["includes"]["users"]}
    clock = Clock(datetime(2021, 6, 26, 19, 56, 44, tzinfo=UTC))
    with caplog.at_level(logging.INFO, logger="connectors.x"):
        posts, rejected, pages, requests = _page(clock, exclude_retweets=False)
    sent = requests[0][2]
    assert {"referenced_tweets.id", "referenced_tweets.id.author_id"} <= set(sent["expansions"].split(","))
    assert caplog.text.count("partial error") == 4, "X's partial errors are logged, the good data is read"
    assert rejected == []

    own = [t for t in body["data"] if not _retweeted(t)]
    originals = {_retweeted(t) for t in body["data"]} - {None}
    assert (len(body["data"]), len(own), len(originals)) == (100, 25, 54)
    # A retweet is read as the post it repeats, in full (75 retweets of 54 posts): each post once.
    assert sorted(p.post_id for p in posts) == sorted([t["id"] for t in own] + list(originals))
    by_id = {p.post_id: p for p in posts}
    sources = {t["id"]: t for t in own} | {i: included[i] for i in originals}
    for post_id, source in sources.items():
        post = by_id[post_id]
        assert post.text == source["text"].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        assert not re.search(r"&(amp|lt|gt);", post.text)
        assert not post.text.startswith("RT @") and not post.text.endswith("…")
        assert post.created_at == _x_time(source["created_at"]) and post.created_at.utcoffset() == timedelta(0)
        user = users[source["author_id"]]
        assert (post.author, post.author_id) == (user["username"], source["author_id"])
        assert post.url == f"https://x.com/{user['username']}/status/{post_id}"
        assert post.thread_id == source["conversation_id"]
        assert post.lang == (None if source["lang"] == "und" else source["lang"])
        assert post.metrics["followers"] == user["public_metrics"]["followers_count"]
        assert post.metrics["likes"] == source["public_metrics"]["like_count"]
        replied = [r["id"] for r in source.get("referenced_tweets", []) if r["type"] == "replied_to"]
        assert post.reply_to == (replied[0] if replied else None)
        assert post.extra.get("in_reply_to_user_id") == source.get("in_reply_to_user_id")
    assert sum(p.lang is None for p in posts) == sum(s["lang"] == "und" for s in sources.values()) == 6
    replies = [p for p in posts if p.reply_to]
    assert len(replies) == 12, "the page's 8 replies and 4 among the retweeted posts"

    assert by_id["1408874017700958220"].text.startswith(
        "When are we going to remove the #NCAA from collegiate sports? They offer zero value, are inconsistent & are"
    )
    janet = by_id["1406740186252328960"]  # retweeted by 1408874420295323650 as "RT @meiklwagner: … A&amp;M …"
    assert "1408874420295323650" not in by_id
    assert janet.text.startswith("Janet Jackson Control | THE VISUAL ALBUM - Janet Jackson, 2021, A&M Records.\n")
    assert janet.text.endswith("#California #EndSARS https://t.co/KyQ4TNFOCd")
    assert (janet.author, janet.created_at) == ("meiklwagner", datetime(2021, 6, 20, 22, 26, 11, tzinfo=UTC))
    reply = by_id["1408874109119959043"]
    assert reply == Post(
        platform="x",
        post_id="1408874109119959043",
        author="Maebe65509291",
        text=sources["1408874109119959043"]["text"],
        created_at=datetime(2021, 6, 26, 19, 45, 37, tzinfo=UTC),
        url="https://x.com/Maebe65509291/status/1408874109119959043",
        reply_to="1408869916330057733",
        thread_id="1408869916330057733",
        author_id="1220048833406734337",
        lang="en",
        metrics={"followers": 1887, "likes": 0, "replies": 0, "retweets": 0, "quotes": 0},
        extra={"in_reply_to_user_id": "1134229565000355840"},
    )
    position = json.loads(pages[-1].cursor.position or "{}")
    assert position["next_token"] == body["meta"]["next_token"], "one page read: the resume point is kept"


def test_default_fields_page_takes_the_time_from_the_snowflake_and_leaves_the_author_unknown() -> None:
    body = recording(DEFAULT_FIELDS).json()
    clock = Clock(datetime(2022, 10, 7, 23, 7, 42, tzinfo=UTC))
    with RecordedServer() as server:
        server.serve(SEARCH, DEFAULT_FIELDS)
        connector = _connector(server, clock)
        posts, rejected, _ = read_all(connector, Query("Tweepy", ("tweepy",)))
        assert not server.unmatched
    assert rejected == []
    assert [p.post_id for p in posts] == [t["id"] for t in body["data"]]
    for post, tweet in zip(posts, body["data"], strict=True):
        assert post.text == tweet["text"]
        assert (post.author, post.author_id, post.thread_id, post.lang) == ("", None, None, None)
        assert post.url == f"https://x.com/i/status/{tweet['id']}"
        milliseconds = (int(tweet["id"]) >> 22) + 1_288_834_974_657  # X's snowflake epoch
        assert post.created_at == datetime.fromtimestamp(milliseconds / 1000, UTC)
    # The bot that posted these wrote its own clock into the text: the snowflake time agrees.
    stamped = next(p for p in posts if p.post_id == "1578522108187283456")
    written = datetime.fromisoformat(stamped.text.removesuffix(" tweepy")).replace(tzinfo=UTC)
    assert abs(stamped.created_at - written) < timedelta(seconds=2)


def test_escaped_text_is_unescaped_exactly_once() -> None:
    tweet = {"id": "1408874017700958220", "text": "a &amp;lt;b&amp;gt; &lt;c&gt; &amp;amp; &quot;d&quot; &#39;"}
    post = parse_tweet(tweet, {})
    assert post.text == "a &lt;b&gt; <c> &amp; &quot;d&quot; &#39;", "X escapes only &, < and >, once"


def test_rate_limit_headers_of_the_recording_leave_the_window_open() -> None:
    clock = Clock(datetime(2022, 10, 7, 23, 7, 42, tzinfo=UTC))
    with RecordedServer() as server:
        server.serve(SEARCH, DEFAULT_FIELDS)
        connector = _connector(server, clock)
        read_all(connector, Query("Tweepy", ("tweepy",)))
        read_all(connector, Query("Tweepy", ("tweepy",)))
        assert len(server.requests) == 2, "449 of 450 left: the second read is sent"


def test_stored_rows_equal_the_posts_read_from_the_recorded_page(db_url: str) -> None:
    clock = Clock(datetime(2021, 6, 26, 19, 56, 44, tzinfo=UTC))
    with RecordedServer() as server:
        server.serve(SEARCH, PAGE)
        expected, _, _ = read_all(_connector(server, clock, exclude_retweets=False), QUERY)
        connector = _connector(server, clock, exclude_retweets=False)
        result, rows = poll_and_read_rows(db_url, connector, source="x", terms=["blacklivesmatter"], clock=clock)
    assert result.error is None and result.new_posts == len(expected) == 79
    for post in expected:
        assert {k: rows[post.post_id][k] for k in as_row_fields(post)} == as_row_fields(post)


def test_every_x_recording_is_read_by_these_tests() -> None:
    assert recorded_files("x") == {PAGE, DEFAULT_FIELDS}
