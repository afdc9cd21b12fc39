"""The one check of every fetched post: the brand's query, its excluded authors and sites; competitors page no one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import func, select

from connectors.base import Cursor, Page, Post, Query
from models.base import Sentiment
from monitor.bootstrap import bootstrap
from monitor.brand_filter import BrandFilter
from monitor.config import parse_config
from monitor.storage.schema import mentions, outbox, reply_items
from tests.conftest import Clock

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def brand(**raw: object):
    return parse_config({"brands": [{"name": "Acme", **raw}]}, env={}).brands[0]


def post(text: str, *, platform: str = "x", author: str = "ann", url: str | None = None, **kw: object) -> Post:
    return Post(platform, "1", author, text, NOW, url=url, **kw)  # type: ignore[arg-type]


def test_excluded_authors_on_every_platform_or_on_one() -> None:
    check = BrandFilter(brand(terms=["acme"], exclude_authors=["@SpamBot", "reddit:deals_bot", "did:plc:abc"]), ())
    assert not check.keeps(post("acme is down", platform="bluesky", author="did:plc:abc")), "no platform named"
    assert check.keeps(post("acme is down"))
    assert not check.keeps(post("acme is down", author="spambot"))
    assert not check.keeps(post("acme is down", platform="reddit", author="Deals_Bot"))
    assert check.keeps(post("acme is down", platform="x", author="deals_bot")), "only excluded on reddit"


def test_excluded_domains_cover_subdomains_of_the_article_or_the_shared_link() -> None:
    check = BrandFilter(brand(terms=["acme"], exclude_domains=["acme.com"]), ())
    assert not check.keeps(post("Acme announces", platform="rss", url="https://press.acme.com/2026/launch"))
    assert not check.keeps(post("Acme launch", platform="hn", extra={"link": "https://acme.com/blog"}))
    assert check.keeps(post("Acme launch", platform="rss", url="https://news.example/acme-launch"))
    assert check.keeps(post("Acme launch", platform="rss", url="https://notacme.com/x"))
    assert check.keeps(post("Acme launch", platform="rss", url="http://[::1:80/broken")), "a bad URL is no site"


def test_the_link_a_post_shares_is_matched_with_its_text() -> None:
    check = BrandFilter(brand(terms=["acme"]), ())
    assert check.keeps(post("Show HN: my new tool", platform="hn", extra={"link": "https://acme.dev/tool"}))


def test_the_brands_own_posts_are_kept_whatever_the_query() -> None:
    check = BrandFilter(brand(query="acme NOT support"), ("AcmeSupport",))
    assert check.keeps(post("@ann so sorry, DM us", author="acmesupport"))
    assert not check.keeps(post("acme support is slow", author="ann"))


def test_a_post_addressed_to_the_brands_own_account_is_its_mention() -> None:
    check = BrandFilter(brand(query="acme NOT support"), ("AcmeSupport", "acme@mastodon.social"))
    assert check.keeps(post("thanks @acmesupport, fixed!"))
    assert check.keeps(post("@acme@mastodon.social my order?", platform="mastodon"))
    assert not check.keeps(post("thanks acmesupport"))


def test_lang_uses_the_platforms_hint_else_detects_the_language() -> None:
    asked: list[list[str]] = []

    def detect(texts):
        asked.append(list(texts))
        return ["pl" for _ in texts]

    check = BrandFilter(brand(query="allegro lang:pl"), (), detect=lambda: detect)
    assert check.keeps(post("Allegro nie działa"))
    assert not check.keeps(post("Allegro is down", lang="en"))
    assert asked == [["Allegro nie działa"]], "detected only where the platform gave no hint"
    assert BrandFilter(brand(terms=["allegro"]), (), detect=lambda: detect).keeps(post("Allegro"))
    assert len(asked) == 1, "no detection for a query without lang:"


class Pages:
    platform = "x"

    def __init__(self, posts: list[Post]) -> None:
        self.posts = posts

    def fetch(self, query: Query, cursor: Cursor) -> Iterator[Page]:
        yield Page(tuple(self.posts), Cursor("1"))


class Negative:
    def classify(self, texts: list[str]) -> list[Sentiment]:
        return [Sentiment("negative", 0.97, 0.97) for _ in texts]


def test_a_competitor_is_monitored_but_pages_no_one(db_url) -> None:
    raw = {
        "storage": {"url": db_url},
        "slack": {"console": True},
        "replies": {"enabled": True},
        "brands": [
            {"name": "Acme", "terms": ["acme"]},
            {"name": "Rival", "query": "rival NOT rivalry", "competitor": True},
        ],
    }
    app = bootstrap(parse_config(raw, env={}), clock=Clock(NOW), classifier=Negative(), connectors={})
    try:
        posts = [
            Post("x", "1", "ann", "rival lost my parcel, why?", NOW),
            Post("x", "2", "bob", "the rivalry is on", NOW),
            Post("x", "3", "cat", "acme and rival both broke my order, help", NOW),
        ]
        app.pipeline.poll("x", Pages(posts), app.config.brand("Rival"))
        app.pipeline.poll("x", Pages(posts), app.config.brand("Acme"))
        app.pipeline.classify_pending()
        with app.engine.connect() as conn:
            rival = conn.execute(select(func.count()).where(mentions.c.brand == "Rival")).scalar_one()
            alerts = [r.dedup_key for r in conn.execute(select(outbox.c.dedup_key))]
            queued = {r.brand for r in conn.execute(select(reply_items.c.brand))}
    finally:
        app.engine.dispose()
    assert rival == 2, "the competitor's mentions are stored (for the digest)"
    # Three negative posts, two of them the competitor's: one alert, for Acme's post in its reply queue.
    assert queued == {"Acme"} and len(alerts) == 1, alerts


def test_a_failing_language_detector_leaves_the_language_unknown_and_stops_nothing() -> None:
    def broken(texts):
        raise RuntimeError("model file missing")

    check = BrandFilter(brand(query="allegro NOT lang:en"), (), detect=lambda: broken)
    assert check.keeps(post("Allegro nie działa"))  # unknown: not English
    assert not BrandFilter(brand(query="allegro lang:pl"), (), detect=lambda: broken).keeps(post("Allegro"))
