"""SQL expressions the digest needs on both SQLite and PostgreSQL: durations, reach, local-day index."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, case, cast, func, literal_column, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from monitor.spikes.explain import REACH_KEYS


def seconds_between(start: Any, end: Any, dialect: str) -> ColumnElement[float]:
    """``end - start`` in seconds."""
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    if dialect == "postgresql":
        # EXTRACT(EPOCH ...) is fractional: SQLAlchemy types every EXTRACT as an integer, so say what it is.
        return type_coerce(func.extract("epoch", end - start), Float)
    raise NotImplementedError(f"unsupported database dialect {dialect!r}")


def reach(metrics: Any, dialect: str) -> ColumnElement[float]:
    """The author's reach from a post's metrics JSON: the largest numeric followers/karma-like value, else 0.

    Non-numeric values count as 0 (a cast would fail the whole query on PostgreSQL).
    """
    parts = []
    for key in REACH_KEYS:
        if dialect == "sqlite":
            path = f"$.{key}"
            parts.append(
                case(
                    (
                        func.json_type(metrics, path).in_(["integer", "real"]),
                        cast(func.json_extract(metrics, path), Float),
                    ),
                    else_=0.0,
                )
            )
        elif dialect == "postgresql":
            part = metrics.op("->")(literal_column(f"'{key}'"))
            parts.append(
                case(
                    (func.json_typeof(part) == "number", cast(metrics.op("->>")(literal_column(f"'{key}'")), Float)),
                    else_=0.0,
                )
            )
        else:
            raise NotImplementedError(f"unsupported database dialect {dialect!r}")
    return func.max(*parts) if dialect == "sqlite" else func.greatest(*parts)


def day_index(column: Any, bounds: Sequence[datetime]) -> ColumnElement[int]:
    """Which of the days ``[bounds[i], bounds[i + 1])`` holds ``column`` (0-based; caller filters the range).

    Local days have uneven lengths around DST, so the boundaries come from Python (zoneinfo),
    and the database only compares instants: exact on both dialects, and index-friendly.
    """
    whens = [(column < bounds[i + 1], i) for i in range(len(bounds) - 2)]
    return case(*whens, else_=len(bounds) - 2) if whens else literal_column("0")
