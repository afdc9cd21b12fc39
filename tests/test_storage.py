"""Storage on SQLite and PostgreSQL: migrations, idempotent ingest, cursors saved with their posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from connectors.base import Cursor, Post
from models.base import Sentiment
from monitor.storage import migrate
from monitor.storage import posts as store
from monitor.storage.engine import make_engine
from monitor.storage.schema import mentions, metadata, posts

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def post(n: int, text: str = "acme is broken", author: str = "someone") -> Post:
    return Post(
        platform="x",
        post_id=str(n),
        author=author,
        text=text,
        created_at=NOW - timedelta(minutes=n),
        metrics={"followers": n},
    )


def test_migrations_create_exactly_the_declared_schema(empty_db_url) -> None:
    engine = make_engine(empty_db_url)
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # a second upgrade is a no-op
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()


def test_reingesting_is_a_no_op_and_the_cursor_moves(engine) -> None:
    batch = [post(1), post(2)]
    with engine.begin() as conn:
        first = store.store_page(
            conn, source="x", brand="Acme", posts_in=batch, cursor=Cursor("2", ("1", "2")), brand_handles=(), now=NOW
        )
    with engine.begin() as conn:
        again = store.store_page(
            conn, source="x", brand="Acme", posts_in=[*batch, post(3)], cursor=Cursor("3"), brand_handles=(), now=NOW
        )
    assert (first.new_posts, first.new_mentions) == (2, 2)
    assert (again.new_posts, again.new_mentions) == (1, 1)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == 3
        assert store.load_cursor(conn, source="x", brand="Acme") == Cursor("3")
        assert store.load_cursor(conn, source="x", brand="Other") == Cursor()


def test_one_post_can_mention_two_brands(engine) -> None:
    with engine.begin() as conn:
        store.store_page(
            conn, source="x", brand="Acme", posts_in=[post(1)], cursor=Cursor("1"), brand_handles=(), now=NOW
        )
        second = store.store_page(
            conn, source="x", brand="Globex", posts_in=[post(1)], cursor=Cursor("1"), brand_handles=(), now=NOW
        )
    assert (second.new_posts, second.new_mentions) == (0, 1)


def test_a_failed_transaction_keeps_neither_posts_nor_cursor(engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        store.store_page(
            conn, source="x", brand="Acme", posts_in=[post(1)], cursor=Cursor("9"), brand_handles=(), now=NOW
        )
        raise RuntimeError("crash before commit")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == 0
        assert store.load_cursor(conn, source="x", brand="Acme") == Cursor()


def test_brand_posts_are_marked_and_labels_reach_mentions(engine) -> None:
    with engine.begin() as conn:
        store.store_page(
            conn,
            source="x",
            brand="Acme",
            posts_in=[post(1), post(2, author="@AcmeSupport")],
            cursor=Cursor("2"),
            brand_handles=("acmesupport",),
            now=NOW,
        )
    with engine.connect() as conn:
        pending = store.unclassified(conn, limit=10)
        assert [p.text for p in pending] == ["acme is broken", "acme is broken"]
        flags = dict(conn.execute(select(posts.c.author, posts.c.from_brand)).all())
    assert flags == {"someone": False, "@AcmeSupport": True}
    with engine.begin() as conn:
        store.save_sentiments(
            conn,
            [
                (pending[0].pk, Sentiment("negative", 0.9, 0.9, lang="en")),
                (pending[1].pk, Sentiment("neutral", 0.6, 0.2)),
            ],
            now=NOW,
        )
    with engine.connect() as conn:
        assert store.unclassified(conn, limit=10) == []
        negative = dict(conn.execute(select(mentions.c.post_pk, mentions.c.negative)).all())
        assert negative == {pending[0].pk: True, pending[1].pk: False}
        created = conn.execute(select(posts.c.created_at).where(posts.c.id == pending[0].pk)).scalar()
    assert created == NOW - timedelta(minutes=1) and created.tzinfo is not None


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Post(platform="x", post_id="1", author="a", text="t", created_at=datetime(2026, 1, 1))  # noqa: DTZ001


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
