"""What ``brand-monitor model export`` does: export, check int8 against fp32, report as JSON."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from models.export import agreement, export_model
from models.heldout import HELDOUT_POSTS

log = logging.getLogger(__name__)


def read_texts(path: Path) -> list[str]:
    """Posts from a file: one JSON object {"text": ...} or one plain text per line."""
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                data = None
            if isinstance(data, dict) and "text" in data:
                texts.append(str(data["text"]))
                continue
        texts.append(line)
    return texts


def run_export(*, model: str, output: Path, heldout: Path | None, min_agreement: float) -> tuple[dict[str, Any], bool]:
    """Export ``model`` into ``output``; the report, and whether int8 agrees with fp32 well enough."""
    texts = read_texts(heldout) if heldout else list(HELDOUT_POSTS)
    exported = export_model(model, output)
    check = agreement(exported, texts)
    ok = check.same_label >= min_agreement
    report = {
        "model": model,
        "output": str(exported.directory),
        "fp32": str(exported.fp32),
        "int8": str(exported.int8),
        "size_mb": exported.sizes_mb(),
        "export_seconds": round(exported.seconds, 1),
        "agreement": check.as_dict(),
        "min_agreement": min_agreement,
        "ok": ok,
        "config": f'[classifier]\nbackend = "onnx"\nonnx_model = "{exported.int8}"',
    }
    level = logging.INFO if ok else logging.ERROR
    log.log(
        level,
        "int8 vs fp32 on %d held-out posts: %.1f%% same label (need %.1f%%), max |ΔP(negative)| %.3f",
        check.posts,
        100 * check.same_label,
        100 * min_agreement,
        check.max_negative_diff,
    )
    return report, ok
