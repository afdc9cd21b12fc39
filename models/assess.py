"""Run a classifier over labelled posts and score it per language (``brand-monitor model evaluate``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from models.base import Classifier
from models.evaluation import report, scored
from models.labelled import LabelledPost

# Precision the per-language threshold is sought for, unless asked otherwise.
DEFAULT_PRECISION = 0.8


def assess(classifier: Classifier, posts: Sequence[LabelledPost], *, precision: float = DEFAULT_PRECISION,
           batch: int = 256) -> dict[str, Any]:
    """evaluate's figures for ``classifier`` on ``posts``: "all" and one entry per language."""
    sentiments = []
    for start in range(0, len(posts), batch):
        sentiments += classifier.classify([p.text for p in posts[start : start + batch]])
    rows = scored([p.label for p in posts], [p.lang for p in posts], sentiments)
    return report(rows, precision=precision)
