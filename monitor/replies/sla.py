"""Deadlines: ``due_at`` = the post's own time + the SLA, counted only while the channel is staffed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.replies.settings import DAYS, ChannelHours, Window

# Look this far ahead for staffed time before giving up (a config with no windows at all is 24/7).
_HORIZON_DAYS = 14


def due_at(posted_at: datetime, sla: timedelta, hours: ChannelHours | None) -> datetime:
    """When a reply is due: ``sla`` of staffed time (business hours or on-call) after ``posted_at``."""
    if hours is None or not (hours.business or hours.on_call):
        return posted_at + sla
    left = sla
    for start, end in _staffed(posted_at, hours):
        span = end - start
        if span >= left:
            return start + left
        left -= span
    return posted_at + sla  # no staffed time in two weeks: fall back to the plain clock


def cover(at: datetime, hours: ChannelHours | None) -> str:
    """Who covers ``at``: ``"business"``, ``"on_call"`` or ``"none"`` (always business without hours)."""
    if hours is None or not (hours.business or hours.on_call):
        return "business"
    zone = ZoneInfo(hours.timezone)
    for kind, windows in (("business", hours.business), ("on_call", hours.on_call)):
        for window in windows:
            for start, end in _window_spans(window, at.astimezone(zone).date() - timedelta(days=1), 2, zone):
                if start <= at < end:
                    return kind
    return "none"


def _staffed(since: datetime, hours: ChannelHours) -> Iterator[tuple[datetime, datetime]]:
    """Staffed intervals from ``since`` on, merged and in order, clipped to start at ``since``."""
    zone = ZoneInfo(hours.timezone)
    first_day = since.astimezone(zone).date() - timedelta(days=1)  # a window from yesterday may run past midnight
    spans = []
    for window in (*hours.business, *hours.on_call):
        spans.extend(_window_spans(window, first_day, _HORIZON_DAYS + 1, zone))
    spans.sort()
    merged: list[list[datetime]] = []
    for start, end in spans:
        if end <= since:
            continue
        start = max(start, since)
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        yield start, end


def _window_spans(window: Window, first_day: date, days: int, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    out = []
    for offset in range(days + 1):
        day = first_day + timedelta(days=offset)
        if DAYS[day.weekday()] not in window.days:
            continue
        start = _local(day, window.start, zone)
        end_day = day if window.end > window.start else day + timedelta(days=1)
        end = _local(end_day, window.end, zone)
        out.append((start, end))
    return out


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on ``day`` in ``zone``, as an aware UTC-comparable datetime (DST-safe)."""
    # In UTC, so that adding a timedelta counts real time across a DST change, not wall-clock time.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
