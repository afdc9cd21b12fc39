"""Fine-tune the sentiment model on labelled posts: the classification head and the top layers, on CPU.

The loss reads the model's probabilities folded onto negative / neutral / positive (as the classifier
does), so any label layout works, and a "not negative" correction is learnt as what it says:
-log P(neutral or positive), without guessing which of the two it is.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.base import LABELS
from models.evaluation import NOT_NEGATIVE
from models.labelled import LabelledPost
from models.labels import folding_matrix, infer_mapping
from models.preprocess import normalise
from models.runtime import threads_for
from models.settings import ClassifierSettings

log = logging.getLogger(__name__)

_TARGET = {label: i for i, label in enumerate(LABELS)} | {NOT_NEGATIVE: len(LABELS)}


@dataclass(frozen=True, slots=True)
class TuneOptions:
    """How to fine-tune: what trains, for how long, and what is held out."""

    epochs: int = 3
    learning_rate: float = 5e-5
    layers: int = 2  # top encoder layers trained with the head; -1: all of them
    batch_size: int = 16
    heldout: float = 0.2  # share of each (language, label) group kept out of training
    seed: int = 0


Split = tuple[list[LabelledPost], list[LabelledPost]]


def split(posts: Sequence[LabelledPost], *, fraction: float, seed: int) -> Split:
    """(train, held-out): each (language, label) group shuffled and cut, so both sides see every group."""
    groups: dict[tuple[str, str], list[LabelledPost]] = {}
    for post in posts:
        groups.setdefault((post.lang or "", post.label), []).append(post)
    rng = random.Random(seed)
    train: list[LabelledPost] = []
    held: list[LabelledPost] = []
    for key in sorted(groups):
        group = groups[key][:]
        rng.shuffle(group)
        cut = round(len(group) * fraction) if len(group) > 1 else 0
        cut = max(cut, 1) if len(group) > 1 and fraction > 0 else cut
        held += group[:cut]
        train += group[cut:]
    return train, held


def fine_tune(base: str, posts: Sequence[LabelledPost], output: Path, *, options: TuneOptions,
              settings: ClassifierSettings) -> dict[str, Any]:
    """Train a copy of the model at ``base`` on ``posts`` and save it (weights, tokenizer, config) in ``output``."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(options.seed)
    torch.set_num_threads(threads_for(settings.threads))
    tokenizer = AutoTokenizer.from_pretrained(base)
    network = AutoModelForSequenceClassification.from_pretrained(base)
    trained = _trainable(network, options.layers)
    folding = torch.from_numpy(folding_matrix(infer_mapping(network.config.id2label, settings.labels)))
    limit = min(settings.max_length, int(getattr(tokenizer, "model_max_length", 512) or 512), 512)
    texts = [normalise(p.text, max_chars=limit * 12) for p in posts]
    targets = torch.tensor([_TARGET[p.label] for p in posts])
    optimiser = torch.optim.AdamW([p for p in network.parameters() if p.requires_grad], lr=options.learning_rate)
    order = torch.Generator().manual_seed(options.seed)
    network.train()
    losses = []
    for _ in range(options.epochs):
        total = 0.0
        for rows in torch.randperm(len(texts), generator=order).split(options.batch_size):
            batch = tokenizer([texts[i] for i in rows], padding=True, truncation=True, max_length=limit,
                              return_tensors="pt")
            probs = network(**batch).logits.softmax(dim=-1) @ folding
            loss = _loss(probs, targets[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(rows)
        losses.append(round(total / max(1, len(texts)), 4))
    network.eval()
    output.mkdir(parents=True, exist_ok=True)
    network.save_pretrained(output)
    tokenizer.save_pretrained(output)
    log.info("tuned %d parameters on %d posts for %d epochs; loss per epoch %s", trained, len(texts),
             options.epochs, losses)
    return {"trained_parameters": trained, "loss_per_epoch": losses}


def _trainable(network: Any, layers: int) -> int:
    """Freeze everything but the classification head and the top ``layers`` encoder layers (-1: train
    everything, embeddings included); how many parameters train."""
    for parameter in network.parameters():
        parameter.requires_grad = layers < 0
    encoder_layers = list(getattr(getattr(network.base_model, "encoder", None), "layer", []))
    chosen = encoder_layers if layers < 0 else encoder_layers[len(encoder_layers) - layers :] if layers else []
    parts = [m for name, m in network.named_children() if name != network.base_model_prefix] + chosen
    for part in parts:
        for parameter in part.parameters():
            parameter.requires_grad = True
    return sum(p.numel() for p in network.parameters() if p.requires_grad)


def _loss(probs: Any, targets: Any) -> Any:
    """Mean negative log-likelihood: of the label, or of "not negative" (neutral + positive) for a correction."""
    import torch

    full = torch.cat([probs, probs[:, 1:].sum(dim=1, keepdim=True)], dim=1)  # 4th column: P(not negative)
    return -torch.log(full.gather(1, targets[:, None]).clamp_min(1e-7)).mean()
