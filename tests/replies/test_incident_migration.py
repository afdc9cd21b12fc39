"""Migration 0007: burst summaries already sent become incidents (same key), and back on downgrade."""

from __future__ import annotations

from sqlalchemy import text

from monitor.storage import migrate
from monitor.storage.engine import make_engine


def test_bursts_become_incidents_and_come_back(empty_db_url) -> None:
    engine = make_engine(empty_db_url)
    migrate.upgrade(engine, "0006")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO posts (platform, post_id, source, author, text, created_at, fetched_at, metrics, extra,"
                " from_brand) VALUES ('x', '1', 'x', 'a', 'acme is down', :t, :t, '{}', '{}', false)"
            ),
            {"t": "2026-11-20 12:00:00"},
        )
        pk = conn.execute(text("SELECT id FROM posts")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO reply_bursts (summary_key, channel, window_start, created_at, posts, rendered_posts,"
                " revision) VALUES ('reply-burst:#r:1', '#r', :t, :t, 1, 1, 2)"
            ),
            {"t": "2026-11-20 12:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO reply_items (brand, post_pk, platform, post_id, status, priority, priority_score,"
                " channel, reason, posted_at, due_at, created_at, alert_key, summary_key, revision) VALUES"
                " ('Acme', :pk, 'x', '1', 'open', 'normal', 0.5, '#r', 'negative', :t, :t, :t, 'reply:1',"
                " 'reply-burst:#r:1', 0)"
            ),
            {"pk": pk, "t": "2026-11-20 12:00:00"},
        )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT incident_key, kind, channel, posts, revision FROM reply_incidents")).one()
        assert tuple(row) == ("reply-burst:#r:1", "burst", "#r", 1, 2)
        assert conn.execute(text("SELECT incident_key FROM reply_items")).scalar_one() == "reply-burst:#r:1"
    migrate.downgrade(engine, "0006")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT summary_key, posts FROM reply_bursts")).one() == ("reply-burst:#r:1", 1)
    engine.dispose()
