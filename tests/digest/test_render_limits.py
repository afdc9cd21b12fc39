"""Slack's limits: many brands split into threaded parts of at most 50 blocks; long text is cut."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from monitor.alerts.slack_text import MAX_BLOCKS, SECTION_LIMIT
from monitor.digest import runs
from monitor.digest.build import build_digest
from monitor.digest.render import render
from monitor.digest.terms import complaint_terms
from monitor.storage import migrate
from monitor.storage.engine import make_engine
from monitor.storage.schema import outbox
from tests.digest import scenario, seed
from tests.digest.scenario import DAY, NOW


def test_many_brands_split_into_parts_within_limits(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    brands = [f"Brand{i}" for i in range(12)]
    with engine.begin() as conn:
        for i, brand in enumerate(brands):
            for n in range(6):  # six long negative posts each, so every brand has every section
                seed.post(conn, brand, datetime(2026, 3, 29, 8, n, tzinfo=UTC), negative=True,
                          text=f"{'very long complaint ' * 80} {i} {n}", metrics={"followers": n})
    config = scenario.config(url)
    with engine.connect() as conn:
        digest = build_digest(conn, brands=brands, day=DAY, tz=config.schedule.tz, now=NOW, settings=config.digest)
    parts = render(digest)
    assert len(parts) >= 2
    for part in parts:
        assert 0 < len(part.blocks) <= MAX_BLOCKS
        for block in part.blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= SECTION_LIMIT
    with engine.begin() as conn:
        runs.create(conn, day=DAY, channel="#digest", parts=parts, chart=b"png", now=NOW)
        queued = conn.execute(select(outbox.c.dedup_key, outbox.c.thread_key).order_by(outbox.c.id)).all()
    assert queued[0] == ("digest:2026-03-29:#digest", None)
    assert all(thread == "digest:2026-03-29:#digest" for _, thread in queued[1:])
    engine.dispose()


def test_complaint_terms_recur_across_days() -> None:
    # Day 6 is the digest day; "refund" is in 8 of its 10 negative posts and on 3 other days.
    negatives = [(6, f"refund still not here order {n}") for n in range(8)] + [(6, "app crash"), (6, "rude staff")]
    negatives += [(2, "refund please"), (4, "refund?"), (5, "no refund yet"), (1, "slow app")]
    baseline = [f"nice new store opening {n}" for n in range(30)] + ["great app"]
    terms = complaint_terms(negatives, baseline, brand="Acme", day=6, limit=5)
    by_term = {t.term: (t.posts, t.days_seen) for t in terms}
    assert by_term["refund"] == (8, 4)
    assert "app" not in by_term  # in complaints and praise alike: not what complaints are about
    assert complaint_terms([(5, "refund")], baseline, brand="Acme", day=6, limit=5) == ()
