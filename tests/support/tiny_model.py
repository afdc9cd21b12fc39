"""Build a tiny XLM-RoBERTa-style sentiment model and tokenizer on disk, offline.

The weights are random: tests use it to exercise the production loading and
batching path, not to judge accuracy. The tokenizer is a SentencePiece-style
Unigram model trained on the fly on a few multilingual lines.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

CORPUS = [
    "Acme support is terrible, my order never arrived",
    "I love the new Acme app, great job",
    "Does Acme ship to Poland? @acme_help",
    "Obsługa klienta Acme to dramat, czekam trzy tygodnie na zwrot",
    "Świetna aplikacja, dziękuję!",
    "Ужасный сервис, деньги списали дважды",
    "Отличный продукт, рекомендую",
    "پشتیبانی افتضاح است، سفارش من نرسید",
    "خیلی ممنون، عالی بود",
    "http://example.com #acme 😡 😍 🙏",
]

DEFAULT_LABELS = {0: "negative", 1: "neutral", 2: "positive"}

# Labelled lines the model can be fitted to, so tests get predictable labels.
# Index into DEFAULT_LABELS: 0 negative, 1 neutral, 2 positive.
TRAINING = [
    ("Acme support is terrible, my order never arrived", 0),
    ("Obsługa klienta Acme to dramat, czekam trzy tygodnie na zwrot", 0),
    ("Ужасный сервис, деньги списали дважды", 0),
    ("پشتیبانی افتضاح است، سفارش من نرسید", 0),
    ("Does Acme ship to Poland? @acme_help", 1),
    ("http://example.com #acme", 1),
    ("I love the new Acme app, great job", 2),
    ("Świetna aplikacja, dziękuję!", 2),
    ("Отличный продукт, рекомендую", 2),
    ("خیلی ممنون، عالی بود", 2),
]


def cache_root() -> Path:
    """Where built models are kept between test runs: ``$BRAND_MONITOR_TEST_CACHE``, else the user's cache."""
    configured = os.environ.get("BRAND_MONITOR_TEST_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "brand-monitor-tests"


def cached_tiny_model(
    *,
    labels: Mapping[int, str] = DEFAULT_LABELS,
    max_positions: int = 130,
    seed: int = 0,
    fit: bool = False,
    extra_corpus: tuple[str, ...] = (),
    vocab_size: int = 300,
) -> Path:
    """:func:`build_tiny_model`'s output for these arguments, built once and reused while nothing it depends on
    changes (this file, the arguments, the versions of the libraries that build and read it).

    Built in a temporary directory beside the cache entry and renamed into place, so several pytest
    processes starting together never see half a model: the first rename wins, the others use it.
    """
    options = {
        "labels": {str(k): v for k, v in sorted(labels.items())},
        "max_positions": max_positions,
        "seed": seed,
        "fit": fit,
        "extra_corpus": list(extra_corpus),
        "vocab_size": vocab_size,
    }
    versions = {name: _version(name) for name in ("torch", "transformers", "tokenizers")}
    recipe = json.dumps([Path(__file__).read_text(encoding="utf-8"), options, versions], sort_keys=True)
    key = hashlib.sha256(recipe.encode()).hexdigest()[:16]
    root = cache_root()
    target = root / f"tiny-model-{key}"
    if (target / "config.json").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".tiny-model-{key}-", dir=root))
    try:
        build_tiny_model(
            building, labels=labels, max_positions=max_positions, seed=seed, fit=fit, extra_corpus=extra_corpus,
            vocab_size=vocab_size,
        )
        try:
            building.rename(target)
        except OSError:  # another process finished first: its copy is as good as ours
            if not (target / "config.json").exists():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def build_tiny_model(
    directory: Path,
    *,
    labels: Mapping[int, str] = DEFAULT_LABELS,
    max_positions: int = 130,
    seed: int = 0,
    fit: bool = False,
    extra_corpus: tuple[str, ...] = (),
    vocab_size: int = 300,
) -> Path:
    """Save a random tiny XLMRobertaForSequenceClassification + tokenizer to ``directory``."""
    import torch
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, trainers
    from tokenizers.models import Unigram
    from tokenizers.processors import TemplateProcessing
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaForSequenceClassification

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok = Tokenizer(Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=specials, unk_token="<unk>")
    tok.train_from_iterator((CORPUS + list(extra_corpus)) * 5, trainer=trainer)
    tok.post_processor = TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        sep_token="</s>",
        cls_token="<s>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=max_positions - 2,
    )
    fast.save_pretrained(directory)

    torch.manual_seed(seed)
    config = XLMRobertaConfig(
        vocab_size=fast.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_positions,
        pad_token_id=fast.pad_token_id,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        num_labels=len(labels),
        id2label=dict(labels),
        label2id={v: k for k, v in labels.items()},
    )
    model = XLMRobertaForSequenceClassification(config)
    if fit:
        _fit(model, fast, TRAINING)
    model.eval()
    model.save_pretrained(directory)
    return directory


def _fit(model: object, tokenizer: object, examples: list[tuple[str, int]], steps: int = 120) -> None:
    """A few optimiser steps so the tiny model reproduces the labels of ``examples``."""
    import torch

    texts = [t for t, _ in examples]
    target = torch.tensor([label for _, label in examples])
    batch = tokenizer(texts, padding=True, return_tensors="pt")  # type: ignore[operator]
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)  # type: ignore[attr-defined]
    model.train()  # type: ignore[attr-defined]
    for _ in range(steps):
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(**batch).logits, target)  # type: ignore[operator]
        loss.backward()
        optimiser.step()
