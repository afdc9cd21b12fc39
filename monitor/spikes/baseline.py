"""A robust seasonal baseline for a count series: level x hour-of-day x weekday, learned online.

expected(t) = level * daily(hour of t) * weekly(weekday of t) * exposure

Every component is an exponentially weighted average of *winsorised* observations: before it
is learned from, a count is clipped into the band the model itself considered plausible, so a
spike (or an outage) moves the baseline only by a bounded step per bucket and never teaches the
baseline that the spike is normal. A level shift that persists is still learned, just gradually.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime

HOURS = 24
DAYS = 7
# Counts are clipped to expected +- CLIP standard deviations before they are learned from: tight,
# because real series are bursty and a burst must not teach the baseline (1.5 scored better than
# 2.0 and 2.5 on the NAB dev series; a real level shift is still learned, a bounded step per bucket).
CLIP = 1.5
MIN_MEAN = 1e-3  # a bucket never expects less than this, so a silent series still has a defined tail
MAX_DISPERSION = 4.0


def ewma_rate(halflife_buckets: float, seen: float) -> float:
    """Learning rate for an EWMA with this half-life, sped up as a running mean while young."""
    rate = 1.0 - 0.5 ** (1.0 / max(halflife_buckets, 1.0))
    return max(rate, 1.0 / (seen + 1.0))


@dataclass
class Baseline:
    """The learned state; plain numbers only, so it round-trips through JSON."""

    level: float = 0.0
    daily: list[float] = field(default_factory=lambda: [1.0] * HOURS)
    weekly: list[float] = field(default_factory=lambda: [1.0] * DAYS)
    daily_seen: list[float] = field(default_factory=lambda: [0.0] * HOURS)
    weekly_seen: list[float] = field(default_factory=lambda: [0.0] * DAYS)
    seen: int = 0

    def season(self, at: datetime) -> float:
        """The multiplicative daily x weekly factor at ``at`` (hour profile interpolated linearly)."""
        (h0, w0), (h1, w1) = _hour_weights(at)
        daily = self.daily[h0] * w0 + self.daily[h1] * w1
        return daily * self.weekly[at.weekday()]

    def expected(self, at: datetime, exposure: float = 1.0) -> float:
        """Expected count in the bucket starting at ``at``."""
        return max(self.level * self.season(at) * exposure, MIN_MEAN)

    def learn(
        self,
        at: datetime,
        count: float,
        *,
        exposure: float,
        sd: float,
        halflives: tuple[float, float, float],
    ) -> None:
        """Fold one bucket in, clipped to expected +- CLIP*sd (``halflives`` in buckets: level, daily, weekly)."""
        if exposure <= 0:
            return
        level_hl, daily_hl, weekly_hl = halflives
        if self.seen == 0:
            self.level = count / exposure
            self.seen = 1
            return
        mean = self.expected(at, exposure)
        clipped = min(max(count, mean - CLIP * sd), mean + CLIP * sd)
        self.seen += 1
        season = max(self.season(at), 1e-6)
        self.level += ewma_rate(level_hl, self.seen) * (clipped / (season * exposure) - self.level)
        if self.level <= 0:
            return
        # Hour-of-day factor: the two neighbouring hour slots share the update by interpolation weight.
        weekly = self.weekly[at.weekday()]
        ratio = clipped / (self.level * weekly * exposure)
        for hour, weight in _hour_weights(at):
            self.daily_seen[hour] += weight
            rate = ewma_rate(daily_hl, self.daily_seen[hour]) * weight
            self.daily[hour] += rate * (ratio - self.daily[hour])
        self.level *= _normalise(self.daily, self.daily_seen)
        if min(self.daily_seen) < 1:
            return  # the weekday factor means nothing until the daily rhythm has been seen once
        day = at.weekday()
        daily = self.season(at) / weekly
        ratio = clipped / (self.level * max(daily, 1e-6) * exposure)
        self.weekly_seen[day] += 1
        # A weekday starts from a prior of "like any other day", worth a day of buckets.
        prior = weekly_hl / 7
        self.weekly[day] += ewma_rate(weekly_hl, self.weekly_seen[day] + prior) * (ratio - self.weekly[day])
        self.level *= _normalise(self.weekly, self.weekly_seen)

    def to_dict(self) -> dict:
        """Plain-data form for JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Baseline:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)


def _hour_weights(at: datetime) -> tuple[tuple[int, float], tuple[int, float]]:
    # Slot h is centred on h:30; interpolate between the two nearest centres.
    position = at.hour + at.minute / 60 + at.second / 3600 - 0.5
    lower = math.floor(position)
    frac = position - lower
    return (lower % HOURS, 1.0 - frac), ((lower + 1) % HOURS, frac)


def _normalise(factors: list[float], seen: list[float]) -> float:
    # Keep the factors averaging 1 over the slots seen so far, so "level" stays the overall mean;
    # returns the factor the level must absorb so that expectations do not jump.
    visited = [i for i, n in enumerate(seen) if n > 0]
    mean = sum(factors[i] for i in visited) / len(visited) if visited else 1.0
    if mean <= 0:
        return 1.0
    for i in visited:
        factors[i] = max(factors[i] / mean, 0.0)
    return mean
