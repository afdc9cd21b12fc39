"""Local days in the configured zone, as UTC instants, and when each day's digest is due (DST-safe)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class LocalDay:
    """One local calendar day: ``[start, end)`` in UTC (23, 24 or 25 hours long)."""

    day: date
    start: datetime
    end: datetime


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant the local ``day`` begins (a midnight skipped by DST moves to the first valid time)."""
    return wall_time(day, time(0, 0), tz)


def wall_time(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of the local wall-clock time ``at`` on ``day``.

    A time skipped by DST (spring forward) is read with the offset in force before the
    change, so 02:30 becomes 03:30; a time that happens twice (fall back) is its first occurrence.
    """
    local = datetime.combine(day, at, tzinfo=tz)  # fold=0
    return local.astimezone(UTC)


def local_day(day: date, tz: ZoneInfo) -> LocalDay:
    """The UTC bounds of local ``day``."""
    return LocalDay(day, local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz))


def last_complete_day(now: datetime, tz: ZoneInfo) -> date:
    """Yesterday, locally: the most recent day that has ended."""
    return now.astimezone(tz).date() - timedelta(days=1)


def scheduled_at(day: date, tz: ZoneInfo, digest_time: time) -> datetime:
    """When the digest covering ``day`` is due: ``digest_time`` on the next local day."""
    return wall_time(day + timedelta(days=1), digest_time, tz)


def latest_due_day(now: datetime, tz: ZoneInfo, digest_time: time) -> date:
    """The newest day whose digest time has come by ``now``."""
    day = now.astimezone(tz).date()  # today's digest covers yesterday; it may not be due yet
    candidate = day - timedelta(days=1)
    while scheduled_at(candidate, tz, digest_time) > now:
        candidate -= timedelta(days=1)
    return candidate
