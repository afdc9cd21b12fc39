"""`model evaluate` and `model tune` on a tiny model with synthetic en/pl/ru/fa posts that carry a learnable signal."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.loading import load_classifier
from models.settings import ClassifierSettings
from models.tuning import split
from monitor.cli import main
from tests.support.labelled_posts import corpus, labelled_posts
from tests.support.tiny_model import cached_tiny_model

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# Tiny model, training from random weights: everything trains, at a rate a 32-wide network learns at.
FAST = ["--layers", "-1", "--epochs", "10", "--learning-rate", "2e-3", "--seed", "0"]


@pytest.fixture(scope="module")
def untrained() -> Path:
    """Random weights; the tokenizer knows the synthetic posts' words."""
    return cached_tiny_model(extra_corpus=corpus(), seed=1, vocab_size=800)


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("labels") / "labels.jsonl"
    rows = [{"text": p.text, "label": p.label, "lang": p.lang} for p in labelled_posts(20)]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def _config(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "classifier.toml"
    path.write_text(f'[classifier]\nmodel = "{model}"\nthreads = 1\n', encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _no_config_around(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No config.toml in the working directory nor $BRAND_MONITOR_CONFIG: only what a test passes."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRAND_MONITOR_CONFIG", raising=False)


def _cli(argv: list[str], *, at: datetime = T0, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    code = main(argv, clock=lambda: at)
    return code, out.getvalue()


def test_split_holds_out_part_of_every_language_and_label() -> None:
    posts = labelled_posts(10)
    train, held = split(posts, fraction=0.2, seed=0)
    assert len(train) + len(held) == len(posts) and not set(map(id, train)) & set(map(id, held))
    groups = {(p.lang, p.label) for p in posts}
    assert {(p.lang, p.label) for p in held} == groups == {(p.lang, p.label) for p in train}
    assert split(posts, fraction=0.2, seed=0) == (train, held)  # the same split every time


def test_evaluate_reports_each_language_as_json_and_as_a_table(tmp_path, untrained, labelled, monkeypatch) -> None:
    config = _config(tmp_path, untrained)
    code, out = _cli(["model", "evaluate", "--config", str(config), "--labelled", str(labelled), "--json"],
                     monkeypatch=monkeypatch)
    assert code == 0
    figures = json.loads(out)["languages"]
    assert sorted(figures) == ["all", "en", "fa", "pl", "ru"]
    assert [figures[lang]["n"] for lang in ("en", "pl", "ru", "fa")] == [60] * 4 and figures["all"]["n"] == 240
    for lang in ("en", "pl", "ru", "fa"):
        matrix = figures[lang]["confusion"]
        assert [sum(matrix[truth].values()) for truth in ("negative", "neutral", "positive")] == [20, 20, 20]
        assert 0 <= figures[lang]["macro_f1"] <= 1 and 0 <= figures[lang]["calibration_error"] <= 1
    code, out = _cli(["model", "evaluate", "--config", str(config), "--labelled", str(labelled)],
                     monkeypatch=monkeypatch)
    assert code == 0 and out.splitlines()[0].split()[:3] == ["lang", "n", "neg"]
    assert {line.split()[0] for line in out.splitlines()[2:7]} == {"all", "en", "pl", "ru", "fa"}


def test_evaluate_without_input_or_with_a_bad_file_is_a_usage_error(tmp_path, untrained, monkeypatch, capsys):
    config = _config(tmp_path, untrained)
    assert _cli(["model", "evaluate", "--config", str(config)], monkeypatch=monkeypatch)[0] == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhello,furious\n", encoding="utf-8")
    code, _ = _cli(["model", "evaluate", "--config", str(config), "--labelled", str(bad)], monkeypatch=monkeypatch)
    assert code == 2 and "label 'furious'" in capsys.readouterr().err
    code, _ = _cli(["model", "evaluate", "--config", str(config), "--labelled", str(bad), "--precision", "1.5"],
                   monkeypatch=monkeypatch)
    assert code == 2 and "--precision 1.5 must be in (0, 1]" in capsys.readouterr().err
    # One bad record among good ones costs only itself: evaluate runs, says which it skipped, and JSON lists it.
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("text,label,lang\nto jest okropne,negative,pl\n,negative,en\nsuper,positive,pl\n",
                     encoding="utf-8")
    code, out = _cli(["model", "evaluate", "--config", str(config), "--labelled", str(mixed), "--json"],
                     monkeypatch=monkeypatch)
    assert code == 0 and json.loads(out)["skipped"] == [{"line": 3, "reason": "no text"}]
    assert json.loads(out)["languages"]["all"]["n"] == 2
    assert "skipped 1 of 3 records (line 3: no text)" in capsys.readouterr().err


@pytest.mark.slow
def test_tune_raises_heldout_macro_f1_and_a_worse_tune_is_not_switched_on(
    tmp_path, untrained, labelled, monkeypatch
) -> None:
    home = tmp_path / "versions"
    config = _config(tmp_path, untrained)
    argv = ["model", "tune", "--config", str(config), "--labelled", str(labelled), "--output", str(home), "--json"]
    code, out = _cli([*argv, *FAST], monkeypatch=monkeypatch)
    assert code == 0
    first = json.loads(out)
    assert first["heldout_posts"] == 48 and first["train_posts"] == 192
    before, after = first["before"]["all"]["macro_f1"], first["after"]["all"]["macro_f1"]
    assert after > before + 0.3, (before, after)
    assert first["activated"] is True and (home / "ACTIVE").read_text().strip() == first["version"]
    version = home / first["version"]
    assert (version / "model.int8.onnx").is_file() and (version / "config.json").is_file()
    assert json.loads((version / "version.json").read_text())["heldout_score_after"] == round(after, 4)

    # A config pointing at the versions directory runs the active version, through PyTorch and ONNX alike.
    active = load_classifier(ClassifierSettings(model=str(home), threads=1))
    assert getattr(active, "version", None) == first["version"]
    onnx = load_classifier(ClassifierSettings(backend="onnx", onnx_model=str(home), threads=1))
    assert getattr(onnx, "version", None) == first["version"]
    post = labelled_posts(1, seed=5, langs=("pl",))[0]  # a negative post the tune never saw
    assert active.classify([post.text])[0].label == onnx.classify([post.text])[0].label

    # Tuning the active version at a rate that wrecks it: worse on the held-out split, so never activated.
    later = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    wreck = ["--layers", "-1", "--epochs", "3", "--learning-rate", "0.5", "--no-onnx"]
    code, out = _cli(["model", "tune", "--model", str(home), "--labelled", str(labelled), "--output", str(home),
                      "--json", *wreck], at=later, monkeypatch=monkeypatch)
    second = json.loads(out)
    assert code == 0 and second["base"] == str(version)
    assert second["heldout_score_before"] == round(after, 4)
    assert second["heldout_score_after"] < second["heldout_score_before"] and second["activated"] is False
    assert (home / "ACTIVE").read_text().strip() == first["version"]
    assert (home / second["version"]).is_dir()  # kept for inspection, not in use


def test_tune_with_too_few_posts_says_so(tmp_path, untrained, monkeypatch, capsys) -> None:
    few = tmp_path / "few.csv"
    few.write_text("text,label\ngreat,positive\n", encoding="utf-8")
    config = _config(tmp_path, untrained)
    code, _ = _cli(["model", "tune", "--config", str(config), "--labelled", str(few), "--output", str(tmp_path / "v"),
                    "--no-feedback"], monkeypatch=monkeypatch)
    assert code == 2 and "too few" in capsys.readouterr().err
    assert not (tmp_path / "v").exists()


def test_a_not_negative_correction_is_learnt_as_neutral_or_positive() -> None:
    import math

    import torch

    from models.tuning import _loss

    probs = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]])
    # Target 3 is "not negative": -log(P(neutral) + P(positive)), whichever of the two it is.
    assert float(_loss(probs[:1], torch.tensor([3]))) == pytest.approx(-math.log(0.3), abs=1e-6)
    assert float(_loss(probs, torch.tensor([0, 2]))) == pytest.approx(-(math.log(0.7) + math.log(0.3)) / 2, abs=1e-6)
