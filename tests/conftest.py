"""Shared fixtures: databases (SQLite and PostgreSQL), a fake Slack, a tiny local model, configs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.databases import fresh_postgres, postgres_available, sqlite_url
from tests.support.fake_slack import FakeSlack

_PG = postgres_available()


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
def _restore_redactor() -> Iterator[None]:
    """Undo a bootstrap's (or CLI's) redactor: the next test must not mask this one's secrets by chance."""
    from monitor.ops import redact

    before = redact.installed()
    yield
    redact.install(before)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on SQLite and on PostgreSQL (skipped cleanly where no server answers)."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    if not _PG:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set BRAND_MONITOR_TEST_PG)")
    with fresh_postgres() as url:
        yield url


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A local Slack Web API."""
    with FakeSlack() as slack:
        yield slack


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny XLM-RoBERTa sentiment model fitted to a few labelled lines, saved locally once."""
    from tests.support.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"), fit=True)


class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


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
