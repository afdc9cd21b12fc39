"""Labelled posts from a file (CSV with a header, or JSON Lines): text, label, optional lang."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.evaluation import NOT_NEGATIVE

# What people write for each truth (lower-cased, "-" and " " read as "_").
_LABEL_NAMES = {
    "negative": "negative", "neg": "negative",
    "neutral": "neutral", "neu": "neutral",
    "positive": "positive", "pos": "positive",
    "not_negative": NOT_NEGATIVE, "notnegative": NOT_NEGATIVE,
}
_FIX = 'each record needs "text" and "label" (negative, neutral, positive or not_negative), and may have "lang"'


class LabelledFileError(ValueError):
    """The labelled file cannot be read; the message names the line and the fix."""


@dataclass(frozen=True, slots=True)
class LabelledPost:
    """A post and the label a person gave it."""

    text: str
    label: str  # negative | neutral | positive | not_negative
    lang: str | None = None


def read_labelled(path: Path) -> list[LabelledPost]:
    """Every record of ``path``; JSON Lines when its first non-blank character is "{", else CSV."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelledFileError(f"{path}: cannot read it: {exc}") from None
    records = _jsonl(path, content) if content.lstrip().startswith("{") else _csv(path, content)
    if not records:
        raise LabelledFileError(f"{path}: no labelled posts in it; {_FIX}")
    return records


def label_of(raw: object) -> str | None:
    """The truth a label names, or None."""
    if not isinstance(raw, str):
        return None
    return _LABEL_NAMES.get(raw.strip().lower().replace("-", "_").replace(" ", "_"))


def _post(path: Path, where: str, data: dict[str, Any]) -> LabelledPost:
    text, raw_label, lang = data.get("text"), data.get("label"), data.get("lang")
    if not isinstance(text, str) or not text.strip():
        raise LabelledFileError(f"{path}:{where}: no text; {_FIX}")
    label = label_of(raw_label)
    if label is None:
        raise LabelledFileError(f"{path}:{where}: label {raw_label!r} is not one of negative, neutral, positive, "
                                "not_negative")
    if lang is not None and not isinstance(lang, str):
        raise LabelledFileError(f"{path}:{where}: lang must be a language code such as \"pl\", got {lang!r}")
    return LabelledPost(text, label, (lang or "").strip().lower() or None)


def _jsonl(path: Path, content: str) -> list[LabelledPost]:
    out = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelledFileError(f"{path}:{number}: not valid JSON ({exc.msg}); {_FIX}") from None
        if not isinstance(data, dict):
            raise LabelledFileError(f"{path}:{number}: not a JSON object; {_FIX}")
        out.append(_post(path, str(number), data))
    return out


def _csv(path: Path, content: str) -> list[LabelledPost]:
    reader = csv.DictReader(io.StringIO(content))
    columns = {name.strip().lower() for name in reader.fieldnames or ()}
    if not {"text", "label"} <= columns:
        raise LabelledFileError(f"{path}: the CSV header must name the columns text and label (and may name lang); "
                                f"found {sorted(columns)}")
    out = []
    for row in reader:
        data = {(k or "").strip().lower(): v for k, v in row.items()}
        out.append(_post(path, str(reader.line_num), data))
    return out
