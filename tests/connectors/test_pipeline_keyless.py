"""Key-less sources inside the real pipeline: a refused source is disabled and ops told; the others keep running."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from models.base import Sentiment
from monitor import health
from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from monitor.storage.schema import outbox, posts
from tests.conftest import Clock
from tests.support.fake_bluesky import FakeBluesky
from tests.support.fake_feeds import FakeFeeds
from tests.support.fake_hn import FakeHN


class Neutral:
    def classify(self, texts):
        return [Sentiment("neutral", 0.9, 0.05) for _ in texts]


@pytest.fixture
def app(db_url):
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))  # a fixed day: results must not depend on today
    with (
        FakeHN(clock=clock) as hn,
        FakeBluesky(clock=clock, require_auth=True) as bsky,
        FakeFeeds(clock=clock) as feeds,
    ):
        config = parse_config(
            {
                "storage": {"url": db_url},
                "slack": {"console": True},
                "brands": [{"name": "Acme", "terms": ["acme"], "handles": {"hn": "acme_team"}}],
                "sources": {
                    "hn": {"base_url": hn.base_url, "timeout": "1s"},
                    # No login configured: the AppView refuses unauthenticated search.
                    "bluesky": {"base_url": bsky.base_url, "timeout": "1s"},
                    "rss": {"feeds": [feeds.feed_url("news")], "timeout": "1s"},
                },
            },
            env={},
        )
        app = bootstrap(config, clock=clock, classifier=Neutral())
        yield app, hn, bsky, feeds, clock
        app.engine.dispose()


def test_refused_search_disables_only_that_source_and_tells_ops(app) -> None:
    app, hn, bsky, feeds, clock = app
    story = hn.story("acme acquires a rival")
    bsky.post("acme is hiring")
    feeds.publish("news", "Acme opens a store")
    clock.advance(seconds=5)
    brand = app.config.brand("Acme")
    refused = app.pipeline.poll("bluesky", app.connectors["bluesky"], brand)
    ok_hn = app.pipeline.poll("hn", app.connectors["hn"], brand)
    ok_rss = app.pipeline.poll("rss", app.connectors["rss"], brand)
    assert refused.error and "credentials rejected" in refused.error
    assert (ok_hn.error, ok_hn.new_posts, ok_rss.error, ok_rss.new_posts) == (None, 1, None, 1)
    with app.engine.connect() as conn:
        state = health.read(conn, source="bluesky", brand="Acme")
        ops = conn.execute(select(outbox.c.channel, outbox.c.text).where(outbox.c.kind == "ops")).all()
        stored = conn.execute(select(posts.c.platform, posts.c.post_id)).all()
    assert state.disabled_reason and "app password" in state.disabled_reason
    assert len(ops) == 1 and "disabled" in ops[0].text and "bluesky" in ops[0].text
    assert ("hn", story) in {(p, i) for p, i in stored}
    sent = len(bsky.requests)
    again = app.pipeline.poll("bluesky", app.connectors["bluesky"], brand)
    assert again.skipped_reason and again.skipped_reason.startswith("disabled")
    assert len(bsky.requests) == sent, "a disabled source makes no requests"


def test_brand_comment_on_hn_is_stored_as_the_brands_with_the_post_it_answers(app) -> None:
    app, hn, _bsky, _feeds, clock = app
    story = hn.story("acme outage thread")
    clock.advance(seconds=1)
    reply = hn.comment("We are on it, status page updated.", parent=story, author="acme_team")
    clock.advance(seconds=5)
    result = app.pipeline.poll("hn", app.connectors["hn"], app.config.brand("Acme"))
    assert result.new_posts == 2
    with app.engine.connect() as conn:
        own = conn.execute(select(posts.c.post_id, posts.c.reply_to).where(posts.c.from_brand)).all()
    assert [tuple(r) for r in own] == [(reply, story)]
