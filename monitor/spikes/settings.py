"""``[spikes]`` settings: how eagerly the crisis-spike detector fires and how it quiets down."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from values.durations import Duration

Sensitivity = Literal["low", "medium", "high"]

# Per sensitivity (medium, the default, chosen by leave-one-series-out cross-validation in bench/spikes.py):
# (per-bucket false-alarm probability under the count model, and the most
# buckets per day that may be as surprising in the series' own recent history). Both must hold.
SENSITIVITY: dict[str, tuple[float, float]] = {
    "low": (1e-7, 1 / 10),
    "medium": (1e-5, 1 / 4),
    "high": (1e-4, 1.0),
}


class SpikeSettings(BaseModel):
    """Detector knobs; the shipped defaults are meant to work for any brand without tuning."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sensitivity: Sensitivity = "medium"
    bucket: Duration = timedelta(minutes=5)
    # Mentions needed in the flagged window before anything is raised, however unlikely the count.
    min_volume: float = Field(default=5, ge=0)
    # Observed volume must also be at least this multiple of the expected volume.
    min_ratio: float = Field(default=1.5, ge=1)
    # Scan windows, in buckets: 1 catches a burst at once, longer ones (up to 12 h) a slow-building crisis.
    windows: tuple[int, ...] = (1, 3, 12, 144)
    # Consecutive significant buckets before a spike opens: 2 ignores a lone bucket that is gone the
    # next moment (a single burst of retweets) at the price of one bucket of delay.
    confirm: int = Field(default=1, ge=1)
    # A spike resolves after this long back at baseline; reopening within `cooldown` after that
    # updates the same spike (same Slack thread) instead of paging again.
    resolve_after: Duration = timedelta(minutes=30)
    cooldown: Duration = timedelta(hours=24)
    # ... unless it comes back this many times bigger than its peak: then it is a new spike that pages.
    escalation: float = Field(default=1.5, gt=1)
    # Re-notify an open spike when its volume grows by this factor over what was last reported.
    update_growth: float = Field(default=1.5, gt=1)
    # Baseline memory: level (trend), daily rhythm per hour of day, weekly rhythm per weekday.
    level_halflife: Duration = timedelta(days=1)
    daily_halflife: Duration = timedelta(days=5)
    weekly_halflife: Duration = timedelta(days=21)
    # Cold start: until this much history was seen, the detector is stricter (see docs/spikes.md).
    # Memory of how surprising this series usually gets (see monitor/spikes/calibration.py).
    calibration_halflife: Duration = timedelta(days=30)
    warmup: Duration = timedelta(days=1)
    min_history: int = Field(default=12, ge=1)  # buckets seen before any alarm at all
    # Live data: a bucket is counted by its posts' created_at and stays open to posts that arrive this late
    # (sources polled every 30 min, X's budget throttling, a catch-up after an outage, platforms indexing with a
    # delay). Recent buckets are re-evaluated as late posts come in; older ones are final.
    lateness: Duration = timedelta(hours=3)
    # On a first start, and for a newly added brand, the baseline is learned from this much stored history
    # (and backfilled where a source can search back) before live alerting.
    warm_start: Duration = timedelta(days=7)
    # What the daemon watches per brand: negative mentions; optionally all mentions and the negative share.
    metrics: tuple[Literal["negative", "volume", "share"], ...] = ("negative",)

    @field_validator("windows")
    @classmethod
    def _positive_windows(cls, windows: tuple[int, ...]) -> tuple[int, ...]:
        if not windows or any(w < 1 for w in windows):
            raise ValueError("windows must be a non-empty list of bucket counts >= 1")
        return tuple(sorted(set(windows)))

    @property
    def significance(self) -> float:
        """The per-bucket false-alarm probability for the chosen sensitivity."""
        return SENSITIVITY[self.sensitivity][0]

    @property
    def chance_rate(self) -> float:
        """Buckets per day allowed to be this surprising in the series' own history."""
        return SENSITIVITY[self.sensitivity][1]
