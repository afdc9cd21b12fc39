"""Reddit's real recorded responses, read through praw and the connector's own fetch path.

The local server answers the token request and the listings with bodies
Reddit really sent (tests/support/recorded.py). Every stored field is checked
against the payload: fullnames, UTC times from ``created_utc`` (``created`` is
8 hours off), authors, threads, scores (hidden ones are not stored as if they
were real), permalinks, and external links of link posts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import Post, Query, RateLimited
from connectors.reddit import RedditConnector, RedditSettings
from tests.conftest import Clock
from tests.connectors.recorded_store import as_row_fields, poll_and_read_rows, read_all
from tests.support.recorded import RecordedServer, recorded_files, recording
from values.textfold import contains_phrase

ENV = {"REDDIT_CLIENT_ID": "recorded-app", "REDDIT_CLIENT_SECRET": "recorded-secret"}
PAGE = "reddit/subreddit_comments_page.json.xz"
LAST = "reddit/subreddit_comments_last.json"
EMPTY = "reddit/subreddit_comments_empty.json"
SEARCH = "reddit/search_posts.json.xz"
USER_COMMENTS = "reddit/user_comments.json"
ABOUT = "reddit/user_about.json"
TOKEN = "reddit/access_token.json"


def _children(file: str) -> list[dict[str, Any]]:
    return [c["data"] for c in recording(file).json()["data"]["children"]]


def _at(epoch: float, *, plus: timedelta = timedelta(minutes=5)) -> Clock:
    return Clock(datetime.fromtimestamp(epoch, UTC) + plus)


def _connector(server: RecordedServer, clock: Clock, **settings: Any) -> RedditConnector:
    values = {"base_url": server.base_url, "auth_url": server.base_url, "timeout": "2s", **settings}
    return RedditConnector(RedditSettings.model_validate(values, context={"env": ENV}), clock=clock)


def _requests(server: RecordedServer) -> list[tuple[str, str, dict[str, str]]]:
    return [r for r in server.requests if r[1] != "/api/v1/access_token"]


def test_comments_page_every_comment_read_from_created_utc_with_its_thread() -> None:
    children = _children(PAGE)
    clock = _at(max(c["created_utc"] for c in children))
    with RecordedServer() as server:
        server.serve("/api/v1/access_token", TOKEN, method="POST")
        server.serve("/r/AskReddit/search", EMPTY)
        server.serve("/r/AskReddit/comments", PAGE, when=lambda q: "after" not in q)
        server.serve("/r/AskReddit/comments", EMPTY, when=lambda q: q.get("after") == "t1_fxl1nct")
        connector = _connector(server, clock, subreddits=["AskReddit"])
        posts, rejected, _ = read_all(connector, Query("Germany", ("germany", "german")))
        sent = _requests(server)
        assert not server.unmatched
    mentioning = [c for c in children if contains_phrase(c["body"], "germany") or contains_phrase(c["body"], "german")]
    assert rejected == []
    # Every comment is read; those that do not mention the terms are dropped by the local match (documented).
    assert [p.post_id for p in posts] == [f"t1_{c['id']}" for c in mentioning]
    assert len(mentioning) == 8
    assert all(q.get("raw_json") == "1" for _, _, q in sent), "raw_json=1: bodies come without HTML entities"
    by_id = {p.post_id: p for p in posts}
    for c in mentioning:
        post = by_id[f"t1_{c['id']}"]
        assert post.created_at == datetime.fromtimestamp(c["created_utc"], UTC)
        assert post.created_at.utcoffset() == timedelta(0)
        assert c["created"] - c["created_utc"] == 28800, "the recording's `created` is 8 h off UTC"
        assert (post.author, post.text, post.reply_to, post.thread_id) == (
            c["author"],
            c["body"],
            c["parent_id"],
            c["link_id"],
        )
        assert post.url == f"https://www.reddit.com{c['permalink']}"
        assert c["score_hidden"] and "score" not in post.metrics, "a hidden score (always 1) is not a score"
    assert by_id["t1_fxl1p7i"] == Post(
        platform="reddit",
        post_id="t1_fxl1p7i",
        author="ej8567x",
        text="The Germans are a very resilient group. I have no clue how they bounced back after WW1.   \n\n\n"
        "The German War Machine",
        created_at=datetime(2020, 7, 10, 23, 45, 17, tzinfo=UTC),
        url="https://www.reddit.com/r/AskReddit/comments/hoocpo/dear_non_germans_what_do_you_think_of_germany/fxl1p7i/",
        reply_to="t1_fxj90f6",
        thread_id="t3_hoocpo",
        author_id="t2_6m1ddvus",
        metrics={},
        extra={
            "subreddit": "AskReddit",
            "kind": "comment",
            "link_title": "Dear non Germans: What do you think of Germany?",
        },
    )


def test_last_page_without_after_ends_the_listing_and_all_three_are_read() -> None:
    children = _children(LAST)
    clock = _at(children[0]["created_utc"])
    with RecordedServer() as server:
        server.serve("/api/v1/access_token", TOKEN, method="POST")
        server.serve("/r/AskReddit/search", EMPTY)
        server.serve("/r/AskReddit/comments", LAST)
        connector = _connector(server, clock, subreddits=["AskReddit"])
        posts, rejected, pages = read_all(connector, Query("Any", ("money", "business", "movie", "history")))
        comment_reads = [r for r in server.requests if r[1] == "/r/AskReddit/comments"]
        assert not server.unmatched
    assert len(comment_reads) == 1, "`after` null: no further page is asked for"
    assert rejected == []
    assert [p.post_id for p in posts] == ["t1_gjo46ch", "t1_gjo46bj", "t1_gjo46be"]
    assert {p.created_at for p in posts} == {datetime(2021, 1, 18, 0, 43, 35, tzinfo=UTC)}
    cursor = pages[-1].cursor
    assert json.loads(cursor.position or "{}")["comments"] == 1610930615.0
    assert {i.partition(":")[2] for i in cursor.recent_ids} == {p.post_id for p in posts}


def test_search_posts_link_posts_keep_title_score_and_external_link() -> None:
    children = _children(SEARCH)
    clock = _at(max(c["created_utc"] for c in children))
    with RecordedServer() as server:
        server.serve("/api/v1/access_token", TOKEN, method="POST")
        server.serve("/r/all/search", SEARCH, when=lambda q: "after" not in q)
        server.serve("/r/all/search", EMPTY, when=lambda q: q.get("after") == "t3_hmwhd7")
        connector = _connector(server, clock, first_read_window="30d")
        posts, rejected, _ = read_all(connector, Query("Tests", ("test",)))
        search = next(q for _, p, q in server.requests if p == "/r/all/search")
        assert not server.unmatched
    assert search["q"] == '"test"' and search["sort"] == "new"
    assert rejected == []
    # Reddit's search stems ("tests" for "test") and is trusted: both results are kept.
    assert [p.post_id for p in posts] == ["t3_hybow9", "t3_hmwhd7"]
    bolsonaro = posts[1]
    assert bolsonaro == Post(
        platform="reddit",
        post_id="t3_hmwhd7",
        author="Jeremy_Martin",
        text="Brazilian president Jair Bolsonaro tests positive for coronavirus",
        created_at=datetime(2020, 7, 7, 15, 19, 42, tzinfo=UTC),
        url="https://www.reddit.com/r/worldnews/comments/hmwhd7/brazilian_president_jair_bolsonaro_tests_positive/",
        reply_to=None,
        thread_id="t3_hmwhd7",
        author_id="t2_wgrkg",
        metrics={"score": 149238, "comments": 7415},
        extra={
            "subreddit": "worldnews",
            "kind": "submission",
            "link": "https://www.theguardian.com/world/2020/jul/07/jair-bolsonaro-coronavirus-positive-test-brazil-president",
        },
    )
    assert posts[0].extra["link"] == "https://v.redd.it/ra4qnt8bt8d51"
    for post, child in zip(posts, children, strict=True):
        assert post.created_at == datetime.fromtimestamp(child["created_utc"], UTC)
        assert post.created_at != datetime.fromtimestamp(child["created"], UTC)


def test_brand_comments_listing_and_karma_of_authors() -> None:
    children = _children(USER_COMMENTS)
    clock = _at(children[0]["created_utc"])
    with RecordedServer() as server:
        server.serve("/api/v1/access_token", TOKEN, method="POST")
        server.serve("/r/all/search", EMPTY)
        server.serve("/user/v_95/comments", USER_COMMENTS, when=lambda q: "after" not in q)
        # The saved page says `after` t1_f0zsa37 although nothing follows: the next page is empty.
        server.serve("/user/v_95/comments", EMPTY, when=lambda q: q.get("after") == "t1_f0zsa37")
        server.serve("/user/v_95/about", ABOUT)  # AutoModerator's account, served for v_95: the shape is what counts
        connector = _connector(server, clock, author_karma=True)
        posts, rejected, _ = read_all(connector, Query("Apollo", ("apollo",), handles=("v_95",)))
        assert not server.unmatched
    assert rejected == []
    [post] = posts
    assert (post.post_id, post.author, post.text) == ("t1_f0zsa37", "v_95", "Thank you!")
    assert (post.reply_to, post.thread_id) == ("t3_d7ejpn", "t3_d7ejpn")
    assert post.created_at == datetime(2019, 9, 21, 21, 38, 16, tzinfo=UTC)
    about = recording(ABOUT).json()["data"]
    assert post.metrics == {
        "score": 1,
        "link_karma": about["link_karma"],
        "comment_karma": about["comment_karma"],
    }


def test_float_rate_limit_headers_are_read_and_a_spent_window_stops_requests() -> None:
    children = _children(LAST)
    clock = _at(children[0]["created_utc"])
    spent = {"x-ratelimit-remaining": "0.0", "x-ratelimit-used": "600", "x-ratelimit-reset": "3"}
    with RecordedServer() as server:
        server.serve("/api/v1/access_token", TOKEN, method="POST")
        server.serve("/r/AskReddit/search", EMPTY, headers=spent)
        server.serve("/r/AskReddit/comments", LAST)
        connector = _connector(server, clock, subreddits=["AskReddit"])
        with pytest.raises(RateLimited) as raised:
            read_all(connector, Query("Any", ("money",)))
        assert [p for _, p, _ in _requests(server)] == ["/r/AskReddit/search"], "nothing sent in a spent window"
    assert raised.value.retry_after == pytest.approx(3, abs=1)


def test_stored_rows_equal_the_recorded_comments(db_url: str) -> None:
    children = _children(LAST)
    clock = _at(children[0]["created_utc"])
    with RecordedServer() as server:
        server.serve("/api/v1/access_token", TOKEN, method="POST")
        server.serve("/r/AskReddit/search", EMPTY)
        server.serve("/r/AskReddit/comments", LAST)
        connector = _connector(server, clock, subreddits=["AskReddit"])
        expected, _, _ = read_all(_connector(server, clock, subreddits=["AskReddit"]), Query("Acme", ("money",)))
        result, rows = poll_and_read_rows(db_url, connector, source="reddit", terms=["money"], clock=clock)
    assert result.error is None and result.new_posts == 1
    [post] = expected
    assert post.post_id == "t1_gjo46bj"
    assert {k: rows[post.post_id][k] for k in as_row_fields(post)} == as_row_fields(post)
    assert rows[post.post_id]["created_at"].utcoffset() == timedelta(0)


def test_every_reddit_recording_is_read_by_these_tests() -> None:
    read = {TOKEN, PAGE, LAST, EMPTY, SEARCH, USER_COMMENTS, ABOUT}
    assert recorded_files("reddit") == read
