"""Shared fixtures: databases (SQLite and PostgreSQL), a fake Slack, a tiny local model, configs, a clock."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from monitor.clock import ManualClock
from tests.support import databases
from tests.support.databases import fresh_postgres, migrated_sqlite_url, postgres_available, sqlite_url
from tests.support.fake_slack import FakeSlack

pytest_plugins = ["pytester"]  # tests/test_fixtures.py runs a pytest session of its own

_PG = postgres_available()
# In CI a PostgreSQL server must answer: a run that skipped every PostgreSQL test must not pass.
_PG_REQUIRED = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Undo a CLI's logging set-up run in-process: its handler writes to this test's captured stderr,
    which is closed once the test ends (later log lines would fail with 'I/O operation on closed file')."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _restore_signal_handlers() -> Iterator[None]:
    """Undo the SIGTERM/SIGINT handlers a `run --once` in-process installs: Ctrl-C must still stop pytest."""
    import signal

    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)


@pytest.fixture(autouse=True)
def _restore_redactor() -> Iterator[None]:
    """Undo a bootstrap's (or CLI's) redactor: the next test must not mask this one's secrets by chance."""
    from values import redaction

    before = redaction.installed()
    yield
    redaction.install(before)


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """At the end of the session, drop the databases made ahead and those left to drop."""
    yield
    databases.shutdown()


def _database(request: pytest.FixtureRequest, tmp_path: Path, *, migrated: bool) -> Iterator[str]:
    if request.param == "sqlite":
        yield migrated_sqlite_url(tmp_path) if migrated else sqlite_url(tmp_path)
        return
    if not _PG:
        why = "PostgreSQL is not reachable on 127.0.0.1:5432 (set BRAND_MONITOR_TEST_PG)"
        if _PG_REQUIRED:
            pytest.fail(f"{why}; CI=true requires it", pytrace=False)
        pytest.skip(why)
    with fresh_postgres(migrated=migrated) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on SQLite and on PostgreSQL, each on a migrated database of its own.

    PostgreSQL is skipped where no server answers, and fails the run under CI=true.
    """
    yield from _database(request, tmp_path, migrated=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Like ``db_url``, but a database nothing was done to (for the migrations themselves)."""
    yield from _database(request, tmp_path, migrated=False)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on ``db_url``'s migrated database (SQLite, then PostgreSQL), disposed of after the test."""
    from monitor.storage.engine import make_engine

    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A local Slack Web API."""
    with FakeSlack() as slack:
        yield slack


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    """A tiny XLM-RoBERTa sentiment model fitted to a few labelled lines, built once per content hash."""
    from tests.support.tiny_model import cached_tiny_model

    return cached_tiny_model(fit=True)


START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class Clock(ManualClock):
    """A clock tests move by hand, starting 2026-11-20 12:00 UTC unless told otherwise."""

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__(start or START)


@pytest.fixture
def clock() -> Clock:
    """A controllable clock starting 2026-11-20 12:00 UTC."""
    return Clock()


def write_posts(path: Path, posts: list[dict[str, Any]]) -> Path:
    """Write replay-format posts as JSON Lines."""
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts), encoding="utf-8")
    return path


def make_post(n: int, text: str, *, platform: str = "x", minutes: int = 0, **extra: Any) -> dict[str, Any]:
    """A replay-format post with id ``n``."""
    created = datetime(2026, 11, 20, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes or n)
    return {
        "platform": platform,
        "id": str(n),
        "author": f"user{n}",
        "text": text,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "url": f"https://x.com/user{n}/status/{n}",
        "metrics": {"followers": 10 * n},
        **extra,
    }
