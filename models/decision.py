"""From three probabilities to a Sentiment: the negative threshold (per language) and low confidence."""

from __future__ import annotations

import numpy as np

from models.base import Label, Sentiment
from models.settings import ClassifierSettings


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def decide(probs: np.ndarray, *, lang: str | None, settings: ClassifierSettings) -> Sentiment:
    """``probs`` = P(negative, neutral, positive) → label, its probability, and whether the model was unsure."""
    negative, neutral, positive = (float(p) for p in probs)
    label: Label
    if negative >= settings.threshold_for(lang):
        label, score = "negative", negative
    elif positive > neutral:
        label, score = "positive", positive
    else:
        label, score = "neutral", neutral
    # No class reaches min_confidence: the model cannot tell, so say so instead of guessing.
    # (settings guarantee min_confidence <= every threshold, so a negative is never silenced here.)
    unsure = max(negative, neutral, positive) < settings.min_confidence
    return Sentiment(label=label, score=score, negative=negative, low_confidence=unsure, lang=lang)


def unclassifiable(*, lang: str | None = None) -> Sentiment:
    """The result for a post with no text to read (image-only, whitespace): neutral, marked unsure."""
    return Sentiment(label="neutral", score=0.0, negative=0.0, low_confidence=True, lang=lang)
