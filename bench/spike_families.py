"""Synthetic mention-count families for choosing spike-detector defaults (deterministic, seeded).

Three families of two-week series in 5-minute buckets, each a Poisson count around a daily rhythm
(with or without quiet weekends) whose level wanders from day to day (lognormal):

- ``level``: one 2.5x level shift lasting 18 hours (a slow-building crisis); labelled window = the shift.
- ``burst``: three bursts of 3-6 buckets at 6x (and at least 10 more mentions per bucket); labelled
  window = from 1 hour before each burst to 2 hours after its start.
- ``quiet``: no anomaly at all; every alarm is a false alarm (a team reads this as crying wolf).

Written as ``timestamp,value`` CSVs plus a NAB ``windows.json``, so they are scored exactly as the real series.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.spikes.series import poisson  # the same draws as the detector's tests

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
BUCKET = timedelta(minutes=5)
PER_DAY = 288
DAYS = 14


@dataclass(frozen=True)
class Family:
    """One synthetic series: its shape, and the anomalies planted in it."""

    kind: str  # level | burst | quiet
    base: float  # mean mentions per bucket at the daily average
    weekends: bool
    wander: float  # sd of the day-to-day log level
    seed: int

    @property
    def name(self) -> str:
        """The CSV file name."""
        return f"synthetic_{self.kind}_b{self.base:g}_{'we' if self.weekends else 'flat'}_w{self.wander:g}.csv"


FAMILIES = [
    Family(kind, base, weekends, wander, seed)
    for seed, (kind, base, weekends, wander) in enumerate(
        (kind, base, weekends, wander)
        for kind in ("level", "burst", "quiet")
        for base, weekends, wander in ((3, True, 0.15), (20, False, 0.15), (20, True, 0.3), (60, False, 0.3))
    )
]


def write_families(directory: Path) -> Path:
    """Write every family's CSV and the windows file into ``directory``; returns the windows file."""
    directory.mkdir(parents=True, exist_ok=True)
    windows: dict[str, list[list[str]]] = {}
    for family in FAMILIES:
        counts, spans = generate(family)
        lines = ["timestamp,value"] + [f"{_stamp(START + i * BUCKET)},{c}" for i, c in enumerate(counts)]
        (directory / family.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        windows[family.name] = [[_stamp(START + a * BUCKET), _stamp(START + b * BUCKET)] for a, b in spans]
    path = directory / "windows.json"
    path.write_text(json.dumps(windows, indent=1), encoding="utf-8")
    return path


def generate(family: Family) -> tuple[list[int], list[tuple[int, int]]]:
    """Counts per bucket and the labelled windows as (first row, last row)."""
    rng = random.Random(family.seed)
    n = DAYS * PER_DAY
    level = [math.exp(rng.gauss(0, family.wander)) for _ in range(DAYS)]
    means = []
    for i in range(n):
        at = START + i * BUCKET
        weekly = 0.35 if family.weekends and at.weekday() >= 5 else 1.0
        means.append(family.base * _daily(at) * weekly * level[i // PER_DAY])
    spans: list[tuple[int, int]] = []
    for start, length, factor in _anomalies(family, rng):
        for i in range(start, min(start + length, n)):
            means[i] = max(means[i] * factor, means[i] + 10) if family.kind == "burst" else means[i] * factor
        if family.kind == "level":
            spans.append((start, start + length - 1))
        else:
            spans.append((start - 12, start + 24))
    return [poisson(rng, m) for m in means], spans


def _anomalies(family: Family, rng: random.Random) -> Iterator[tuple[int, int, float]]:
    if family.kind == "level":
        yield 9 * PER_DAY + 6 * 12, 18 * 12, 2.5  # day 10 from 06:00, for 18 hours
    elif family.kind == "burst":
        for day in (5, 8, 11):
            yield day * PER_DAY + rng.randrange(8 * 12, 20 * 12), rng.randint(3, 6), 6.0


def _daily(at: datetime) -> float:
    hour = at.hour + at.minute / 60
    return 1.0 + 0.7 * math.sin((hour - 9) / 24 * 2 * math.pi)




def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S")
