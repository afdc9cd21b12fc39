"""The one place the real time is read; logic takes a clock argument instead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told: the time tests (and the manual job runner) drive.

    ``sleep`` advances it instead of waiting, so code paced by an injected sleep
    (Slack's per-channel pace, retention's pause) takes no real time.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock's time must be timezone-aware")
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta | None = None, /, **parts: float) -> datetime:
        """Move forward by ``delta`` (or ``timedelta(**parts)``); returns the new time."""
        step = (delta or timedelta(0)) + timedelta(**parts)
        if step < timedelta(0):
            raise ValueError(f"a clock does not go back ({step})")
        self.now += step
        return self.now

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass at once."""
        self.advance(seconds=max(seconds, 0.0))
