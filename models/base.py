"""The classifier contract: texts in, one sentiment per text out, in input order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Label = Literal["negative", "neutral", "positive"]
LABELS: tuple[Label, ...] = ("negative", "neutral", "positive")


@dataclass(frozen=True, slots=True)
class Sentiment:
    """A classification: the label, its probability, and the negative probability."""

    label: Label
    score: float  # probability of ``label``
    negative: float  # probability of "negative", whatever the label
    low_confidence: bool = False
    lang: str | None = None  # detected language (ISO 639-1), if the backend detects it

    @property
    def is_negative(self) -> bool:
        """True when the post counts as negative for alerting."""
        return self.label == "negative" and not self.low_confidence


class Classifier(Protocol):
    """Anything that turns texts into sentiments."""

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        """Classify ``texts``; results come back in input order, one per text."""
        ...


class ModelLoadError(RuntimeError):
    """The configured model could not be loaded; the message says how to fix it."""
