"""Every figure of the digest against hand-computed values, on SQLite and PostgreSQL (see scenario.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from monitor.digest.build import build_digest
from monitor.digest.model import Digest
from monitor.digest.render import as_text, render
from monitor.storage import migrate
from monitor.storage.engine import make_engine
from tests.digest import scenario
from tests.digest.scenario import DAY, NOW, z
from tests.support.databases import fresh_postgres, postgres_available, sqlite_url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def digest(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Digest]:
    """The scenario's digest, built once per database (the tests only read it)."""
    if request.param == "sqlite":
        yield _build(sqlite_url(tmp_path_factory.mktemp("digest")))
        return
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set BRAND_MONITOR_TEST_PG)")
    with fresh_postgres() as url:
        yield _build(url)


def _build(db_url: str) -> Digest:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    scenario.seed_week(engine)
    config = scenario.config(db_url)
    with engine.connect() as conn:
        built = build_digest(
            conn, brands=["Acme", "Quiet"], day=DAY, tz=config.schedule.tz, now=NOW, settings=config.digest
        )
    engine.dispose()
    return built


def test_volume_by_platform_and_language_on_a_23_hour_day(digest: Digest) -> None:
    acme = digest.brands[0]
    v = acme.today.volume
    # p1 (local midnight) .. p6 (23:59:59 CEST); not 23:59:59 CET the day before, not midnight after,
    # not the brand's own post.
    assert (v.total, v.classified, v.negative) == (6, 5, 3)
    assert v.negative_share == pytest.approx(0.6)
    assert v.by_platform == (("x", 4, 2), ("reddit", 2, 1))
    assert v.by_language == (("en", 2), ("pl", 2), ("de", 1), ("unknown", 1))
    w = acme.week_ago.volume
    assert acme.week_ago.day == date(2026, 3, 22)
    assert (w.total, w.classified, w.negative) == (4, 4, 2)
    assert w.by_platform == (("x", 3, 1), ("reddit", 1, 1))


def test_spikes_of_the_day_with_drivers(digest: Digest) -> None:
    acme = digest.brands[0]
    spikes = acme.today.spikes
    # The one still open since the evening before, then the day's own; not the one of the 27th.
    assert [(s.metric, s.opened_at, s.status) for s in spikes] == [
        ("volume", z("2026-03-28T20:00"), "open"),
        ("negative", z("2026-03-29T10:00"), "resolved"),
    ]
    s = spikes[1]
    assert (s.peak_count, s.expected, s.peak_at) == (12, 2, z("2026-03-29T10:20"))
    assert s.terms == ("refund", "outage") and s.top_url == "https://x.example/p/top"
    assert len(acme.week_ago.spikes) == 1


def test_top_negative_posts_by_reach(digest: Digest) -> None:
    top = digest.brands[0].top_negative
    # karma 20000 beats followers 5000; a non-numeric "followers" counts as 0, not an error.
    assert [(p.author, p.reach) for p in top] == [("loud_user", 20000), (top[1].author, 5000), (top[2].author, 100)]


def test_reply_figures(digest: Digest) -> None:
    acme = digest.brands[0]
    r = acme.today.replies
    # Six needed a reply (the "not negative" one never did); first replies after 600, 1800, 7200 s.
    assert (r.needed, r.replied, r.within, r.breached, r.pending) == (6, 3, 3, 2, 1)
    assert r.median_seconds == pytest.approx(1800)
    assert r.p90_seconds == pytest.approx(1800 + 0.8 * (7200 - 1800))
    assert r.within_share == pytest.approx(0.6)
    w = acme.week_ago.replies
    assert (w.needed, w.replied, w.within, w.breached) == (2, 2, 1, 1)
    assert w.median_seconds == pytest.approx(4200) and w.p90_seconds == pytest.approx(6600)
    assert [b.due_at for b in acme.breaches] == [z("2026-03-29T09:10"), z("2026-03-29T16:00")]
    assert acme.breaches[0].answered_at == z("2026-03-29T10:10")
    assert (acme.open_count, acme.open_overdue) == (3, 2)
    assert [i.posted_at for i in acme.open_items] == [
        z("2026-03-25T10:00"),
        z("2026-03-29T15:00"),
        z("2026-03-29T21:59:59"),
    ]


def test_complaint_categories(digest: Digest) -> None:
    cats = {c.category: (c.day, c.week_ago, c.days_seen) for c in digest.brands[0].categories}
    assert cats == {"billing": (3, 1, 1), "delivery": (1, 1, 2)}


def test_a_brand_with_nothing(digest: Digest) -> None:
    quiet = digest.brands[1]
    assert quiet.today.volume.total == 0 and quiet.today.volume.negative_share is None
    assert quiet.today.replies.needed == 0 and quiet.today.replies.median_seconds is None
    assert quiet.today.replies.within_share is None
    assert quiet.top_negative == () and quiet.open_count == 0 and quiet.terms == ()
    text = as_text(render(digest))
    assert "*No mentions* (last week: 0)." in text
    assert "*No posts needed a reply* (last week: 0)." in text


def test_staffing_by_local_hour_across_the_week(digest: Digest) -> None:
    rows = {r.hour: (r.mentions, r.needing_reply, r.breached) for r in digest.staffing if r.mentions or r.needing_reply}
    assert rows == {
        0: (1, 1, 0),
        10: (2, 1, 1),
        11: (3, 1, 1),
        14: (2, 1, 0),
        16: (0, 1, 0),
        17: (1, 1, 1),
        23: (2, 1, 0),
    }


def test_chart_series_is_hourly_in_local_time(digest: Digest) -> None:
    acme = digest.series[0]
    assert len(acme.hours) == 7 * 24 - 1  # the spring-forward night has no 02:00
    assert acme.hours[0] == z("2026-03-22T23:00") and acme.hours[-1] == z("2026-03-29T21:00")
    assert (sum(acme.volume), sum(acme.negative)) == (11, 7)
    assert acme.volume[acme.hours.index(z("2026-03-29T12:00"))] == 2
    assert len(acme.spikes) == 3


def test_rendered_text_states_the_figures_and_escapes_posts(digest: Digest) -> None:
    parts = render(digest)
    assert len(parts) == 1
    text = as_text(parts)
    assert "*6 mentions* (+50% vs last week's 4) · *60.0% negative* (3 of 5 classified; +10.0 pts vs last week)" in text
    assert "1 not classified yet." in text
    assert "By platform: X 4 (+33%) · Reddit 2 (+100%)" in text
    assert "median first reply 30 min (last week 1 h 10 min), 90th percentile 1 h 42 min." in text
    assert "Within SLA: 60.0% (3 of 5; last week 50.0%); 1 not yet due." in text
    assert "peak 12 per 5 min at 12:20 (expected 2.0), resolved 13:00." in text
    assert "*Still open: 3* (2 overdue; 1 listed under breaches)" in text
    assert text.count("acme order 66") == 1, "a breach still open is listed once"
    assert "\u2068billing\u2069 3 (last week 1; 1 of 7 days)" in text
    # Post text can neither ping nor format.
    assert "<!channel>" not in text and "<@U123>" not in text
    assert "&lt;!channel&gt;" in text and "*\u200brefund*\u200b" in text
    for block in parts[0].blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    assert len(parts[0].blocks) <= 50
