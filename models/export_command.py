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


def run_export(
    *, model: str, output: Path, heldout: Path | None, min_agreement: float, min_correlation: float = 0.95,
    min_median_agreement: float = 0.85,
) -> tuple[dict[str, Any], bool]:
    """Export ``model`` into ``output``; the report, and whether int8 agrees with fp32 well enough."""
    texts = read_texts(heldout) if heldout else list(HELDOUT_POSTS)
    exported = export_model(model, output)
    check = agreement(exported, texts)
    failed = [
        f"{name} {value:.3f} < {least}"
        for name, value, least in (
            ("same label", check.same_label, min_agreement),
            ("P(negative) correlation", check.negative_correlation, min_correlation),
            ("same side of the median P(negative)", check.same_side_of_median, min_median_agreement),
        )
        if value < least
    ]
    ok = not failed
    report = {
        "model": model,
        "output": str(exported.directory),
        "fp32": str(exported.fp32),
        "int8": str(exported.int8),
        "size_mb": exported.sizes_mb(),
        "export_seconds": round(exported.seconds, 1),
        "agreement": check.as_dict(),
        "min_agreement": min_agreement,
        "min_correlation": min_correlation,
        "min_median_agreement": min_median_agreement,
        "failed": failed,
        "ok": ok,
        "config": f'[classifier]\nbackend = "onnx"\nonnx_model = "{exported.int8}"',
    }
    level = logging.INFO if ok else logging.ERROR
    log.log(
        level,
        "int8 vs fp32 on %d held-out posts: %.1f%% same label (need %.1f%%), P(negative) correlation %.3f "
        "(need %.2f), %.1f%% on the same side of the median P(negative) (need %.1f%%), max |ΔP(negative)| %.3f%s",
        check.posts,
        100 * check.same_label,
        100 * min_agreement,
        check.negative_correlation,
        min_correlation,
        100 * check.same_side_of_median,
        100 * min_median_agreement,
        check.max_negative_diff,
        f"; failed: {', '.join(failed)}" if failed else "",
    )
    return report, ok
