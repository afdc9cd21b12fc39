"""Map a model's own labels (LABEL_0, "1 star", "Very Negative", ...) onto negative / neutral / positive."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from models.base import LABELS, Label, ModelLoadError

_NAMES: dict[str, Label] = {
    "negative": "negative",
    "neg": "negative",
    "very negative": "negative",
    "somewhat negative": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "mixed": "neutral",
    "positive": "positive",
    "pos": "positive",
    "very positive": "positive",
    "somewhat positive": "positive",
}
# 1-5 stars (nlptown-style): 1-2 negative, 3 neutral, 4-5 positive.
_STARS: dict[int, Label] = {1: "negative", 2: "negative", 3: "neutral", 4: "positive", 5: "positive"}
# Anonymous LABEL_<i> / "<i>" names, by how many there are: the conventions of the common models
# (SST-2 for 2; cardiffnlp twitter-*-sentiment for 3; 0-4 star / SST-5 order for 5).
_BY_INDEX: dict[int, tuple[Label, ...]] = {
    2: ("negative", "positive"),
    3: ("negative", "neutral", "positive"),
    5: ("negative", "negative", "neutral", "positive", "positive"),
}
_STAR_RE = re.compile(r"^([1-5])\s*stars?$")
_INDEX_RE = re.compile(r"^(?:label\s*)?(\d+)$")


def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())


def infer_mapping(id2label: Mapping[int, str], overrides: Mapping[str, Label] | None = None) -> dict[int, Label]:
    """Each class index of the model → negative/neutral/positive, or ModelLoadError naming the labels it can't map."""
    overrides = {_normalise(k): v for k, v in (overrides or {}).items()}
    count = len(id2label)
    mapping: dict[int, Label] = {}
    unknown: list[str] = []
    for index, raw in sorted(id2label.items()):
        name = _normalise(str(raw))
        target = overrides.get(name) or _NAMES.get(name)
        if target is None and (star := _STAR_RE.match(name)):
            target = _STARS[int(star.group(1))]
        if target is None and (anon := _INDEX_RE.match(name)) and count in _BY_INDEX:
            position = int(anon.group(1))
            target = _BY_INDEX[count][position] if position < count else None
        if target is None:
            unknown.append(str(raw))
        else:
            mapping[int(index)] = target
    if unknown:
        raise ModelLoadError(
            f"the model's labels {unknown} cannot be mapped to negative/neutral/positive: "
            'set [classifier] labels, e.g. labels = { ' + f'"{unknown[0]}" = "negative"' + " }"
        )
    if "negative" not in mapping.values():
        raise ModelLoadError(
            f"no label of the model maps to negative ({dict(id2label)}): "
            'set [classifier] labels, e.g. labels = { LABEL_0 = "negative" }'
        )
    return mapping


def folding_matrix(mapping: Mapping[int, Label]) -> np.ndarray:
    """A (model classes × 3) 0/1 matrix: model probabilities @ matrix = P(negative, neutral, positive)."""
    matrix = np.zeros((len(mapping), len(LABELS)), dtype=np.float32)
    for index, target in mapping.items():
        matrix[index, LABELS.index(target)] = 1.0
    return matrix
