"""Hacker News (Algolia) real recorded search answers, read through the connector's own fetch path.

Each recording is one hit: a comment with HTML and entities and a link whose
text HN cut with ``...``; a poll (tagged ``poll``, not ``story``); a poll that
matches; an Ask HN with ``url`` "" that Algolia's typo tolerance matched for
a word it does not contain.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Post, Query
from connectors.hn import HackerNewsConnector, HackerNewsSettings, parse_hit
from tests.conftest import Clock
from tests.connectors.recorded_store import as_row_fields, poll_and_read_rows, read_all
from tests.support.recorded import RecordedServer, recorded_files, recording

SEARCH = "/api/v1/search_by_date"
COMMENT = "hn/search_by_date_comment.json"
POLL = "hn/search_by_date_poll.json"
POLL_APPLE = "hn/search_by_date_poll_apple.json"
ASK_HN = "hn/search_by_date_ask_hn_apple_page2.json"


def _hit(file: str) -> dict[str, Any]:
    [hit] = recording(file).json()["hits"]
    return hit


def _clock(file: str) -> Clock:
    return Clock(datetime.fromtimestamp(_hit(file)["created_at_i"], UTC) + timedelta(hours=1))


def _connector(server: RecordedServer, clock: Clock) -> HackerNewsConnector:
    # One page: the recordings say more pages follow (nbPages up to 1000), and none of those was recorded.
    settings = HackerNewsSettings.model_validate({"base_url": server.base_url, "timeout": "2s", "max_pages": 1})
    return HackerNewsConnector(settings, clock=clock)


def _read(file: str, *terms: str) -> tuple[list[Post], list[Any], list[dict[str, str]]]:
    with RecordedServer() as server:
        server.serve(SEARCH, file)
        posts, rejected, _ = read_all(_connector(server, _clock(file)), Query("Brand", terms))
        assert not server.unmatched
        return posts, rejected, [q for _, _, q in server.requests]


def test_comment_html_entities_and_a_cut_link_are_read_as_text_with_the_full_url() -> None:
    posts, rejected, sent = _read(COMMENT, "fibonacci")
    assert rejected == []
    assert sent[0]["tags"] == "(story,poll,comment)" and sent[0]["query"] == "fibonacci"
    assert posts == [
        Post(
            platform="hn",
            post_id="7919431",
            author="gohrt",
            text="A perennial HN favorite\n\n"
            "https://hn.algolia.com/?q=Fibonacci+Flim-Flam#!/all/forever/0/Fibonacci%20Flim-Flam\n\n"
            "What's fascinating about this topic is that the reposts come at intervals that approximates the"
            " Fibonacci sequence.",
            created_at=datetime(2014, 6, 20, 3, 39, 55, tzinfo=UTC),
            url="https://news.ycombinator.com/item?id=7919431",
            reply_to="7919207",
            thread_id="7919207",
            author_id="gohrt",
            metrics={"points": 1},  # num_comments is null on a comment: not a count of 0
            extra={"kind": "comment", "story_title": "Fibonacci Flim-Flam"},
        )
    ]


def test_polls_are_searched_and_read_as_polls() -> None:
    posts, rejected, sent = _read(POLL, "hum")
    assert rejected == [] and "poll" in sent[0]["tags"]
    [poll] = posts
    hit = _hit(POLL)
    assert (poll.post_id, poll.author, poll.created_at) == (
        "7918694",
        "tempestn",
        datetime.fromtimestamp(hit["created_at_i"], UTC),
    )
    assert poll.created_at == datetime.fromisoformat(hit["created_at"])
    assert poll.text == (
        'Poll: Do you experience "The Hum"?\n\nAccording to this article, between 2 and 10% of the population'
        ' experiences "The Hum", a low-frequency droning sound of indefinite source that is difficult or impossible'
        " to block out: https://news.ycombinator.com/item?id=7917771.\n\nDo you experience this hum?"
    )
    assert (poll.reply_to, poll.thread_id, poll.metrics) == (None, "7918694", {"points": 3, "comments": 1})
    assert poll.extra == {"kind": "poll"}, "url null: no link"

    [apple] = _read(POLL_APPLE, "apple")[0]
    assert apple.text.startswith("Poll: Which iPad(s) do you use?\n\nIn 3.5 years, Apple has released")
    assert "I'm part of a tiny minority" in apple.text and "&#x27;" not in apple.text


def test_a_typo_tolerant_hit_without_the_term_is_dropped_and_an_empty_url_is_no_link() -> None:
    posts, rejected, _ = _read(ASK_HN, "apple")
    # Algolia matched "appreciate" for "apple" (matchedWords ["apple"]): the local check drops it (documented).
    assert posts == [] and rejected == []
    [swag] = _read(ASK_HN, "swag")[0]
    assert swag.extra == {"kind": "story"}, 'url "" is no link'
    # The backslash sequences are in the stored story text itself; they are kept as HN has them.
    assert swag.text.startswith("Ask HN: How can I get Swag from Startups?\n\n\\tHello HN,\\nI'm a college student")
    assert swag.metrics == {"points": 1, "comments": 3}


def test_every_hit_time_is_utc_and_equals_created_at() -> None:
    for file in (COMMENT, POLL, POLL_APPLE, ASK_HN):
        hit = _hit(file)
        _, created, post = parse_hit(hit)
        assert post.created_at == datetime.fromisoformat(hit["created_at"]) == datetime.fromtimestamp(created, UTC)
        assert post.created_at.utcoffset() == timedelta(0)


def test_stored_row_equals_the_recorded_comment(db_url: str) -> None:
    clock = _clock(COMMENT)
    with RecordedServer() as server:
        server.serve(SEARCH, COMMENT)
        [post], _, _ = read_all(_connector(server, clock), Query("Acme", ("fibonacci",)))
        connector = _connector(server, clock)
        result, rows = poll_and_read_rows(db_url, connector, source="hn", terms=["fibonacci"], clock=clock)
    assert result.error is None and result.new_posts == 1
    assert {k: rows["7919431"][k] for k in as_row_fields(post)} == as_row_fields(post)


def test_every_hn_recording_is_read_by_these_tests() -> None:
    assert recorded_files("hn") == {COMMENT, POLL, POLL_APPLE, ASK_HN}
