"""``brand-monitor model tune``: hold out a split, fine-tune, compare on it, switch only to a better model."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from models import versions
from models.assess import assess
from models.evaluation import ALL
from models.labelled import LabelledPost
from models.loading import load_classifier
from models.settings import ClassifierSettings
from models.tuning import TuneOptions, fine_tune, split

log = logging.getLogger(__name__)


class TuneError(ValueError):
    """Tuning cannot start (too few posts); the message says what is missing."""


def score(figures: dict[str, Any]) -> float:
    """What "better" means on the held-out split: macro-F1, or negative F1 when only corrections are held out."""
    overall = figures[ALL]
    value = overall["macro_f1"] if overall["macro_f1"] is not None else overall["negative"]["f1"]
    return float(value or 0.0)


def run_tune(
    *,
    settings: ClassifierSettings,
    posts: Sequence[LabelledPost],
    home: Path,
    options: TuneOptions,
    now: datetime,
    precision: float,
    export: bool = True,
) -> dict[str, Any]:
    """Tune the active model on ``posts`` into a new version under ``home``; activate it only if it scores better."""
    current = versions.resolve(settings)
    # Training and the comparison run in PyTorch (the ONNX files are exported from the result).
    torch_settings = ClassifierSettings.model_validate(
        {**current.model_dump(), "backend": "transformers", "onnx_model": None}
    )
    train, held = split(posts, fraction=options.heldout, seed=options.seed)
    if len(held) < 2 or not train:
        raise TuneError(f"{len(posts)} labelled post(s) are too few to train on and hold some out: give at least "
                        "a few per language and label (--labelled FILE, or more feedback in Slack)")
    before = assess(load_classifier(torch_settings), held, precision=precision)
    version = home / f"tuned-{now.strftime('%Y%m%dT%H%M%SZ')}"
    if version.exists():
        raise TuneError(f"{version} exists already: wait a second, or pass another --output")
    training = fine_tune(torch_settings.model, train, version, options=options, settings=torch_settings)
    tuned = torch_settings.model_copy(update={"model": str(version)})
    after = assess(load_classifier(tuned), held, precision=precision)
    better = score(after) > score(before)
    info = {
        "version": version.name,
        "base": current.model,
        "created_at": now.isoformat(),
        "train_posts": len(train),
        "heldout_posts": len(held),
        "heldout_score_before": round(score(before), 4),
        "heldout_score_after": round(score(after), 4),
        "activated": better,
        "options": {k: getattr(options, k) for k in options.__dataclass_fields__},
        **training,
    }
    versions.write_version(version, info)
    if export:
        from models.export import export_model

        export_model(str(version), version)
    if better:
        versions.activate(home, version)
        log.info("tuned model %s is better on the held-out split (%.3f > %.3f): active in %s from the next start",
                 version.name, score(after), score(before), home)
    else:
        log.warning("tuned model %s is not better on the held-out split (%.3f, was %.3f): the current model stays "
                    "active", version.name, score(after), score(before))
    return {**info, "directory": str(version), "before": before, "after": after}
