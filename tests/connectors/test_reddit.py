"""Reddit specifics beyond the conformance suite: fields, brand replies, the shared request budget."""

from __future__ import annotations

import json

import pytest

from connectors.base import Cursor, Query, RateLimited
from connectors.reddit import RedditConnector, RedditSettings
from tests.conftest import Clock
from tests.connectors.conformance import Store
from tests.connectors.harnesses import REDDIT_ENV, harness

QUERY = Query(brand="Acme", terms=("acme",), handles=("acme_support",))


def test_submissions_comments_and_brand_replies_carry_thread_fields() -> None:
    with harness("reddit") as h:
        server = h.server
        sub = server.submit("Acme ate my order", selftext="Three weeks and nothing.", author="angry", subreddit="test")
        complaint = server.comment("acme support never answers", parent=sub, author="angry2")
        reply = server.comment("Sorry! DM us your order number.", parent=complaint, author="acme_support")
        unrelated = server.comment("nice weather", parent=sub, author="bystander")
        store = Store()
        store.read(h.connector(), QUERY)
    assert unrelated not in store.ids()
    post = store.posts[sub]
    assert post.text == "Acme ate my order\n\nThree weeks and nothing."
    assert post.url and post.url.startswith("https://www.reddit.com/r/test/comments/")
    assert post.thread_id == sub and post.reply_to is None
    assert post.extra["subreddit"] == "test" and post.extra["kind"] == "submission"
    assert post.metrics["comments"] == 3 and post.metrics["score"] == 1
    assert store.posts[complaint].reply_to == sub and store.posts[complaint].thread_id == sub
    brand = store.posts[reply]  # found through /user/acme_support/comments, not by the terms
    assert brand.author == "acme_support"
    assert brand.reply_to == complaint and brand.thread_id == sub
    assert brand.extra["link_title"] == "Acme ate my order"


def test_search_is_by_new_restricted_to_subreddits_and_auth_goes_to_the_token_endpoint() -> None:
    with harness("reddit", subreddits=["test", "r/acmeusers"]) as h:
        h.server.submit("acme in another sub", subreddit="elsewhere")
        Store().read(h.connector(), QUERY)
        paths = [(m, p) for m, p, _ in h.server.requests]
        search = next(q for _, p, q in h.server.requests if p.endswith("/search"))
    assert paths[0] == ("POST", "/api/v1/access_token")
    assert ("GET", "/r/test+acmeusers/search") in paths
    assert ("GET", "/r/test+acmeusers/comments") in paths
    assert ("GET", "/user/acme_support/comments") in paths
    assert search["sort"] == "new" and search["restrict_sr"] == "on" and search["q"] == '"acme"'


def test_without_subreddits_search_covers_all_of_reddit_and_skips_the_comment_firehose() -> None:
    with harness("reddit", subreddits=[]) as h:
        inside = h.server.submit("acme everywhere", subreddit="somewhere")
        store = Store()
        store.read(h.connector(), QUERY)
        paths = {p for _, p, _ in h.server.requests}
    assert inside in store.ids()
    assert "/r/all/search" in paths
    assert not any(p.endswith("/comments") and p.startswith("/r/") for p in paths)


def test_the_request_budget_is_shared_by_every_brand_and_refills_with_time() -> None:
    with harness("reddit", requests_per_minute=4) as h:
        h.add_posts(2)
        connector = h.connector()
        other = h.connector()  # a second instance of the same app shares the budget
        Store().read(connector, QUERY)  # search, comments, brand comments: 3 requests
        with pytest.raises(RateLimited) as raised:
            Store().read(other, Query(brand="Other", terms=("other",), handles=("other_co",)))
        assert 0 < raised.value.retry_after <= 60
        h.advance(60)
        Store().read(other, Query(brand="Other", terms=("other",), handles=("other_co",)))


def test_platform_headers_saying_the_window_is_spent_stop_requests_until_reset() -> None:
    with harness("reddit") as h:
        connector = h.connector()
        Store().read(connector, QUERY)
        connector.budget.observe({"x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "30"}, status=200)
        sent = len(h.server.requests)
        with pytest.raises(RateLimited) as raised:
            Store().read(connector, QUERY)
        assert len(h.server.requests) == sent, "no request while the window is spent"
        assert raised.value.retry_after == pytest.approx(30, abs=1)
        h.advance(31)
        Store().read(connector, QUERY)


def test_missing_credentials_name_the_variable_to_export() -> None:
    with pytest.raises(ValueError, match="REDDIT_CLIENT_SECRET"):
        RedditSettings.model_validate({}, context={"env": {"REDDIT_CLIENT_ID": "x"}})
    RedditSettings.model_validate({"enabled": False}, context={"env": {}})


def test_secrets_never_appear_in_settings_repr_or_errors() -> None:
    settings = RedditSettings.model_validate({}, context={"env": REDDIT_ENV})
    assert "app-secret" not in repr(settings)
    connector = RedditConnector(settings, clock=Clock())
    assert "app-secret" not in repr(vars(connector))


def test_author_karma_is_looked_up_once_per_author_when_enabled() -> None:
    with harness("reddit", author_karma=True) as h:
        first = h.server.submit("acme again", author="veteran")
        h.server.submit("older acme post", author="veteran")
        store = Store()
        connector = h.connector()
        store.read(connector, QUERY)
        second = h.server.submit("acme, third time", author="veteran")
        store.read(connector, QUERY)
        lookups = [p for _, p, _ in h.server.requests if p.endswith("/about")]
    assert store.posts[first].metrics["link_karma"] == 20
    assert store.posts[second].metrics["comment_karma"] == 0
    assert lookups == ["/user/veteran/about"], "cached for a day"


def test_karma_lookups_never_cost_a_post_when_the_budget_is_short() -> None:
    with harness("reddit", author_karma=True, requests_per_minute=6) as h:
        posts = [h.server.submit(f"acme {n}", author=f"author{n}") for n in range(3)]
        store = Store()
        # search 1, karma while 3 of 6 would stay (2 lookups), then comments 1 and brand comments 1
        store.read(h.connector(), QUERY)
    assert store.ids() == set(posts)
    assert sum("link_karma" in p.metrics for p in store.posts.values()) == 2


def test_each_brand_handle_is_its_own_stream_so_a_busy_handle_hides_no_quiet_ones_comments() -> None:
    query = Query(brand="Acme", terms=("acme",), handles=("acme_support", "acme_help"))
    with harness("reddit") as h:
        thread = h.server.submit("acme thread", author="someone")
        store = Store()
        connector = h.connector()
        store.read(connector, query)
        h.advance(60)
        quiet = h.server.comment("we are on it", parent=thread, author="acme_help")
        h.advance(3600)  # far more than the 10-minute overlap
        busy = h.server.comment("sorry about that", parent=thread, author="acme_support")
        h.advance(5)
        store.read(connector, query)
        positions = json.loads(store.cursor.position or "{}")
    assert {quiet, busy} <= store.ids()
    assert {"brand:acme_support", "brand:acme_help"} <= set(positions)


def test_a_cursor_from_before_per_handle_streams_is_split_not_restarted() -> None:
    with harness("reddit") as h:
        thread = h.server.submit("acme thread", author="someone")
        old_reply = h.server.comment("older brand reply", parent=thread, author="acme_support")
        h.advance(3600)
        saved_at = h.clock().timestamp()
        old = Cursor(position=json.dumps({"search": saved_at, "comments": saved_at, "brand": saved_at}))
        h.advance(60)
        new_reply = h.server.comment("newer brand reply", parent=thread, author="acme_support")
        h.advance(5)
        store = Store(cursor=old)
        store.read(h.connector(), QUERY)
        positions = json.loads(store.cursor.position or "{}")
    assert new_reply in store.ids()
    assert old_reply not in store.ids(), "read on from the old position, not as a first read"
    assert "brand" not in positions and positions["brand:acme_support"] > saved_at


def test_a_post_dated_in_the_future_does_not_push_the_position_past_now() -> None:
    with harness("reddit") as h:
        future = h.server.submit("acme from a wrong clock")
        h.server.things[-1].data["created_utc"] += 86_400 * 365
        store = Store()
        connector = h.connector()
        store.read(connector, QUERY)
        assert json.loads(store.cursor.position or "{}")["search"] <= h.clock().timestamp()
        h.advance(60)
        later = h.server.submit("acme, a minute later")
        h.advance(5)
        store.read(connector, QUERY)
    assert {future, later} <= store.ids()
