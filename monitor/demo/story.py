"""The demo's scripted morning: the daemon's own job table on a manual clock, with the time shown as it passes."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TextIO

from monitor.app import App
from monitor.clock import ManualClock
from monitor.digest import runs
from monitor.jobs import table
from monitor.manual import ManualRunner

STEP = timedelta(minutes=5)
# After the last post: long enough for the outage's spike to settle and the open posts' deadlines to pass.
AFTER_LAST_POST = timedelta(minutes=50)


@dataclass(frozen=True, slots=True)
class Morning:
    """When the replayed morning starts and ends."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, posts: Path) -> Morning:
        """From the first post to a while after the last one."""
        times = [
            datetime.fromisoformat(json.loads(line)["created_at"].replace("Z", "+00:00"))
            for line in posts.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        return cls(min(times), max(times) + AFTER_LAST_POST)


class Timeline(io.TextIOBase):
    """The console, with the local time printed above what happened at it (alerts are printed as sent)."""

    def __init__(self, out: TextIO, clock: ManualClock, zone: tzinfo) -> None:
        self._out, self._clock, self._zone = out, clock, zone
        self._shown: str | None = None
        self._at_line_start = True

    def write(self, text: str) -> int:
        """Write ``text``, preceded by a time marker when the minute changed since the last one."""
        stamp = f"{self._clock().astimezone(self._zone):%H:%M}"
        if text and self._at_line_start and stamp != self._shown:
            self._out.write(f"\n── {stamp} " + "─" * 50 + "\n")
            self._shown = stamp
        self._out.write(text)
        if text:
            self._at_line_start = text.endswith("\n")
        return len(text)

    def flush(self) -> None:
        """Flush the console."""
        self._out.flush()


# Not part of the story: the digest comes at the end (see :func:`digest`), and the heartbeat only proves to
# /healthz that a real scheduler dispatches.
LEFT_OUT = ("digest", "digest-check", "heartbeat")


def play(app: App, morning: Morning) -> ManualRunner:
    """Run the daemon's jobs from ``morning.start`` to its end."""
    jobs = [job for job in table(app) if job.name not in LEFT_OUT]
    runner = ManualRunner(app, jobs=jobs)
    clock = runner.clock
    while clock() < morning.end:
        runner.advance(min(STEP, morning.end - clock()))
    return runner


def digest(app: App, runner: ManualRunner) -> runs.Run | None:
    """The digest of the day so far, sent as the daemon sends it (its chart after its message)."""
    service = app.digest
    assert service is not None
    day = runner.clock().astimezone(app.config.schedule.tz).date()
    service.send(day)
    for _ in range(3):  # the message, then its chart, then nothing left
        app.delivery.run_once()
        service.upload_charts()
    with app.engine.connect() as conn:
        return runs.find(conn, day=day, channel=service.channel)
