"""How right the classifier is, per language: negative precision/recall/F1, macro-F1, confusion, calibration.

Truth comes in two strengths. A full label (negative / neutral / positive) counts everywhere; a team's
"not negative" (a Slack correction) says only that the post is not negative, so it counts for the
negative figures (precision, recall, calibration, threshold) and not for macro-F1 or the confusion matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.base import LABELS, Sentiment

NOT_NEGATIVE = "not_negative"
TRUTHS = (*LABELS, NOT_NEGATIVE)
ALL = "all"
CALIBRATION_BINS = 10


@dataclass(frozen=True, slots=True)
class Scored:
    """One labelled post and what the model said of it."""

    truth: str  # one of TRUTHS
    predicted: str  # one of LABELS (the model's label after its thresholds)
    negative: float  # the model's P(negative)
    lang: str


def scored(truths: Sequence[str], langs: Sequence[str | None], sentiments: Sequence[Sentiment]) -> list[Scored]:
    """Pair each truth with the model's answer; a post's language is its given one, else the detected one."""
    out = []
    for truth, lang, sentiment in zip(truths, langs, sentiments, strict=True):
        language = lang or sentiment.lang or "unknown"
        out.append(Scored(truth, sentiment.label, sentiment.negative, language))
    return out


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def negative_figures(rows: Sequence[Scored]) -> dict[str, Any]:
    """Precision, recall and F1 of ``negative`` (every row has a negative / not-negative truth)."""
    truth = np.array([r.truth == "negative" for r in rows], dtype=bool)
    said = np.array([r.predicted == "negative" for r in rows], dtype=bool)
    hits = int((truth & said).sum())
    precision, recall = _ratio(hits, int(said.sum())), _ratio(hits, int(truth.sum()))
    return {"support": int(truth.sum()), "predicted": int(said.sum()), "precision": precision, "recall": recall,
            "f1": _f1(precision, recall)}


def macro_f1(rows: Sequence[Scored]) -> float | None:
    """The mean of the three labels' F1, over rows with a full label (None when there are none)."""
    full = [r for r in rows if r.truth in LABELS]
    if not full:
        return None
    scores = []
    for label in LABELS:
        hits = sum(r.truth == label and r.predicted == label for r in full)
        precision = _ratio(hits, sum(r.predicted == label for r in full))
        recall = _ratio(hits, sum(r.truth == label for r in full))
        scores.append(_f1(precision, recall) or 0.0)
    return float(np.mean(scores))


def confusion(rows: Sequence[Scored]) -> dict[str, dict[str, int]]:
    """Counts of (true label → predicted label), rows with a full label only."""
    table: dict[str, dict[str, int]] = {truth: {label: 0 for label in LABELS} for truth in LABELS}
    for r in rows:
        if r.truth in LABELS:
            table[r.truth][r.predicted] += 1
    return table


def calibration_error(rows: Sequence[Scored], *, bins: int = CALIBRATION_BINS) -> float | None:
    """Expected calibration error of P(negative): per probability bin, |mean P - share truly negative|, weighted."""
    if not rows:
        return None
    p = np.array([r.negative for r in rows])
    truth = np.array([r.truth == "negative" for r in rows], dtype=float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            error += inside.mean() * abs(p[inside].mean() - truth[inside].mean())
    return float(error)


def threshold_for_precision(rows: Sequence[Scored], *, precision: float) -> dict[str, Any]:
    """The lowest P(negative) threshold whose negatives reach ``precision``, and the recall it gives.

    ``value`` is None when no threshold reaches it (or no post is negative).
    """
    found: dict[str, Any] = {"precision": precision, "value": None, "recall": None, "reached": None}
    positives = sum(r.truth == "negative" for r in rows)
    if not positives:
        return found
    order = sorted(rows, key=lambda r: r.negative, reverse=True)
    hits = 0
    for taken, row in enumerate(order, start=1):
        hits += row.truth == "negative"
        ties_follow = taken < len(order) and order[taken].negative == row.negative
        if not ties_follow and hits / taken >= precision:
            found.update(value=round(row.negative, 4), recall=hits / positives, reached=hits / taken)
    return found


def report(rows: Sequence[Scored], *, precision: float) -> dict[str, Any]:
    """Every figure, for all posts and per language (languages by size, then name)."""
    langs = sorted({r.lang for r in rows}, key=lambda lang: (-sum(r.lang == lang for r in rows), lang))
    groups = {ALL: list(rows)} | {lang: [r for r in rows if r.lang == lang] for lang in langs}
    return {name: _group(group, precision=precision) for name, group in groups.items()}


def _group(rows: Sequence[Scored], *, precision: float) -> dict[str, Any]:
    return {
        "n": len(rows),
        "labelled": sum(r.truth in LABELS for r in rows),  # rows with a full label (the rest: "not negative")
        "negative": negative_figures(rows),
        "macro_f1": macro_f1(rows),
        "confusion": confusion(rows),
        "calibration_error": calibration_error(rows),
        "threshold": threshold_for_precision(rows, precision=precision),
    }


def table(figures: dict[str, Any]) -> str:
    """A table for people: one row per language, then the confusion matrix of all posts."""

    def num(value: float | None) -> str:
        return "–" if value is None else f"{value:.3f}"

    header = f"{'lang':<8}{'n':>6}{'neg P':>8}{'neg R':>8}{'neg F1':>8}{'macro F1':>10}{'ECE':>8}  threshold"
    lines = [header, "-" * len(header)]
    for lang, g in figures.items():
        neg, th = g["negative"], g["threshold"]
        at = f"P(neg) ≥ {th['value']:.3f} for precision {th['precision']:.2f} (recall {th['recall']:.2f})" if (
            th["value"] is not None) else f"precision {th['precision']:.2f} not reachable"
        lines.append(
            f"{lang:<8}{g['n']:>6}{num(neg['precision']):>8}{num(neg['recall']):>8}{num(neg['f1']):>8}"
            f"{num(g['macro_f1']):>10}{num(g['calibration_error']):>8}  {at}"
        )
    matrix = figures[ALL]["confusion"]
    lines += ["", "all posts, true label (rows) → predicted label (columns):",
              f"{'':<10}" + "".join(f"{label:>10}" for label in LABELS)]
    lines += [f"{truth:<10}" + "".join(f"{matrix[truth][label]:>10}" for label in LABELS) for truth in LABELS]
    return "\n".join(lines)
