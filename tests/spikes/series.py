"""Synthetic count series for the spike tests: deterministic (seeded), in 5-minute buckets."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
BUCKET = timedelta(minutes=5)
PER_DAY = 288


def times(n: int) -> list[datetime]:
    """Bucket start times."""
    return [START + i * BUCKET for i in range(n)]


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation for large)."""
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def counts(means: list[float], seed: int = 7) -> list[int]:
    """Poisson counts around the given means."""
    rng = random.Random(seed)
    return [poisson(rng, m) for m in means]


def daily(at: datetime) -> float:
    """A strong daily rhythm: quiet at night, busy in the afternoon (peak/trough about 6x)."""
    hour = at.hour + at.minute / 60
    return 1.0 + 0.7 * math.sin((hour - 9) / 24 * 2 * math.pi)


def weekly(at: datetime) -> float:
    """Weekends at a third of weekday volume."""
    return 0.35 if at.weekday() >= 5 else 1.0
