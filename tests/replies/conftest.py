"""Fixtures for the reply-queue tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.databases import sqlite_url


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    """A SQLite database, for tests whose subject does not depend on the database (PostgreSQL runs elsewhere)."""
    return sqlite_url(tmp_path)
