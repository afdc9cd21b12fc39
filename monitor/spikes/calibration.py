"""How often does this series produce a surprise this large? A decayed histogram of past bursts.

Real mention counts have heavier tails than any count model: some brands get a burst of
retweets every afternoon. A burst's score (-log10 of its tail probability) is therefore also
compared with the series' own history of bursts: bursts at least as surprising must have
happened less often than the sensitivity's "chance alarms per day" budget, so a bursty series
does not page every day while a quiet one still pages on its first real spike. A burst is a run
of consecutive surprising buckets and counts once, by its peak, so a long spike does not make
every later one look ordinary.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

BIN = 0.5  # score units (decades of probability) per histogram bin
BINS = 200  # scores above BIN * BINS share the last bin
BURST_SCORE = 2.0  # a bucket with p <= 1% belongs to a burst


@dataclass
class ScoreHistory:
    """Exponentially decayed counts of past bursts by peak score, per bucket of history."""

    decay: float  # per-bucket retention factor, e.g. 0.5 ** (1 / halflife_in_buckets)
    # Burst-free buckets assumed before any history: one early burst does not make a series "bursty".
    prior: float = 0.0
    counts: list[float] = field(default_factory=lambda: [0.0] * BINS)
    buckets: float = 0.0  # decayed number of buckets seen
    run_peak: float = 0.0  # peak score of the burst in progress (0: none)
    pending_age: int = 0  # buckets not yet applied to `counts` (aged lazily)

    def observe(self, score: float, *, in_spike: bool = False) -> None:
        """Age the history by one bucket; a burst (or open spike) is recorded once it ends."""
        self.pending_age += 1
        self.buckets = self.buckets * self.decay + 1.0
        if in_spike or score >= BURST_SCORE:
            self.run_peak = max(self.run_peak, score)
        elif self.run_peak:
            self._age()
            self.counts[_bin(self.run_peak)] += 1.0
            self.run_peak = 0.0

    def bursts_per_bucket(self, score: float) -> float:
        """Decayed rate of past bursts peaking at ``score`` or more, per bucket (0 when empty)."""
        if self.buckets + self.prior <= 0:
            return 0.0
        self._age()
        return sum(self.counts[_bin(score) :]) / (self.buckets + self.prior)

    def _age(self) -> None:
        if self.pending_age:
            factor = self.decay**self.pending_age
            self.counts = [c * factor for c in self.counts]
            self.pending_age = 0

    def to_dict(self) -> dict:
        """Plain-data form for JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ScoreHistory:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)


def _bin(score: float) -> int:
    return min(max(int(score / BIN), 0), BINS - 1)
