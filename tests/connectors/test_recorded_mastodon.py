"""Mastodon's real recorded answers (mastodon.social, social.tchncs.de), read through the connector's fetch path.

A hashtag timeline with statuses federated from other instances (``acct``
``user@host``, ``uri`` not ``url``, ids local to the instance), and an
account's statuses paged by ``Link: rel="next"`` over three pages, with boosts
(a wrapper with empty ``content`` around the boosted status), content warnings,
an edited status, a poll and a last page linking only ``rel="prev"``.
"""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Post, Query
from connectors.html_text import html_to_text
from connectors.mastodon import MastodonConnector, MastodonSettings, parse_status
from tests.conftest import Clock
from tests.connectors.recorded_store import as_row_fields, poll_and_read_rows, read_all
from tests.support.recorded import RecordedServer, recorded_files, recording

TAG = "mastodon/tag_timeline.json"
P1 = "mastodon/account_statuses_p1.json.xz"
P2 = "mastodon/account_statuses_p2.json.xz"
LAST = "mastodon/account_statuses_last.json"
ACCOUNT = "mastodon/account.json"
STATUS = "mastodon/status.json"
ACCOUNT_ID = "109281650341067731"
STATUSES = f"/api/v1/accounts/{ACCOUNT_ID}/statuses"


def _connector(server: RecordedServer, clock: Clock, **settings: Any) -> MastodonConnector:
    values = {"instances": [server.base_url], "timeout": "2s", "first_read_window": "30d", **settings}
    return MastodonConnector(MastodonSettings.model_validate(values), clock=clock)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _host(server: RecordedServer) -> str:
    return urllib.parse.urlsplit(server.base_url).netloc


def test_tag_timeline_federated_statuses_keep_their_uri_remote_acct_and_url() -> None:
    statuses = recording(TAG).json()
    clock = Clock(datetime(2022, 11, 8, 16, 30, 30, tzinfo=UTC))
    with RecordedServer() as server:
        server.serve("/api/v1/timelines/tag/ichbinhanna", TAG)
        # One page: its next link was not recorded.
        connector = _connector(server, clock, max_pages=1)
        posts, rejected, _ = read_all(connector, Query("Hanna", ("#IchBinHanna",)))
        read_all(connector, Query("Hanna", ("#IchBinHanna",)))
        host = _host(server)
        assert len(server.requests) == 2, "x-ratelimit-reset is an ISO time; 298 left: the window is open"
        assert not server.unmatched
    assert rejected == []
    assert [p.post_id for p in posts] == [s["uri"] for s in statuses]
    for post, status in zip(posts, statuses, strict=True):
        acct = status["account"]["acct"]
        assert post.author == (acct if "@" in acct else f"{acct}@{host}")
        assert post.url == status["url"] and post.url != post.post_id
        assert post.created_at == _time(status["created_at"]) and post.created_at.utcoffset() == timedelta(0)
        assert post.text == html_to_text(status["content"]) and "<p>" not in post.text
        assert post.lang == status["language"]
        assert post.extra["local_id"] == f"{host}:{status['id']}"
        assert post.author_id == status["account"]["url"]
    assert sum("@" in s["account"]["acct"] for s in statuses) == 4
    remote = posts[1]
    assert remote == Post(
        platform="mastodon",
        post_id="https://mas.to/users/CathleenSarti/statuses/109304314822684850",
        author="CathleenSarti@mas.to",
        text=html_to_text(statuses[1]["content"]),
        created_at=datetime(2022, 11, 7, 20, 4, 43, tzinfo=UTC),
        url="https://mas.to/@CathleenSarti/109304314822684850",
        reply_to=None,
        thread_id="https://mas.to/users/CathleenSarti/statuses/109304314822684850",
        author_id="https://mas.to/@CathleenSarti",
        lang="en",
        metrics={
            "replies": statuses[1]["replies_count"],
            "reblogs": statuses[1]["reblogs_count"],
            "favourites": statuses[1]["favourites_count"],
            "followers": statuses[1]["account"]["followers_count"],
        },
        extra={"local_id": f"{host}:109304314810517257"},
    )
    reply = posts[4]  # answers a status known to this instance by its local id
    assert (reply.reply_to, reply.thread_id) == (None, None)
    assert reply.extra["in_reply_to_id"] == f"{host}:109302329974271443"
    assert reply.text.startswith("@elhotzo")


def test_account_statuses_follow_link_next_to_the_last_page_and_skip_the_brands_boosts() -> None:
    pages = [recording(f).json() for f in (P1, P2, LAST)]
    parent_uri = recording(STATUS).json()["uri"]
    clock = Clock(datetime(2022, 11, 21, 16, 19, 4, tzinfo=UTC))
    with RecordedServer() as server:
        server.serve("/api/v1/accounts/lookup", ACCOUNT, when=lambda q: q.get("acct") == "chainsawriot")
        server.serve(STATUSES, P1, when=lambda q: "max_id" not in q and q.get("exclude_reblogs") == "true")
        server.serve(STATUSES, P2, when=lambda q: q.get("max_id") == "109315118407397095")
        server.serve(STATUSES, LAST, when=lambda q: q.get("max_id") == "109285625663774938")
        # One parent as the instance answers a status; the others were not recorded and answer 404 (deleted).
        server.serve("/api/v1/statuses/109332950244519108", STATUS)
        posts, rejected, _ = read_all(_connector(server, clock), Query("R", (), handles=("chainsawriot",)))
        host = _host(server)
        pages_read = [q.get("max_id") for _, p, q in server.requests if p == STATUSES]
        unmatched = server.unmatched
    assert pages_read == [None, "109315118407397095", "109285625663774938"], "the last page links only rel=prev"
    assert all(p.startswith("/api/v1/statuses/") for _, p, _ in unmatched)
    assert rejected == []
    statuses = [s for page in pages for s in page]
    own = [s for s in statuses if not s["reblog"]]
    assert (len(statuses), len(own)) == (43, 39), "4 boosts of other people's statuses are skipped"
    assert [p.post_id for p in posts] == [s["uri"] for s in own]
    assert {p.author for p in posts} == {f"chainsawriot@{host}"}
    by_id = {p.post_id: p for p in posts}
    for status in own:
        post = by_id[status["uri"]]
        assert post.created_at == _time(status["created_at"])
        assert post.lang == status["language"]
        warning = status["spoiler_text"]
        body = html_to_text(status["content"])
        assert post.text == (f"{warning}\n\n{body}" if warning else body)
    replies = [s for s in own if s["in_reply_to_id"]]
    assert len(replies) == 10
    answered = by_id[next(s["uri"] for s in own if s["in_reply_to_id"] == "109332950244519108")]
    assert answered.reply_to == parent_uri, "the brand's reply points at its parent's uri"
    assert sum(p.reply_to is not None for p in posts) == 1, "parents that answer 404 leave reply_to empty"
    edited = next(s for s in own if s["edited_at"])
    assert by_id[edited["uri"]].text.startswith("Doppelmoral\n\nIf there is an argument to switch from Twitter")


def test_a_boost_is_the_boosted_status_sorted_by_the_time_of_the_boost() -> None:
    boost = next(s for s in recording(P1).json() if s["reblog"])
    uri, sort_time, post = parse_status(boost, host="social.tchncs.de")
    assert boost["content"] == "" and boost["url"].endswith("/activity")
    assert uri == post.post_id == boost["reblog"]["uri"]
    assert post.url == boost["reblog"]["url"] and post.author == boost["reblog"]["account"]["acct"]
    assert post.created_at == _time(boost["reblog"]["created_at"])
    assert sort_time == _time(boost["created_at"]).timestamp() > post.created_at.timestamp()


def test_stored_rows_equal_the_recorded_timeline(db_url: str) -> None:
    clock = Clock(datetime(2022, 11, 8, 16, 30, 30, tzinfo=UTC))
    with RecordedServer() as server:
        server.serve("/api/v1/timelines/tag/ichbinhanna", TAG)
        expected, _, _ = read_all(_connector(server, clock, max_pages=1), Query("Acme", ("#ichbinhanna",)))
        connector = _connector(server, clock, max_pages=1)
        result, rows = poll_and_read_rows(db_url, connector, source="mastodon", terms=["#ichbinhanna"], clock=clock)
    assert result.error is None and result.new_posts == len(expected) == 5
    for post in expected:
        assert {k: rows[post.post_id][k] for k in as_row_fields(post)} == as_row_fields(post)


def test_every_mastodon_recording_is_read_by_these_tests() -> None:
    assert recorded_files("mastodon") == {TAG, P1, P2, LAST, ACCOUNT, STATUS}
