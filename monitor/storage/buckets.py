"""Time buckets computed in the database, portably (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, cast, func
from sqlalchemy.sql.elements import ColumnElement


def epoch_bucket(column: Any, seconds: int, dialect: str) -> ColumnElement[int]:
    """The index of the ``seconds``-long UTC bucket holding ``column`` (epoch seconds // size)."""
    if dialect == "sqlite":
        # UTCDateTime stores naive UTC text; strftime('%s') reads it as UTC.
        return cast(func.strftime("%s", column), Integer) // seconds
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / seconds), BigInteger)
    raise NotImplementedError(f"unsupported database dialect {dialect!r}")
