"""X specifics beyond the conformance suite: the query, reach and threads, pages, budgets and windows."""

from __future__ import annotations

import json
import re

import pytest

from connectors.base import Cursor, Query, RateLimited, SourceError
from connectors.x import XSettings, build_queries, build_query
from tests.connectors.conformance import Store
from tests.connectors.harnesses import X_ENV, harness
from values.query_syntax import parse_query

QUERY = Query(brand="Acme", terms=("acme", "#acme", "acme corp"), handles=("AcmeSupport",))


def _settings(**values: object) -> XSettings:
    return XSettings.model_validate(values, context={"env": X_ENV})


def test_query_excludes_retweets_filters_languages_and_adds_the_brands_replies() -> None:
    q = build_query(QUERY, _settings(languages=["en", "pl"]))
    assert q == '((acme OR #acme OR "acme corp") -is:retweet (lang:en OR lang:pl)) OR (from:AcmeSupport is:reply)'
    plain = build_query(Query("B", ("acme",)), _settings(exclude_retweets=False))
    assert plain == "acme"


def test_a_query_over_the_plans_length_limit_is_cut_into_searches_that_fit() -> None:
    terms = tuple(f"term{i}" for i in range(200))
    searches = build_queries(Query("B", terms, handles=("AcmeSupport",)), _settings(languages=["en"]))
    assert len(searches) > 1 and all(len(s) <= 512 for s in searches)
    assert all(s.endswith("-is:retweet lang:en") for s in searches[1:]), "each search keeps the filters"
    assert "from:AcmeSupport is:reply" in searches[0] and not any("from:" in s for s in searches[1:])
    sent = [w for s in searches for w in re.findall(r"term\d+", s)]
    assert sorted(sent) == sorted(terms), "every term in exactly one search"


def test_an_and_over_a_long_or_is_cut_inside_the_or_and_keeps_the_rest_in_each_search() -> None:
    words = " OR ".join(f"acmeproduct{i}" for i in range(60))
    query = Query("B", (), expr=parse_query(f'({words}) NOT "acme corp" lang:pl'))
    searches = build_queries(query, _settings())
    assert len(searches) > 1 and all(len(s) <= 512 for s in searches)
    assert all('-"acme corp"' in s and "lang:pl" in s for s in searches)


def test_a_query_that_cannot_be_cut_to_fit_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="max_query_length"):
        build_queries(Query("B", (), expr=parse_query('"' + "acme " * 120 + '"')), _settings())


def test_a_split_query_reads_each_search_and_a_changed_query_keeps_the_cursor() -> None:
    terms = tuple(f"term{i}" for i in range(120))
    with harness("x") as h:
        first = [h.server.tweet(f"{t} broke again") for t in (terms[0], terms[-1])]
        h.advance(5)
        store = Store()
        connector = h.connector()
        store.read(connector, Query("Acme", terms))
        assert store.ids() == set(first)
        parts = json.loads(store.cursor.position or "{}")["parts"]
        assert len(parts) > 1 and any("since_id" in json.loads(p) for p in parts.values())
        later = h.server.tweet("term119 and term5 both, later")
        h.advance(5)
        sent = len(h.server.requests)
        store.read(connector, Query("Acme", terms[100:]))  # the query changed: one search now
        assert store.ids() == {*first, later}
        assert "start_time" not in h.server.requests[sent][2], "the new search starts from the old since_id"
        assert all(n == 1 for n in store.deliveries.values())


def test_followers_threads_and_brand_replies_come_with_each_post() -> None:
    with harness("x") as h:
        server = h.server
        complaint = server.tweet("acme lost my parcel", author="angry", followers=5400)
        reply = server.tweet("@angry so sorry, DM us", author="AcmeSupport", followers=90000, reply_to=complaint)
        h.advance(5)
        store = Store()
        store.read(h.connector(), QUERY)
        sent = server.requests[-1][2]
    first = store.posts[complaint]
    assert first.metrics["followers"] == 5400 and first.metrics["likes"] == 1
    assert first.author == "angry" and first.url == f"https://x.com/angry/status/{complaint}"
    assert first.thread_id == complaint and first.reply_to is None
    brand = store.posts[reply]
    assert brand.author == "AcmeSupport" and brand.reply_to == complaint and brand.thread_id == complaint
    assert brand.extra["in_reply_to_user_id"] == first.author_id
    assert sent["expansions"] == "author_id" and "public_metrics" in sent["user.fields"]
    assert {"conversation_id", "referenced_tweets", "in_reply_to_user_id"} <= set(sent["tweet.fields"].split(","))


def test_since_id_advances_only_when_the_read_is_complete_and_resumes_from_next_token() -> None:
    with harness("x", max_pages=2) as h:
        added = h.add_posts(35)  # four pages of 10
        store = Store()
        connector = h.connector()
        store.read(connector, QUERY)
        position = json.loads(store.cursor.position or "{}")
        assert "since_id" not in position and position["next_token"], "unfinished: resume point, no since_id"
        assert len(store.ids()) == 20
        store.read(connector, QUERY)
        position = json.loads(store.cursor.position or "{}")
    assert store.ids() == set(added)
    assert position["since_id"] == max(added, key=int) and "next_token" not in position
    assert all(n == 1 for n in store.deliveries.values())


def test_the_monthly_budget_is_spent_evenly_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    with harness("x", monthly_post_budget=300) as h:
        # 300 posts a month is 10 a day; a day's share is allowed up front.
        h.clock.now = h.clock.now.replace(day=1, hour=0, minute=0, second=0)
        h.add_posts(25)
        store = Store()
        connector = h.connector()
        with caplog.at_level("INFO", logger="connectors.x"):
            store.read(connector, QUERY)
        assert len(store.ids()) == 10
        assert "pacing the monthly budget (10 of 300 posts read)" in caplog.text
        position = json.loads(store.cursor.position or "{}")
        assert position["spent"] == 10 and position["next_token"], "paced out mid-read: resume point kept"
        sent = len(h.server.requests)
        h.advance(3600)
        assert store.read(connector, QUERY) == []
        assert len(h.server.requests) == sent, "no request while paced out"
        h.advance(86_400)
        store.read(connector, QUERY)
        assert len(store.ids()) == 20
        caplog.clear()
        with caplog.at_level("INFO", logger="connectors.x"):
            h.advance(86_400 * 3)
            store.read(connector, QUERY)
    assert len(store.ids()) == 25
    assert all(n == 1 for n in store.deliveries.values())
    assert "25 of 300 monthly posts read this cycle, 275 left" in caplog.text


def test_spend_survives_a_restart_through_the_cursor_and_resets_with_the_cycle(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with harness("x", monthly_post_budget=10_000) as h:
        month = h.clock.now.strftime("%Y-%m-01")
        h.add_posts(1)
        spent = Store(cursor=Cursor(json.dumps({"cycle": month, "spent": 9_995, "since_id": "1"})))
        with caplog.at_level("WARNING", logger="connectors.x"):
            assert spent.read(h.connector(), QUERY) == []
        assert "monthly budget of 10000 posts is spent" in caplog.text
        old = Store(cursor=Cursor(json.dumps({"cycle": "2000-01-01", "spent": 9_995, "since_id": "1"})))
        old.read(h.connector(), QUERY)
        assert json.loads(old.cursor.position or "{}")["spent"] == 1


def test_all_brands_share_the_monthly_budget() -> None:
    with harness("x", monthly_post_budget=600) as h:  # 20 a day
        h.clock.now = h.clock.now.replace(day=1, hour=0, minute=0, second=0)
        h.add_posts(15)
        connector = h.connector()
        Store().read(connector, QUERY)  # 15 read
        sent = len(h.server.requests)
        assert Store().read(connector, Query("Other", ("acme",))) == []  # 5 left: under the API's minimum of 10
        assert len(h.server.requests) == sent


def test_an_exhausted_request_window_pauses_requests_until_its_reset() -> None:
    with harness("x") as h:
        h.add_posts(2)
        connector = h.connector()
        Store().read(connector, QUERY)
        h.fault("429")
        with pytest.raises(RateLimited) as raised:
            Store().read(connector, QUERY)
        sent = len(h.server.requests)
        with pytest.raises(RateLimited):
            Store().read(connector, QUERY)
        assert len(h.server.requests) == sent, "no request inside the spent window"
        h.advance(raised.value.retry_after + 1)
        Store().read(connector, QUERY)
        assert len(h.server.requests) == sent + 1


def test_an_expired_resume_token_restarts_the_read_from_since_id_without_loss() -> None:
    with harness("x", max_pages=1) as h:
        first = h.add_posts(3)
        store = Store()
        connector = h.connector()
        store.read(connector, QUERY)
        added = h.add_posts(25)
        store.read(connector, QUERY)  # one page of three: resume point saved
        assert json.loads(store.cursor.position or "{}")["next_token"]
        h.server.expire_tokens()
        for _ in range(3):
            store.read(connector, QUERY)
    assert store.ids() == set(first + added)
    assert "next_token" not in json.loads(store.cursor.position or "{}")


def test_the_first_read_looks_back_only_first_read_window() -> None:
    with harness("x", first_read_window="1h") as h:
        old = h.add_posts(2)
        h.advance(2 * 3600)
        recent = h.add_posts(2)
        store = Store()
        store.read(h.connector(), QUERY)
        sent = h.server.requests[-1][2]
        assert store.ids() == set(recent) and not set(old) & store.ids()
        assert "start_time" in sent
        h.add_posts(1)
        store.read(h.connector(), QUERY)
        assert "start_time" not in h.server.requests[-1][2] and "since_id" in h.server.requests[-1][2]
