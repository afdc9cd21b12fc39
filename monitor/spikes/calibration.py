"""How often does this series produce a surprise this large? A decayed histogram of past scores.

Real mention counts have heavier tails than any count model: some brands get a burst of
retweets every afternoon. A bucket's score (-log10 of its tail probability) is therefore also
compared with the series' own history of scores: it must be rarer than the sensitivity's
"chance alarms per day" budget, so a bursty series does not page every day while a quiet one
still pages on its first real spike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

BIN = 0.5  # score units (decades of probability) per histogram bin
BINS = 200  # scores above BIN * BINS share the last bin


@dataclass
class ScoreHistory:
    """Exponentially decayed counts of past bucket scores."""

    decay: float  # per-bucket retention factor, e.g. 0.5 ** (1 / halflife_in_buckets)
    counts: list[float] = field(default_factory=lambda: [0.0] * BINS)
    mass: float = 0.0  # decayed number of buckets recorded

    def record(self, score: float) -> None:
        """Age the history by one bucket and add ``score``."""
        d = self.decay
        counts = self.counts
        for i, value in enumerate(counts):
            if value:
                counts[i] = value * d
        counts[_bin(score)] += 1.0
        self.mass = self.mass * d + 1.0

    def fraction_at_least(self, score: float) -> float:
        """Decayed fraction of recorded buckets whose score was at least ``score`` (0 when empty)."""
        if self.mass <= 0:
            return 0.0
        return sum(self.counts[_bin(score) :]) / self.mass

    def to_dict(self) -> dict:
        """Plain-data form for JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ScoreHistory:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)


def _bin(score: float) -> int:
    return min(max(int(score / BIN), 0), BINS - 1)
