"""Times as platforms write them (ISO 8601 with ``Z`` or an offset), read into UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def utc_time(value: Any) -> datetime:
    """An ISO 8601 time with its zone (``Z`` or an offset, any fraction of a second) in UTC.

    Raises ``ValueError`` for a time without a zone: guessing one would shift the post by hours.
    """
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time {value!r} has no time zone")
    return moment.astimezone(UTC)
