"""The classifier through the production loading path, on tiny XLM-RoBERTa models built locally."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.base import ModelLoadError
from models.loading import load_classifier, max_tokens
from models.preprocess import normalise
from models.settings import ClassifierSettings
from tests.support.tiny_model import TRAINING, cached_tiny_model

NEGATIVE_FA = TRAINING[3][0]  # "پشتیبانی افتضاح است، سفارش من نرسید"
NEGATIVE_EN = TRAINING[0][0]

STARS = {0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"}


@pytest.fixture(scope="module")
def five_class_dir() -> Path:
    return cached_tiny_model(labels=STARS, seed=3)


def _raw_probs(model_dir: Path, text: str) -> np.ndarray:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    with torch.inference_mode():
        return torch.softmax(model(**tokenizer(text, return_tensors="pt")).logits, dim=-1)[0].numpy()


def test_three_class_model_labels_and_language(tiny_model_dir: Path) -> None:
    classifier = load_classifier(ClassifierSettings(model=str(tiny_model_dir)))
    results = classifier.classify([text for text, _ in TRAINING])
    # The tiny model was fitted on raw text; lines with a handle or link reach it normalised (@user, http).
    untouched = [i for i, (text, _) in enumerate(TRAINING) if normalise(text, max_chars=1000) == text]
    assert len(untouched) >= 8
    names = ("negative", "neutral", "positive")
    assert [results[i].label for i in untouched] == [names[TRAINING[i][1]] for i in untouched]
    assert [r.lang for r in results[:4]] == ["en", "pl", "ru", "fa"]
    for result, (text, _) in zip(results, TRAINING, strict=True):
        expected = _raw_probs(tiny_model_dir, normalise(text, max_chars=1000))
        assert result.negative == pytest.approx(float(expected[0]), abs=1e-4)


def test_five_class_model_is_folded_onto_three(five_class_dir: Path) -> None:
    classifier = load_classifier(ClassifierSettings(model=str(five_class_dir), min_confidence=0.0))
    text = "Does Acme ship to Poland?"
    result = classifier.classify([text])[0]
    stars = _raw_probs(five_class_dir, text)
    assert result.negative == pytest.approx(float(stars[0] + stars[1]), abs=1e-4)
    folded = {"negative": stars[0] + stars[1], "neutral": stars[2], "positive": stars[3] + stars[4]}
    if result.label != "negative":
        assert result.score == pytest.approx(float(max(folded["neutral"], folded["positive"])), abs=1e-4)


def test_per_language_threshold_overrides_the_global_one(tiny_model_dir: Path) -> None:
    strict = load_classifier(ClassifierSettings(model=str(tiny_model_dir), negative_threshold=1.0))
    fa_only = load_classifier(
        ClassifierSettings(model=str(tiny_model_dir), negative_threshold=1.0, language_thresholds={"fa": 0.5})
    )
    assert [r.is_negative for r in strict.classify([NEGATIVE_FA, NEGATIVE_EN])] == [False, False]
    fa, en = fa_only.classify([NEGATIVE_FA, NEGATIVE_EN])
    assert (fa.lang, fa.label, fa.is_negative) == ("fa", "negative", True)
    assert (en.lang, en.is_negative) == ("en", False)


def test_truncation_at_the_models_limit_and_very_long_posts(tiny_model_dir: Path) -> None:
    # The tiny model has 130 positions; the configured 256 tokens would overflow them.
    classifier = load_classifier(ClassifierSettings(model=str(tiny_model_dir), max_length=256))
    assert classifier.max_tokens == 128
    head = " ".join([NEGATIVE_EN] * 40)  # far more than 128 tokens
    a, b = classifier.classify([head + " I love it, great job" * 500, head + " Ужасный сервис" * 5000])
    assert a.negative == pytest.approx(b.negative, abs=1e-6)  # nothing past the limit was read
    assert a.label == "negative"


def test_max_tokens_respects_roberta_position_offset() -> None:
    class Config:
        model_type, max_position_embeddings, pad_token_id = "xlm-roberta", 514, 1

    class Tokenizer:
        model_max_length = int(1e30)  # "unset", as in some hub uploads

    assert max_tokens(Config(), Tokenizer(), 1024) == 512
    assert max_tokens(Config(), Tokenizer(), 128) == 128


def test_empty_and_whitespace_posts_are_marked_not_guessed(tiny_model_dir: Path) -> None:
    classifier = load_classifier(ClassifierSettings(model=str(tiny_model_dir)))
    results = classifier.classify(["", NEGATIVE_EN, "  \n\t", ""])
    assert [(r.label, r.low_confidence, r.score) for r in (results[0], results[2], results[3])] == [
        ("neutral", True, 0.0)
    ] * 3
    assert results[1].label == "negative" and not results[1].low_confidence
    assert classifier.classify([]) == []


def test_rtl_persian_posts(tiny_model_dir: Path) -> None:
    classifier = load_classifier(ClassifierSettings(model=str(tiny_model_dir)))
    marked = "\u200f" + NEGATIVE_FA.replace("است", "است\u200c") + " @acme_ir https://acme.ir/x 😡"
    plain, rtl = classifier.classify([NEGATIVE_FA, marked])
    assert (plain.lang, plain.label) == ("fa", "negative")
    assert (rtl.lang, rtl.label) == ("fa", "negative")


def test_lone_surrogates_and_nul_neither_crash_a_batch_nor_change_the_result(tiny_model_dir: Path) -> None:
    classifier = load_classifier(ClassifierSettings(model=str(tiny_model_dir), cache_size=0))
    dirty = "\ud800" + NEGATIVE_FA + "\x00\udcff"
    clean, marked, other = classifier.classify([NEGATIVE_FA, dirty, "ok"])
    assert (marked.lang, marked.label, marked.negative) == (clean.lang, clean.label, clean.negative)
    assert other.label in ("negative", "neutral", "positive")


def test_results_come_back_in_input_order_after_length_sorting(tiny_model_dir: Path) -> None:
    batched = load_classifier(ClassifierSettings(model=str(tiny_model_dir), batch_size=3))
    one_by_one = load_classifier(ClassifierSettings(model=str(tiny_model_dir), batch_size=1))
    texts = [t for t, _ in TRAINING] + ["short", "a much longer post " * 8, "", "ok 👍"]
    texts = texts[::2] + texts[1::2]  # interleave lengths
    together = batched.classify(texts)
    alone = [one_by_one.classify([t])[0] for t in texts]
    assert [r.label for r in together] == [r.label for r in alone]
    np.testing.assert_allclose([r.negative for r in together], [r.negative for r in alone], atol=1e-5)


def test_batches_hold_at_most_batch_tokens_padded_tokens(tiny_model_dir: Path) -> None:
    settings = ClassifierSettings(model=str(tiny_model_dir), batch_size=32, batch_tokens=64, cache_size=0)
    classifier = load_classifier(settings)
    shapes: list[tuple[int, int]] = []
    logits = classifier.backend.logits

    def recording(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        shapes.append(input_ids.shape)
        return logits(input_ids, attention_mask)

    classifier.backend.logits = recording  # type: ignore[method-assign]
    try:
        texts = ["a much longer post about the refund " * 12] + ["late parcel again"] * 20
        results = classifier.classify(texts)
    finally:
        del classifier.backend.logits
    assert len(results) == 21
    longest = max(length for _, length in shapes)
    assert shapes[0][0] == 1 and shapes[0][1] == longest > 64  # a row over the budget runs alone
    assert all(rows * length <= 64 for rows, length in shapes[1:])
    assert sum(rows for rows, _ in shapes) == 21


def test_near_identical_texts_are_classified_once(tiny_model_dir: Path) -> None:
    classifier = load_classifier(ClassifierSettings(model=str(tiny_model_dir), cache_size=100, threads=1))
    rows: list[int] = []
    logits = classifier.backend.logits

    def counting(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        rows.append(input_ids.shape[0])
        return logits(input_ids, attention_mask)

    classifier.backend.logits = counting  # type: ignore[method-assign]
    try:
        copies = [
            NEGATIVE_EN,
            f"RT @dana: {NEGATIVE_EN}",  # a retweet
            f"@acme_help {NEGATIVE_EN.upper()} https://t.co/x1",  # the same complaint, another handle and link
            f"{NEGATIVE_EN}  ",
        ]
        first = classifier.classify([*copies, NEGATIVE_FA, "  "])
        again = classifier.classify([f"RT @kim: {NEGATIVE_FA}", NEGATIVE_EN])  # an earlier call's results
    finally:
        del classifier.backend.logits
    assert rows == [2], "two distinct texts reached the model, once"
    assert len({(r.label, r.negative, r.lang) for r in first[:4]}) == 1 and first[0].label == "negative"
    assert first[4].lang == "fa" and again == [first[4], first[0]]
    assert first[5].low_confidence and first[5].score == 0.0
    assert classifier.cache.hits == 5 and classifier.cache.misses == 2


def test_a_retweet_cut_short_shares_its_originals_result(tiny_model_dir: Path) -> None:
    classifier = load_classifier(ClassifierSettings(model=str(tiny_model_dir), cache_size=100, min_confidence=0.0))
    whole = TRAINING[1][0]  # Polish complaint, 61 characters
    cut = f"RT @ola: {whole[:40]}…"
    results = classifier.classify([cut, whole])  # the cut copy first: the whole text is still classified first
    assert results[0] is results[1]
    assert classifier.cache.misses == 1
    later = classifier.classify([f"RT @jan: {whole[:30]}...", "RT @jan: Obsługa…"])  # an earlier call's whole text
    assert later[0] is results[1]
    assert later[1] is not results[1], "a beginning too short to say which post it is shares nothing"


def test_model_is_loaded_once_per_process(tiny_model_dir: Path) -> None:
    settings = ClassifierSettings(model=str(tiny_model_dir))
    assert load_classifier(settings) is load_classifier(ClassifierSettings(model=str(tiny_model_dir)))


def torch_has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def test_bad_model_paths_raise_a_model_load_error(tmp_path: Path, tiny_model_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_classifier(ClassifierSettings(model=str(tmp_path / "missing")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="could not load sentiment model"):
        load_classifier(ClassifierSettings(model=str(tmp_path / "empty")))
    if not torch_has_cuda():
        with pytest.raises(ModelLoadError, match="sees no GPU"):
            load_classifier(ClassifierSettings(model=str(tiny_model_dir), device="cuda"))
    (tmp_path / "garbage.onnx").write_text("not a model")
    with pytest.raises(ModelLoadError, match="INVALID_PROTOBUF"):
        load_classifier(ClassifierSettings(backend="onnx", onnx_model=str(tmp_path / "garbage.onnx"),
                                           model=str(tiny_model_dir)))
    with pytest.raises(ModelLoadError, match=r"onnx_model .* is not a file"):
        load_classifier(ClassifierSettings(backend="onnx", onnx_model=str(tmp_path / "model.onnx"),
                                           model=str(tmp_path / "missing-too")))
