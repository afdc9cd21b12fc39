"""The spike detector: fed one bucket at a time, it emits opened / updated / resolved events.

Pure: no database, no clock. The caller hands it each bucket's start time and count (negative
mentions, total mentions, or negative mentions with ``exposure`` = total mentions to watch the
negative *share*), persists :meth:`SpikeDetector.to_json` between runs, and turns events into alerts.

Per bucket, for each scan window of w buckets ending now, the observed sum is compared with the
sum the baseline expected, under a negative binomial whose over-dispersion is measured for that
window length from the series' own recent residuals. The smallest tail probability, corrected for
the number of windows, must beat the sensitivity's significance level; the count must also clear
the minimum-volume floor and the minimum ratio. See docs/spikes.md.
"""

from __future__ import annotations

import json
import math
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Literal

from monitor.spikes.baseline import MAX_DISPERSION, Baseline, ewma_rate
from monitor.spikes.calibration import ScoreHistory
from monitor.spikes.settings import SpikeSettings
from monitor.spikes.stats import nb_sf

EventKind = Literal["opened", "updated", "resolved"]
STATE_VERSION = 1
# Over-dispersion starts as if this many buckets had shown this much, so a young series is conservative.
PRIOR_DISPERSION, PRIOR_WEIGHT = 0.25, 20
DISPERSION_HALFLIFE = timedelta(days=3)
# Window sums are clipped to expected +- this many sd before they update the over-dispersion (1.5 or 2: worse).
DISPERSION_CLIP = 2.5
# Scan windows at least this long watch the level (a sustained shift). Their noise is learned in counts
# (an additive scale: the mean absolute deviation of the clipped window sum, as sd via NORMAL_MAD), not
# as a share of the expected sum, so a window over the busy hours is judged against the series' typical
# deviation rather than one scaled up with its volume. Measured, not derived: on NAB and on synthetic
# wandering-level series it finds more level shifts at the same false-alarm count. See docs/spikes.md.
LEVEL_WINDOW = timedelta(hours=12)
NORMAL_MAD = math.sqrt(2 / math.pi)  # mean absolute deviation / sd of a normal: the window sum of many buckets
CALIBRATION_PRIOR = timedelta(days=7)  # of burst-free history assumed for a new series
# While warming up (less than `warmup` of history), alarms need this much more evidence.
COLD_SIGNIFICANCE_FACTOR, COLD_RATIO_FACTOR = 1e-2, 2.0


@dataclass(frozen=True)
class SpikeEvent:
    """One step of a spike's life, for one bucket."""

    kind: EventKind
    spike_id: str  # stable for the spike's whole life: the start time of the bucket that opened it
    at: datetime  # start of the bucket that caused the event
    count: float  # observed in that bucket
    expected: float  # what the baseline expected in that bucket
    window: int  # length in buckets of the scan window that decided (0 for "resolved")
    window_count: float
    window_expected: float
    p_value: float
    peak_count: float  # largest bucket count seen in this spike so far
    reopened: bool = False  # an "updated" that revived a spike resolved less than `cooldown` ago


@dataclass(frozen=True)
class _Test:
    window: int
    count: float
    expected: float
    p_value: float
    significant: bool

    @property
    def score(self) -> float:
        """Surprise in decades of probability."""
        return -math.log10(max(self.p_value, 1e-300))


@dataclass(frozen=True)
class Check:
    """Why the detector did or did not fire on one bucket: what ``spikes explain`` and /metrics show."""

    at: datetime  # start of the bucket
    count: float  # observed in the bucket
    expected: float  # what the baseline expected in it
    window: int  # buckets in the deciding scan window (0: no window cleared the floors)
    window_count: float
    window_expected: float
    p_value: float  # after the correction for the number of windows (1.0 when nothing was tested)
    threshold: float  # the p-value needed to fire, after the cold-start factor
    verdict: str  # one line for people: fired, or the first rule that held it back

    def to_dict(self) -> dict[str, object]:
        """Plain JSON."""
        return {**asdict(self), "at": self.at.isoformat()}


@dataclass(frozen=True)
class Readiness:
    """How much history the detector has learned, and from when it alerts."""

    history_from: datetime | None  # first bucket learned
    buckets: int  # buckets learned
    alerts_from: datetime | None  # first bucket that may alert at all (after `min_history` buckets)
    full_from: datetime | None  # first bucket judged at full sensitivity (after `warmup`)


@dataclass
class _Spike:
    spike_id: str
    status: Literal["open", "cooling"]
    reported_count: float  # bucket count last announced (opened / updated)
    peak_count: float
    calm_buckets: int = 0
    resolved_at: str | None = None


class SpikeDetector:
    """Stateful per-series detector; :meth:`observe` each bucket in time order."""

    def __init__(self, settings: SpikeSettings | None = None) -> None:
        self.settings = settings or SpikeSettings()
        self._baseline = Baseline()
        self._recent: deque[tuple[float, float]] = deque(maxlen=self._memory())
        self._dispersion = {w: PRIOR_DISPERSION for w in self.settings.windows}
        self._dispersion_seen = 0
        # Per level window: EWMA of |window sum - expected| in counts (None until first learned).
        self._deviation: dict[int, float | None] = {w: None for w in self._level_windows()}
        self._history = ScoreHistory(
            decay=0.5 ** (self.settings.bucket / self.settings.calibration_halflife),
            prior=CALIBRATION_PRIOR / self.settings.bucket,
        )
        self._first_at: datetime | None = None
        self._last_at: datetime | None = None
        self._spike: _Spike | None = None
        # Buckets since a significant one, all still elevated (0: none), and the strongest test among them.
        self._streak = 0
        self._pending: _Test | None = None
        self._since_spike: int | None = None  # buckets since one was last part of an open spike
        self.last_check: Check | None = None  # the latest bucket's decision (not persisted: recomputed per bucket)
        self._why = ""

    # -- feeding -------------------------------------------------------------------------------

    def expected(self, at: datetime, exposure: float = 1.0) -> float:
        """What the baseline expects in the bucket starting at ``at`` (before seeing it)."""
        return self._baseline.expected(at, exposure)

    def observe(self, at: datetime, count: float, exposure: float = 1.0) -> list[SpikeEvent]:
        """Take the bucket starting at ``at``; return the events it causes (usually none)."""
        self._check_input(at, count, exposure)
        if self._last_at is not None and at - self._last_at > self.settings.bucket * max(self.settings.windows):
            self._recent.clear()  # a gap in the data: windows must not span it
        if self._first_at is None:
            self._first_at = at
        mean = self.expected(at, exposure)
        self._recent.append((float(count), mean))
        self._why = "no exposure: nothing to take a share of"
        test = self._test(at) if exposure > 0 else None
        self._track_streak(count, mean, test)
        events = self._advance(at, count, mean, test)
        self.last_check = self._check(at, count, mean, test, events)
        if self._spike is not None and self._spike.status == "open":
            self._since_spike = 0
        elif self._since_spike is not None:
            self._since_spike += 1
        self._remember(test)
        self._learn(at, count, mean, exposure)
        self._last_at = at
        return events

    def _check_input(self, at: datetime, count: float, exposure: float) -> None:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"bucket time {at!r} must be timezone-aware")
        if not (math.isfinite(count) and count >= 0):
            raise ValueError(f"bucket count must be a finite number >= 0, got {count!r}")
        if not (math.isfinite(exposure) and exposure >= 0):
            raise ValueError(f"exposure must be a finite number >= 0, got {exposure!r}")
        if self._last_at is not None and at <= self._last_at:
            raise ValueError(f"bucket {at.isoformat()} is not after the previous one {self._last_at.isoformat()}")

    def readiness(self) -> Readiness:
        """History learned so far and the first buckets that may alert (at all, then at full sensitivity)."""
        first, s = self._first_at, self.settings
        if first is None:
            return Readiness(None, 0, None, None)
        return Readiness(first, self._baseline.seen, first + s.bucket * s.min_history, first + s.warmup)

    def _check(self, at: datetime, count: float, mean: float, test: _Test | None, events: list[SpikeEvent]) -> Check:
        s = self.settings
        cold = self._first_at is not None and at - self._first_at < s.warmup
        threshold = s.significance * (COLD_SIGNIFICANCE_FACTOR if cold else 1.0)
        verdict = self._why
        if events:
            verdict = ", ".join(e.kind for e in events)
        elif test is not None and test.significant:
            spike = self._spike
            if spike is not None and spike.status == "open":
                verdict = "significant, within the open spike (no growth of update_growth x to report)"
            elif self._streak < s.confirm:
                verdict = f"significant, confirming ({self._streak} of {s.confirm} buckets)"
            else:
                verdict = "significant, but the spike is cooling down and this wave is not bigger"
        if cold and test is not None and not events:
            until = (self._first_at or at) + s.warmup
            verdict += f" [warming up: p must be below {threshold:.0e} until {until:%Y-%m-%d %H:%M}]"
        best = test or _Test(1, count, mean, 1.0, False)
        return Check(
            at, count, mean, test.window if test else 0, best.count, best.expected, best.p_value, threshold, verdict
        )

    # -- significance --------------------------------------------------------------------------

    def _test(self, at: datetime) -> _Test | None:
        s = self.settings
        if self._baseline.seen < s.min_history:
            self._why = f"learning: {self._baseline.seen} of {s.min_history} buckets seen before any alert"
            return None  # cold start: no opinion until a minimum of history
        cold = self._first_at is not None and at - self._first_at < s.warmup
        threshold = s.significance * (COLD_SIGNIFICANCE_FACTOR if cold else 1.0)
        min_ratio = s.min_ratio * (COLD_RATIO_FACTOR if cold else 1.0)
        recent = list(self._recent)
        best: _Test | None = None
        floors: list[int] = []
        open_now = self._spike is not None and self._spike.status == "open"
        for w in s.windows:
            if len(recent) < w:
                break
            if not open_now and self._since_spike is not None and w > self._since_spike:
                break  # a window reaching back into the last spike would find that spike again
            count = sum(c for c, _ in recent[-w:])
            expected = sum(m for _, m in recent[-w:])
            if count < s.min_volume or count < min_ratio * expected:
                floors.append(w)
                continue
            p = min(1.0, nb_sf(count, expected, self._dispersion[w]) * len(s.windows))
            if best is None or p < best.p_value:
                best = _Test(w, count, expected, p, p <= threshold)
        # A window only counts while its newest bucket is itself elevated (not calm): no alarms on the way down.
        newest_count, newest_mean = recent[-1]
        elevated = not self._calm(newest_count, newest_mean)
        if best is None:
            self._why = (
                f"below the floors: no window has {s.min_volume:g}+ mentions and {min_ratio:g}x its expected count"
            )
        elif not best.significant:
            self._why = f"not significant: p={best.p_value:.1e} above the threshold {threshold:.0e}"
        elif not elevated:
            self._why = "the newest bucket is back within 1 sd of expected (no alarm on the way down)"
        elif not self._rare(best.score):
            self._why = (
                f"this series' own bursts reach p={best.p_value:.1e} more than {s.chance_rate:g} times a day"
                " (calibration)"
            )
        if best is not None and best.significant and not (elevated and self._rare(best.score)):
            best = _Test(best.window, best.count, best.expected, best.p_value, False)
        return best

    def _track_streak(self, count: float, mean: float, test: _Test | None) -> None:
        # A burst is confirmed once it has stayed elevated for `confirm` buckets since its first significant one.
        if test is not None and test.significant:
            self._streak += 1
            if self._pending is None or test.p_value <= self._pending.p_value:
                self._pending = test
        elif self._streak and not self._calm(count, mean):
            self._streak += 1
        else:
            self._streak, self._pending = 0, None

    def _calm(self, count: float, mean: float) -> bool:
        # Within one standard deviation of the baseline: what "back to normal" means.
        return count <= mean + math.sqrt(mean + self._dispersion[min(self.settings.windows)] * mean * mean)

    def _rare(self, score: float) -> bool:
        # As surprising as at most `chance_rate` buckets a day of this series' own recent history.
        per_day = timedelta(days=1) / self.settings.bucket
        return self._history.bursts_per_bucket(score) * per_day < self.settings.chance_rate

    def _remember(self, test: _Test | None) -> None:
        spike = self._spike
        self._history.observe(test.score if test else 0.0, in_spike=spike is not None and spike.status == "open")

    # -- lifecycle -----------------------------------------------------------------------------

    def _advance(self, at: datetime, count: float, mean: float, test: _Test | None) -> list[SpikeEvent]:
        s, spike = self.settings, self._spike
        significant = test is not None and test.significant
        confirmed = self._pending if self._pending is not None and self._streak >= s.confirm else None
        if spike is not None and spike.status == "cooling":
            assert spike.resolved_at is not None
            if at - datetime.fromisoformat(spike.resolved_at) >= s.cooldown:
                self._spike = spike = None
            elif confirmed is None:
                return []
            elif count >= s.escalation * spike.peak_count:
                self._spike = spike = None  # a far bigger wave than the last one is news: a new spike
            else:
                spike.status, spike.calm_buckets, spike.resolved_at = "open", 0, None
                spike.peak_count = max(spike.peak_count, count)
                spike.reported_count = count
                return [self._event("updated", at, count, mean, confirmed, reopened=True)]
        if spike is None:
            if confirmed is None:
                return []
            self._spike = _Spike(at.isoformat(), "open", reported_count=count, peak_count=count)
            return [self._event("opened", at, count, mean, confirmed)]
        # An open spike: report growth, or count calm buckets towards resolution.
        spike.peak_count = max(spike.peak_count, count)
        spike.calm_buckets = spike.calm_buckets + 1 if self._calm(count, mean) else 0
        if spike.calm_buckets * s.bucket >= s.resolve_after:
            spike.status, spike.resolved_at = "cooling", at.isoformat()
            return [self._event("resolved", at, count, mean, None)]
        if significant and count >= s.update_growth * max(spike.reported_count, s.min_volume):
            spike.reported_count = count
            return [self._event("updated", at, count, mean, test)]
        return []

    def _event(
        self, kind: EventKind, at: datetime, count: float, mean: float, test: _Test | None, *, reopened: bool = False
    ) -> SpikeEvent:
        assert self._spike is not None
        return SpikeEvent(
            kind=kind,
            spike_id=self._spike.spike_id,
            at=at,
            count=count,
            expected=mean,
            window=test.window if test else 0,
            window_count=test.count if test else count,
            window_expected=test.expected if test else mean,
            p_value=test.p_value if test else 1.0,
            peak_count=self._spike.peak_count,
            reopened=reopened,
        )

    # -- learning ------------------------------------------------------------------------------

    def _learn(self, at: datetime, count: float, mean: float, exposure: float) -> None:
        s = self.settings
        bucket_s = s.bucket.total_seconds()
        sd = math.sqrt(mean + self._dispersion[min(s.windows)] * mean * mean)
        if self._baseline.seen >= s.min_history:
            # Over-dispersion per window length, from clipped residuals (so a spike does not inflate it).
            self._dispersion_seen += 1
            rate = ewma_rate(DISPERSION_HALFLIFE.total_seconds() / bucket_s, self._dispersion_seen + PRIOR_WEIGHT)
            recent = list(self._recent)
            for w in s.windows:
                if len(recent) < w:
                    continue
                window = recent[-w:]
                expected = sum(m for _, m in window)
                wsd = math.sqrt(expected + self._dispersion[w] * expected * expected)
                band = DISPERSION_CLIP * wsd
                observed = min(max(sum(c for c, _ in window), expected - band), expected + band)
                if w in self._deviation:
                    self._dispersion[w] = self._level_dispersion(w, abs(observed - expected), expected, wsd, rate)
                    continue
                estimate = ((observed - expected) ** 2 - expected) / (expected * expected)
                estimate = min(max(estimate, 0.0), MAX_DISPERSION)
                self._dispersion[w] += rate * (estimate - self._dispersion[w])
        halflives = (
            s.level_halflife.total_seconds() / bucket_s,
            s.daily_halflife.total_seconds() / bucket_s,
            s.weekly_halflife.total_seconds() / bucket_s,
        )
        self._baseline.learn(at, count, exposure=exposure, sd=sd, halflives=halflives)

    def _level_dispersion(self, w: int, deviation: float, expected: float, wsd: float, rate: float) -> float:
        # The typical deviation starts from what the prior dispersion implies, then follows the series.
        typical = self._deviation[w]
        typical = NORMAL_MAD * wsd if typical is None else typical
        typical += rate * (deviation - typical)
        self._deviation[w] = typical
        sd = typical / NORMAL_MAD
        return min(max((sd * sd - expected) / (expected * expected), 0.0), MAX_DISPERSION)

    def _level_windows(self) -> list[int]:
        return [w for w in self.settings.windows if w * self.settings.bucket >= LEVEL_WINDOW]

    def _memory(self) -> int:
        return max(self.settings.windows)

    # -- persistence ---------------------------------------------------------------------------

    def to_json(self) -> str:
        """The whole learned state as JSON (settings are not included: they come from config)."""
        return json.dumps(
            {
                "version": STATE_VERSION,
                "baseline": self._baseline.to_dict(),
                "recent": list(self._recent),
                "dispersion": {str(w): v for w, v in self._dispersion.items()},
                "dispersion_seen": self._dispersion_seen,
                "deviation": {str(w): v for w, v in self._deviation.items()},
                "first_at": self._first_at.isoformat() if self._first_at else None,
                "last_at": self._last_at.isoformat() if self._last_at else None,
                "history": self._history.to_dict(),
                "spike": asdict(self._spike) if self._spike else None,
                "streak": self._streak,
                "pending": asdict(self._pending) if self._pending else None,
                "since_spike": self._since_spike,
            }
        )

    @classmethod
    def from_json(cls, text: str, settings: SpikeSettings | None = None) -> SpikeDetector:
        """Rebuild a detector saved by :meth:`to_json`; raise ValueError if the text is not one."""
        try:
            data = json.loads(text)
            if data.get("version") != STATE_VERSION:
                raise ValueError(f"unsupported spike state version {data.get('version')!r}")
            detector = cls(settings)
            detector._baseline = Baseline.from_dict(data["baseline"])
            detector._recent.extend((float(c), float(m)) for c, m in data["recent"])
            saved = {int(w): float(v) for w, v in data["dispersion"].items()}
            detector._dispersion = {w: saved.get(w, PRIOR_DISPERSION) for w in detector.settings.windows}
            detector._dispersion_seen = int(data["dispersion_seen"])
            # "deviation" is absent in states saved before it existed: relearned from the saved dispersion.
            deviation = {int(w): None if v is None else float(v) for w, v in data.get("deviation", {}).items()}
            detector._deviation = {w: deviation.get(w) for w in detector._deviation}
            detector._history = ScoreHistory.from_dict(data["history"])
            detector._first_at = datetime.fromisoformat(data["first_at"]) if data["first_at"] else None
            detector._last_at = datetime.fromisoformat(data["last_at"]) if data["last_at"] else None
            detector._spike = _Spike(**data["spike"]) if data["spike"] else None
            detector._streak = int(data.get("streak", 0))
            detector._pending = _Test(**data["pending"]) if data.get("pending") else None
            detector._since_spike = data.get("since_spike")
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a saved spike detector state: {exc}") from None
        return detector
