"""Faults under the daemon's steps: after recovery nothing is lost and nothing is sent twice.

The database briefly unavailable (SQLite locked by another connection, the
SQLite disk full, PostgreSQL connections killed or the server unreachable
through a proxy we cut), and sources and Slack failing and recovering.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from monitor.once import run_once
from monitor.storage import engine as engine_module
from monitor.storage.schema import outbox, posts
from tests.conftest import Clock
from tests.connectors.harnesses import X_ENV
from tests.ops.apps import KeywordClassifier, config_dict, make_app, negative_keys, replay_file
from tests.support.fake_x import FakeX
from tests.support.tcp_proxy import TcpProxy


def stored(app) -> int:
    with app.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(posts)).scalar_one()


def statuses(app) -> set[str]:
    with app.engine.connect() as conn:
        return set(conn.execute(select(outbox.c.status)).scalars())


def sqlite_path(db_url: str) -> str:
    return make_url(db_url).database


def terminate_backends(db_url: str) -> int:
    with psycopg.connect(db_url.replace("+psycopg", ""), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


@pytest.fixture
def short_busy_timeout(monkeypatch):
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 100)  # SQLite waits it out in real time


def test_sqlite_locked_briefly_just_waits(tmp_path, fake_slack) -> None:
    db_url = f"sqlite:///{tmp_path / 'd.db'}"
    app = make_app(config_dict(db_url, replay_file(tmp_path, 12), fake_slack.base_url), fake_slack)
    other = sqlite3.connect(sqlite_path(db_url), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process writing: shorter than the busy timeout
    threading.Timer(0.25, other.rollback).start()
    run_once(app)
    assert stored(app) == 12 and sorted(fake_slack.keys()) == negative_keys(12)


def test_sqlite_locked_too_long_fails_the_step_then_recovers(tmp_path, fake_slack, short_busy_timeout) -> None:
    db_url = f"sqlite:///{tmp_path / 'd.db'}"
    app = make_app(config_dict(db_url, replay_file(tmp_path, 12), fake_slack.base_url), fake_slack)
    other = sqlite3.connect(sqlite_path(db_url), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError, match="locked"):
        run_once(app)
    other.rollback()
    run_once(app)
    assert stored(app) == 12 and sorted(fake_slack.keys()) == negative_keys(12)


def test_sqlite_disk_full_loses_nothing(tmp_path, fake_slack) -> None:
    db_url = f"sqlite:///{tmp_path / 'd.db'}"
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    app = make_app(config_dict(db_url, replay_file(tmp_path, 300), fake_slack.base_url), fake_slack, clock=clock)
    full = {"on": True}

    @event.listens_for(app.engine, "connect")
    def _cap(dbapi_conn, _record) -> None:
        if full["on"]:  # the file may not grow beyond its current size: SQLITE_FULL on the next page
            pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
            dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 2}")

    app.engine.dispose()
    with pytest.raises(OperationalError, match="full"):
        run_once(app)
    partial = stored(app)
    assert partial < 300  # it filled up part-way
    full["on"] = False
    app.engine.dispose()  # the disk has room again
    clock.advance(minutes=5)  # past the failed poll's back-off
    run_once(app)
    assert stored(app) == 300
    assert sorted(fake_slack.keys()) == negative_keys(300)
    assert statuses(app) == {"sent"}


def test_database_gone_right_after_a_send_is_reconciled_not_resent(
    tmp_path, db_url, fake_slack, short_busy_timeout
) -> None:
    """Slack took the message but recording it failed: the next pass finds it in the channel."""
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    with TcpProxy(_pg_target(db_url)) as proxy:
        url = _through(db_url, proxy)
        app = make_app(config_dict(url, replay_file(tmp_path, 12), fake_slack.base_url), fake_slack, clock=clock)
        app.pipeline.poll("replay", app.connectors["replay"], app.config.brands[0])
        app.pipeline.classify_pending()
        blocker: list[sqlite3.Connection] = []

        def lose_database(method: str, args: dict) -> None:
            if method == "chat.postMessage" and len(fake_slack.messages) == 1 and not blocker:
                if url.startswith("sqlite"):
                    blocker.append(sqlite3.connect(sqlite_path(url), isolation_level=None, check_same_thread=False))
                    blocker[0].execute("BEGIN IMMEDIATE")
                else:
                    blocker.append(None)  # type: ignore[arg-type]
                    proxy.cut()

        fake_slack.on_call = lose_database
        with pytest.raises(OperationalError):
            app.delivery.run_once()
        fake_slack.on_call = None
        assert len(fake_slack.keys()) == 2  # the second went out, its 'sent' mark did not
        if blocker[0] is not None:
            blocker[0].rollback()
        proxy.restore()
        clock.advance(minutes=3)  # past the claim's lease
        for _ in range(3):
            app.delivery.run_once()
        assert sorted(fake_slack.keys()) == negative_keys(12)  # each once
        assert statuses(app) == {"sent"}
        app.engine.dispose()


def test_postgres_connections_killed_mid_classification(tmp_path, db_url, fake_slack) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    classifier = KeywordClassifier()
    app = make_app(config_dict(db_url, replay_file(tmp_path, 24), fake_slack.base_url), fake_slack,
                   classifier=classifier)
    app.pipeline.poll("replay", app.connectors["replay"], app.config.brands[0])
    killed: list[int] = []
    classifier.before = lambda texts: killed.append(terminate_backends(db_url)) if not killed else None
    with pytest.raises(OperationalError):
        app.pipeline.classify_pending()
    assert killed and killed[0] >= 1
    assert terminate_backends(db_url) >= 0  # and once more between jobs: the pool reconnects
    run_once(app)
    assert sorted(fake_slack.keys()) == negative_keys(24)
    app.engine.dispose()


def test_postgres_unreachable_for_a_while_then_back(tmp_path, db_url, fake_slack) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    with TcpProxy(_pg_target(db_url)) as proxy:
        url = _through(db_url, proxy)
        app = make_app(config_dict(url, replay_file(tmp_path, 30), fake_slack.base_url), fake_slack)
        proxy.cut()  # the server 'restarts': every connection dropped, new ones refused
        with pytest.raises(OperationalError):
            run_once(app)
        proxy.restore()
        run_once(app)
        assert stored(app) == 30 and sorted(fake_slack.keys()) == negative_keys(30)
        app.engine.dispose()


def test_source_and_slack_failing_then_recovering(tmp_path, db_url, fake_slack, monkeypatch) -> None:
    for name, value in X_ENV.items():
        monkeypatch.setenv(name, value)
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))  # a fixed day: results must not depend on today
    with FakeX(clock=clock) as x:
        raw = config_dict(db_url, tmp_path / "unused.jsonl", fake_slack.base_url)
        raw["sources"] = {"x": {"base_url": x.base_url, "settle": "1s", "timeout": "1s", "interval": "1m"}}
        app = make_app(raw, fake_slack, clock=clock, env=X_ENV)
        for i in range(1, 13):
            x.tweet(f"acme order {i} {'is broken' if i % 3 == 0 else 'arrived'}")
        clock.advance(seconds=5)
        x.fault("500", times=2)
        fake_slack.down = True
        run_once(app)  # the source fails: backing off
        clock.advance(minutes=2)
        run_once(app)  # fails again
        assert stored(app) == 0
        clock.advance(minutes=2)
        run_once(app)  # the source is back; Slack is still down
        assert stored(app) == 12 and fake_slack.keys() == []
        fake_slack.down = False
        clock.advance(minutes=20)
        run_once(app)
        run_once(app)
        texts = [m.text for m in fake_slack.messages]
        assert len(texts) == len(set(texts)) == 4  # every negative post once
        assert statuses(app) == {"sent"}
        app.engine.dispose()


def _pg_target(db_url: str) -> tuple[str, int]:
    parsed = make_url(db_url)
    return (parsed.host or "127.0.0.1", parsed.port or 5432)


def _through(db_url: str, proxy: TcpProxy) -> str:
    if not db_url.startswith("postgresql"):
        return db_url
    return make_url(db_url).set(port=proxy.port).render_as_string(hide_password=False)


_ = time
