"""Numbers as people read them: counts, changes, shares, durations, local times."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from values.durations import spoken


def count(n: int) -> str:
    """1,204."""
    return f"{n:,}"


def change(now: int, before: int) -> str:
    """Relative change against ``before``: ``+12%``, ``-20%``, ``±0%``, ``new`` (before was 0)."""
    if before == 0:
        return "±0%" if now == 0 else "new"
    pct = round((now - before) / before * 100)
    return "±0%" if pct == 0 else f"{pct:+d}%"


def share(value: float | None) -> str:
    """``18.2%`` (``n/a`` when unknown)."""
    return "n/a" if value is None else f"{value * 100:.1f}%"


def points(now: float | None, before: float | None) -> str:
    """Change of a share in percentage points: ``+3.1 pts``."""
    if now is None or before is None:
        return "n/a"
    diff = (now - before) * 100
    return "±0.0 pts" if round(diff, 1) == 0 else f"{diff:+.1f} pts"


def duration(seconds: float | None) -> str:
    """``45 s``, ``42 min``, ``3 h 10 min``, ``2 d 4 h`` (``n/a`` when unknown)."""
    if seconds is None:
        return "n/a"
    return spoken(timedelta(seconds=seconds))


def weekday(day: date) -> str:
    """``Tue 24 Nov``."""
    return f"{day:%a} {day.day} {day:%b}"


def local_time(when: datetime, tz: ZoneInfo, *, day: date | None = None) -> str:
    """``14:05`` on ``day``, else ``Mon 30 Nov 14:05``."""
    local = when.astimezone(tz)
    if day is not None and local.date() == day:
        return f"{local:%H:%M}"
    return f"{weekday(local.date())} {local:%H:%M}"
