"""Throw-away databases for tests: a SQLite file, or a fresh PostgreSQL database when a server answers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_ADMIN_URL = os.environ.get("BRAND_MONITOR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def postgres_available() -> bool:
    """True when the test PostgreSQL server accepts connections."""
    try:
        import psycopg

        with psycopg.connect(_libpq(PG_ADMIN_URL), connect_timeout=2):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not available here"
        return False


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """Create an empty database, yield its SQLAlchemy URL, drop it afterwards."""
    import psycopg

    name = f"bm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_url(directory: Path) -> str:
    """A SQLite file URL inside ``directory``."""
    return f"sqlite:///{directory / 'test.db'}"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")
