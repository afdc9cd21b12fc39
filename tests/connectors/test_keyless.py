"""What the conformance suite does not cover for the key-less sources: fields, brand replies, sessions, feeds."""

from __future__ import annotations

import pytest

from connectors.base import AuthError, Query, RateLimited
from connectors.bluesky import BlueskyConnector, BlueskySettings
from connectors.html_text import html_to_text
from connectors.http import reset_wait
from connectors.mastodon import MastodonConnector, MastodonSettings
from connectors.rss import RssConnector, RssSettings
from tests.conftest import Clock
from tests.connectors.conformance import Store
from tests.connectors.harnesses import START
from tests.connectors.keyless_harnesses import BLUESKY_ENV, keyless_harness
from tests.support.fake_bluesky import FakeBluesky
from tests.support.fake_feeds import FakeFeeds
from tests.support.fake_mastodon import FakeMastodon


def test_hn_fields_threads_and_brand_comments() -> None:
    clock = Clock(START)
    with keyless_harness("hn", clock) as h:
        story = h.server.story("Acme raises prices", author="pg", text="<p>Thoughts &amp; feelings?</p>")
        clock.advance(seconds=1)
        complaint = h.server.comment("acme <billing> double-charged me", parent=story, author="alice")
        clock.advance(seconds=1)
        reply = h.server.comment("Sorry! Mail us, we refund today.", parent=complaint, author="acme_team")
        h.server.story("Acmeology weekly")  # a prefix hit, as Algolia returns: dropped by the local whole-word check
        clock.advance(seconds=1)
        query = Query(brand="Acme", terms=("acme",), handles=("acme_team",))
        store = Store()
        store.read(h.connector(), query)
    posts = store.posts
    assert set(posts) == {story, complaint, reply}
    assert posts[story].text == "Acme raises prices\n\nThoughts & feelings?"
    assert posts[story].metrics == {"points": 1, "comments": 2}
    assert posts[complaint].text == "acme <billing> double-charged me"
    assert (posts[complaint].reply_to, posts[complaint].thread_id) == (story, story)
    assert (posts[reply].author, posts[reply].reply_to, posts[reply].thread_id) == ("acme_team", complaint, story)
    assert posts[reply].url == f"https://news.ycombinator.com/item?id={reply}"


def _bluesky(server: FakeBluesky, clock: Clock, **extra: object) -> BlueskyConnector:
    settings = BlueskySettings.model_validate(
        {"base_url": server.base_url, "auth_url": server.base_url, "timeout": "1s", **extra},
        context={"env": BLUESKY_ENV},
    )
    return BlueskyConnector(settings, clock=clock)


def test_bluesky_refuses_unauthenticated_search_with_a_clear_auth_error() -> None:
    clock = Clock(START)
    with FakeBluesky(clock=clock, require_auth=True) as server:
        server.post("acme is great")
        clock.advance(seconds=1)
        with pytest.raises(AuthError) as raised:
            Store().read(_bluesky(server, clock), Query("Acme", ("acme",)))
    assert "app password" in str(raised.value)


def test_bluesky_session_refreshes_on_expired_token_and_brand_replies_keep_their_thread() -> None:
    clock = Clock(START)
    auth = {"identifier_env": "BSKY_IDENTIFIER", "password_env": "BSKY_APP_PASSWORD"}
    with FakeBluesky(clock=clock, require_auth=True) as server:
        root = server.post("acme lost my parcel", handle="carol.bsky.social")
        clock.advance(seconds=1)
        connector = _bluesky(server, clock, **auth)
        query = Query("Acme", ("acme",), handles=("acme.bsky.social",))
        store = Store()
        store.read(connector, query)
        server.expire_sessions()
        reply = server.post("So sorry Carol, DM us your order", handle="acme.bsky.social", reply_to=root)
        clock.advance(seconds=1)
        store.read(connector, query)
        assert (server.sessions, server.refreshes) == (1, 1), "one login, then a refresh (logins are rate-limited)"
    got = store.posts[reply]
    assert (got.author, got.reply_to, got.thread_id) == ("acme.bsky.social", root, root)
    assert store.posts[root].url.startswith("https://bsky.app/profile/carol.bsky.social/post/")
    assert store.posts[root].author_id.startswith("did:plc:")


def test_bluesky_settings_need_both_login_variables() -> None:
    with pytest.raises(ValueError, match="go together"):
        BlueskySettings.model_validate({"identifier_env": "BSKY_IDENTIFIER"}, context={"env": BLUESKY_ENV})
    with pytest.raises(ValueError, match="BSKY_APP_PASSWORD"):
        BlueskySettings.model_validate(
            {"identifier_env": "BSKY_IDENTIFIER", "password_env": "BSKY_APP_PASSWORD"}, context={"env": {}}
        )


def test_mastodon_brand_reply_points_at_the_parent_uri_and_reach_comes_with_each_post() -> None:
    clock = Clock(START)
    with FakeMastodon(clock=clock) as server:
        complaint = server.toot("my acme router died", user="dave", tags=("acme",))
        clock.advance(seconds=1)
        reply = server.toot("@dave we are sending a new one", user="acme", reply_to=complaint)
        clock.advance(seconds=1)
        settings = MastodonSettings.model_validate({"instances": [server.base_url], "timeout": "1s"})
        query = Query("Acme", ("#Acme",), handles=(f"acme@{server.host}",))
        store = Store()
        store.read(MastodonConnector(settings, clock=clock), query)
        host = server.host
    assert set(store.posts) == {complaint, reply}
    assert store.posts[complaint].text == "my acme router died #acme"
    assert store.posts[complaint].metrics["followers"] == 10
    assert store.posts[complaint].author == f"dave@{host}"
    assert (store.posts[reply].author, store.posts[reply].reply_to) == (f"acme@{host}", complaint)


def test_mastodon_rate_limit_reset_is_an_iso_time_and_holds_requests_back() -> None:
    clock = Clock(START)
    with FakeMastodon(clock=clock) as server:
        server.toot("acme", tags=("acme",))
        settings = MastodonSettings.model_validate({"instances": [server.base_url], "timeout": "1s"})
        connector = MastodonConnector(settings, clock=clock)
        server.fault("429")
        with pytest.raises(RateLimited) as raised:
            Store().read(connector, Query("Acme", ("acme",)))
        assert 1 <= raised.value.retry_after <= 4
        sent = len(server.requests)
        with pytest.raises(RateLimited):
            Store().read(connector, Query("Acme", ("acme",)))
        assert len(server.requests) == sent, "no request while the window is spent"


def test_rss_conditional_get_query_feeds_and_undated_entries() -> None:
    clock = Clock(START)
    with FakeFeeds(clock=clock) as server:
        server.publish("news", "Acme Corp opens a store", summary="<p>Big &amp; new</p>")
        server.publish("news", "Acme Corp faces recall", dated=False)
        server.publish("news", "Weather")
        settings = RssSettings.model_validate(
            {"feeds": [server.feed_url("news"), f"{server.base_url}/search?q={{query}}"], "timeout": "1s"}
        )
        connector = RssConnector(settings, clock=clock)
        query = Query("Acme", ("Acme Corp",))
        store = Store()
        store.read(connector, query)
        assert sorted(p.text for p in store.posts.values()) == [
            "Acme Corp faces recall",
            "Acme Corp opens a store\n\nBig & new",
        ]
        assert ("GET", "/search", {"q": '"Acme Corp"'}) in server.requests
        assert store.read(connector, query) == []
        assert server.not_modified == 2, "both unchanged feeds answered 304"
        late = server.publish("news", "Acme Corp recall widens")
        store.read(connector, query)
    assert len(store.posts) == 3 and all(n == 1 for n in store.deliveries.values())
    assert late and any(p.text == "Acme Corp recall widens" for p in store.posts.values())


def test_a_broken_feed_does_not_stop_the_others_but_is_reported() -> None:
    clock = Clock(START)
    with FakeFeeds(clock=clock) as server:
        server.publish("news", "Acme wins award")
        settings = RssSettings.model_validate(
            {"feeds": [f"{server.base_url}/missing", server.feed_url("news")], "timeout": "1s"}
        )
        store = Store()
        with pytest.raises(Exception, match="404") as raised:
            store.read(RssConnector(settings, clock=clock), Query("Acme", ("acme",)))
    assert not isinstance(raised.value, AuthError)
    assert [p.text for p in store.posts.values()] == ["Acme wins award"]


def test_html_to_text_and_reset_headers() -> None:
    assert html_to_text('<p>Hi <a href="x">@<span>bob</span></a></p><p>2 &lt; 3</p>') == "Hi @bob\n\n2 < 3"
    now = START.timestamp()
    assert reset_wait({"Retry-After": "7"}, now=now) == 7
    assert reset_wait({"x-ratelimit-reset": "2026-11-20T12:00:30.000Z"}, now=now) == 30
    assert reset_wait({"ratelimit-reset": str(int(now) + 12)}, now=now) == 12
    assert reset_wait({"x-ratelimit-reset": "45"}, now=now) == 45
    assert reset_wait({}, now=now) == 60


def test_bad_feed_and_instance_urls_name_the_fix() -> None:
    with pytest.raises(ValueError, match="full URL"):
        RssSettings.model_validate({"feeds": ["news.example/rss"]})
    with pytest.raises(ValueError, match="write each instance as its URL"):
        MastodonSettings.model_validate({"instances": ["mastodon.social"]})


def test_bluesky_logs_in_again_when_the_refresh_token_expired_too() -> None:
    clock = Clock(START)
    auth = {"identifier_env": "BSKY_IDENTIFIER", "password_env": "BSKY_APP_PASSWORD"}
    with FakeBluesky(clock=clock, require_auth=True) as server:
        first = server.post("acme one")
        clock.advance(seconds=1)
        connector = _bluesky(server, clock, **auth)
        store = Store()
        store.read(connector, Query("Acme", ("acme",)))
        server.expire_sessions(refresh_too=True)
        second = server.post("acme two")
        clock.advance(seconds=1)
        store.read(connector, Query("Acme", ("acme",)))
        assert server.sessions == 2
    assert set(store.posts) == {first, second}


def test_a_status_seen_on_two_instances_is_one_post() -> None:
    clock = Clock(START)
    with FakeMastodon(clock=clock) as home, FakeMastodon(clock=clock) as other:
        uri = home.toot("acme broke", user="erin", tags=("acme",))
        home.federate(uri, to=other)
        clock.advance(seconds=1)
        settings = MastodonSettings.model_validate({"instances": [home.base_url, other.base_url], "timeout": "1s"})
        store = Store()
        store.read(MastodonConnector(settings, clock=clock), Query("Acme", ("acme",)))
        assert len([r for r in other.requests if "/timelines/tag/" in r[1]]) == 1, "both instances were read"
    assert list(store.deliveries.items()) == [(uri, 1)]


class _OffHostLinks(FakeMastodon):
    """An instance whose Link header sends the next page to another host."""

    def _timeline(self, path, query, found, fault, limits):
        status, body, headers = super()._timeline(path, query, found, fault, limits)
        if "Link" in headers:
            headers["Link"] = headers["Link"].replace(self.base_url, "http://127.0.0.2:9")
        return status, body, headers


def test_mastodon_never_follows_a_next_page_to_another_host() -> None:
    clock = Clock(START)
    with _OffHostLinks(clock=clock) as server:
        for n in range(3):
            server.toot(f"acme {n}", tags=("acme",))
            clock.advance(seconds=1)
        settings = MastodonSettings.model_validate(
            {"instances": [server.base_url], "page_size": 2, "access_token_env": "MASTODON_TOKEN", "timeout": "1s"},
            context={"env": {"MASTODON_TOKEN": "masto-token"}},
        )
        store = Store()
        store.read(
            MastodonConnector(settings, clock=clock), Query("Acme", ("acme",))
        )
    assert len(store.posts) == 3  # the tag timeline stopped after a page; search (same host) found the rest
