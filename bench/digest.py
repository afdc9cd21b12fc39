"""How long one daily digest takes to build on a year of data: SQLite and PostgreSQL.

Seeds a year of posts for 5 brands (2 million by default) with their mentions, reply-queue
rows and spikes, generated inside the database (INSERT ... SELECT over a row generator: a
bulk insert, no Python loop per row), then builds the digest for yesterday several times and
prints the timings. The baseline, measured in the same run on the same database, is one full
count of the year's mentions: the digest must cost a small, fixed fraction of it, whatever
the year holds.

    python bench/digest.py [--posts 2000000] [--only sqlite|postgresql] [--repeat 3]

The PostgreSQL run uses a throw-away database on 127.0.0.1:5432 (dropped afterwards).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, func, select, text

from monitor.config import parse_config
from monitor.digest import build as digest_build
from monitor.digest.build import build_digest
from monitor.digest.chart import render_chart
from monitor.digest.days import last_complete_day
from monitor.digest.render import render
from monitor.storage import migrate
from monitor.storage.engine import make_engine
from monitor.storage.schema import mentions, spikes

BRANDS = [f"Brand{i}" for i in range(5)]
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 in Warsaw: digest time
YEAR = timedelta(days=365)
TEXTS = [
    "still waiting for my refund, order late again",
    "the app keeps crashing after the update",
    "great service today, thanks",
    "delivery late and support never answers",
    "love the new store",
    "charged twice, need a refund",
    "anyone else seeing the outage?",
    "nice packaging",
]


def _sqlite_seed(engine: Engine, n: int) -> None:
    start = int((NOW - YEAR).timestamp())
    step = YEAR.total_seconds() / n
    texts = " ".join(f"WHEN {i} THEN '{t}'" for i, t in enumerate(TEXTS))
    ts = f"strftime('%Y-%m-%d %H:%M:%S', {start} + CAST(g.n * {step} AS INTEGER), 'unixepoch') || '.000000'"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"""
            INSERT INTO posts (platform, post_id, source, author, text, url, created_at, fetched_at, metrics, extra,
                               lang, from_brand, sentiment, classified_at)
            WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < {n - 1})
            SELECT CASE g.n % 3 WHEN 0 THEN 'x' WHEN 1 THEN 'reddit' ELSE 'bluesky' END,
                   'p' || g.n, 'bench', 'user' || (g.n % 50000), CASE (g.n / 5) % 8 {texts} END,
                   'https://example.com/p/' || g.n, {ts}, {ts},
                   json_object('followers', (g.n * 104729) % 50000, 'likes', g.n % 17), '{{}}',
                   CASE (g.n / 3) % 4 WHEN 0 THEN 'en' WHEN 1 THEN 'pl' WHEN 2 THEN 'ru' ELSE 'fa' END, 0,
                   CASE WHEN (g.n * 7919) % 100 < 20 THEN 'negative' ELSE 'neutral' END, {ts}
            FROM g""")
        conn.exec_driver_sql("""
            INSERT INTO mentions (brand, post_pk, created_at, negative, from_brand)
            SELECT 'Brand' || ((id - 1) % 5), id, created_at, sentiment = 'negative', 0 FROM posts""")
        _replies(conn, "sqlite")


def _postgres_seed(engine: Engine, n: int) -> None:
    start = int((NOW - YEAR).timestamp())
    step = YEAR.total_seconds() / n
    texts = " ".join(f"WHEN {i} THEN '{t}'" for i, t in enumerate(TEXTS))
    ts = f"to_timestamp({start} + floor(g.n * {step}))"
    with engine.begin() as conn:
        _pg(conn, f"""
            INSERT INTO posts (platform, post_id, source, author, text, url, created_at, fetched_at, metrics, extra,
                               lang, from_brand, sentiment, classified_at)
            SELECT CASE g.n % 3 WHEN 0 THEN 'x' WHEN 1 THEN 'reddit' ELSE 'bluesky' END,
                   'p' || g.n, 'bench', 'user' || (g.n % 50000), CASE (g.n / 5) % 8 {texts} END,
                   'https://example.com/p/' || g.n, {ts}, {ts},
                   json_build_object('followers', (g.n * 104729) % 50000, 'likes', g.n % 17), '{{}}',
                   CASE (g.n / 3) % 4 WHEN 0 THEN 'en' WHEN 1 THEN 'pl' WHEN 2 THEN 'ru' ELSE 'fa' END, false,
                   CASE WHEN (g.n::bigint * 7919) % 100 < 20 THEN 'negative' ELSE 'neutral' END, {ts}
            FROM generate_series(0::bigint, {n - 1}) AS g(n)""")
        _pg(conn, """
            INSERT INTO mentions (brand, post_pk, created_at, negative, from_brand)
            SELECT 'Brand' || ((id - 1) % 5), id, created_at, sentiment = 'negative', false FROM posts""")
        _replies(conn, "postgresql")
        conn.exec_driver_sql("ANALYZE")


def _pg(conn, sql: str) -> None:
    conn.exec_driver_sql(sql.replace("%", "%%"))  # psycopg reads % as a placeholder


def _replies(conn, dialect: str) -> None:
    """Every tenth negative post needed a reply; first reply 0-2 h later (SLA 1 h); one in a hundred still open."""
    if dialect == "sqlite":
        later = "strftime('%Y-%m-%d %H:%M:%f', created_at, '+' || ((id * 31) % 7200) || ' seconds') || '000'"
        due = "strftime('%Y-%m-%d %H:%M:%f', created_at, '+3600 seconds') || '000'"
    else:
        later = "created_at + ((id * 31) % 7200) * interval '1 second'"
        due = "created_at + interval '1 hour'"
    run = conn.exec_driver_sql if dialect == "sqlite" else lambda sql: _pg(conn, sql)
    run(f"""
        INSERT INTO reply_items (brand, post_pk, platform, post_id, status, priority, priority_score, category,
                                 channel, reason, posted_at, due_at, created_at, first_reply_at, closed_at,
                                 within_sla, alert_key)
        SELECT 'Brand' || ((id - 1) % 5), id, platform, post_id,
               CASE WHEN (id / 5) % 100 = 0 THEN 'open' ELSE 'replied' END, 'normal', 0.5,
               CASE id % 3 WHEN 0 THEN 'billing' WHEN 1 THEN 'delivery' ELSE 'app' END,
               '#alerts', 'negative', created_at, {due}, created_at,
               CASE WHEN (id / 5) % 100 = 0 THEN NULL ELSE {later} END,
               CASE WHEN (id / 5) % 100 = 0 THEN NULL ELSE {later} END,
               CASE WHEN (id / 5) % 100 = 0 THEN NULL ELSE (id * 31) % 7200 <= 3600 END,
               'reply:' || id
        FROM posts WHERE sentiment = 'negative' AND (id / 5) % 10 = 0""")
    # Two spikes a week per brand, with drivers as the spike watcher stores them.
    rows = []
    for brand in BRANDS:
        for week in range(52):
            for k in range(2):
                opened = NOW - YEAR + timedelta(days=7 * week + 3 * k, hours=10)
                rows.append({
                    "spike_key": f"{brand}:negative:{opened.isoformat()}", "brand": brand, "metric": "negative",
                    "status": "resolved", "opened_at": opened, "updated_at": opened + timedelta(hours=1),
                    "resolved_at": opened + timedelta(hours=1), "peak_at": opened + timedelta(minutes=20),
                    "peak_count": 40.0, "expected": 4.0,
                    "drivers": {"terms": ["refund", "outage"], "summary": "Many independent posts.",
                                "top_posts": [{"url": "https://example.com/p/1"}]},
                })
    conn.execute(spikes.insert(), rows)


def _timed(func: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = func()
    return time.perf_counter() - started, value


def bench(url: str, dialect: str, *, posts: int, repeat: int) -> None:
    """Seed one database and time the digest on it."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    seed = _sqlite_seed if dialect == "sqlite" else _postgres_seed
    seeding, _ = _timed(lambda: seed(engine, posts))
    config = parse_config(
        {"storage": {"url": url}, "schedule": {"timezone": "Europe/Warsaw"}, "brands": [
            {"name": b, "terms": [b.lower()]} for b in BRANDS]},
        env={},
    )
    day = last_complete_day(NOW, config.schedule.tz)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(mentions)).scalar_one()
        replies = conn.execute(text("SELECT count(*) FROM reply_items")).scalar_one()
    print(f"{dialect}: seeded {posts:,} posts, {total:,} mentions, {replies:,} reply items in {seeding:.1f} s")

    def build():
        with engine.connect() as conn:
            return build_digest(conn, brands=BRANDS, day=day, tz=config.schedule.tz, now=NOW,
                                settings=config.digest)

    def full_count():
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(mentions)).scalar_one()

    # Time the complaint-term step (Python over post text) apart from the SQL around it.
    spent: list[float] = []
    plain_terms = digest_build.complaint_terms

    def timed_terms(*args, **kwargs):
        seconds, value = _timed(lambda: plain_terms(*args, **kwargs))
        spent.append(seconds)
        return value

    digest_build.complaint_terms = timed_terms
    build()  # warm the caches the way a daemon's second digest finds them
    queries, terms, charts, renders, baselines = [], [], [], [], []
    for _ in range(repeat):
        spent.clear()
        seconds, digest = _timed(build)
        queries.append(seconds)
        terms.append(sum(spent))
        charts.append(_timed(lambda d=digest: render_chart(d))[0])
        renders.append(_timed(lambda d=digest: render(d))[0])
        baselines.append(_timed(full_count)[0])
    digest_build.complaint_terms = plain_terms
    brand = digest.brands[0]
    q, t, c, r, b = (statistics.median(x) for x in (queries, terms, charts, renders, baselines))
    print(f"{dialect}: digest for {day} ({brand.today.volume.total:,} mentions of {brand.brand} that day, "
          f"{brand.today.replies.needed} needed a reply): figures {q * 1000:.0f} ms (of which complaint terms "
          f"{t * 1000:.0f} ms), chart {c * 1000:.0f} ms, Slack text {r * 1000:.1f} ms; "
          f"total {(q + c + r) * 1000:.0f} ms (median of {repeat})")
    print(f"{dialect}: baseline, one count of all {total:,} mentions: {b * 1000:.0f} ms "
          f"(digest SQL = {(q - t) / b:.1f}x that)")
    engine.dispose()


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            bench(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", posts=args.posts, repeat=args.repeat)
    if args.only in (None, "postgresql"):
        from tests.support.databases import fresh_postgres, postgres_available

        if not postgres_available():
            print("postgresql: not reachable on 127.0.0.1:5432; skipped")
            return
        with fresh_postgres() as url:
            bench(url, "postgresql", posts=args.posts, repeat=args.repeat)


if __name__ == "__main__":
    main()
