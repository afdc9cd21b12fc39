"""Label mapping inferred from model configs, overrides, and 5 → 3 folding (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from models.base import ModelLoadError
from models.labels import folding_matrix, infer_mapping


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        ({0: "negative", 1: "neutral", 2: "positive"}, ["negative", "neutral", "positive"]),
        ({0: "Negative", 1: "Neutral", 2: "Positive"}, ["negative", "neutral", "positive"]),
        ({0: "NEG", 1: "NEU", 2: "POS"}, ["negative", "neutral", "positive"]),
        ({0: "positive", 1: "negative", 2: "neutral"}, ["positive", "negative", "neutral"]),
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, ["negative", "neutral", "positive"]),
        ({0: "LABEL_0", 1: "LABEL_1"}, ["negative", "positive"]),
        (
            {0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"},
            ["negative", "negative", "neutral", "positive", "positive"],
        ),
        (
            {0: "Very Negative", 1: "Negative", 2: "Neutral", 3: "Positive", 4: "Very Positive"},
            ["negative", "negative", "neutral", "positive", "positive"],
        ),
        (
            {0: "very_negative", 1: "negative", 2: "neutral", 3: "positive", 4: "very-positive"},
            ["negative", "negative", "neutral", "positive", "positive"],
        ),
        ({i: f"LABEL_{i}" for i in range(5)}, ["negative", "negative", "neutral", "positive", "positive"]),
    ],
)
def test_mapping_is_inferred_from_the_label_names(id2label, expected) -> None:
    assert [infer_mapping(id2label)[i] for i in range(len(id2label))] == expected


def test_overrides_win_and_unknown_labels_name_the_fix() -> None:
    swapped = infer_mapping({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, {"LABEL_0": "positive", "LABEL_2": "negative"})
    assert swapped == {0: "positive", 1: "neutral", 2: "negative"}
    custom = infer_mapping(
        {0: "angry", 1: "calm", 2: "happy"}, {"angry": "negative", "calm": "neutral", "happy": "positive"}
    )
    assert custom == {0: "negative", 1: "neutral", 2: "positive"}
    with pytest.raises(ModelLoadError, match=r"\['joy', 'anger'\].*\[classifier\] labels"):
        infer_mapping({0: "joy", 1: "anger"})
    with pytest.raises(ModelLoadError, match="no label of the model maps to negative"):
        infer_mapping({0: "neutral", 1: "positive"})
    # Four anonymous labels follow no known convention: guessing would be wrong half the time.
    with pytest.raises(ModelLoadError, match="LABEL_0"):
        infer_mapping({i: f"LABEL_{i}" for i in range(4)})


def test_five_class_probabilities_fold_onto_three() -> None:
    mapping = infer_mapping({0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"})
    probs = np.array([[0.1, 0.3, 0.2, 0.25, 0.15]], dtype=np.float32)
    folded = probs @ folding_matrix(mapping)
    np.testing.assert_allclose(folded, [[0.4, 0.2, 0.4]], rtol=1e-6)
    two = np.array([[0.7, 0.3]], dtype=np.float32) @ folding_matrix(infer_mapping({0: "LABEL_0", 1: "LABEL_1"}))
    np.testing.assert_allclose(two, [[0.7, 0.0, 0.3]])
