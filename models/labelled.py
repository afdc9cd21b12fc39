"""Labelled posts from a file (CSV with a header, or JSON Lines): text, label, optional lang.

Files come from spreadsheets and labelling tools, so the reader takes what they write: UTF-8 with or
without a byte-order mark, UTF-16 with one (Excel's "Unicode text"), commas, semicolons (Excel where the
decimal separator is a comma: Polish, Russian) or tabs, and cells of any length. A record it cannot use
(no text, an unknown label) is skipped and named with its line, so one bad row does not cost the rest;
only a file with nothing usable in it is an error.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.evaluation import NOT_NEGATIVE
from values.plaintext import clean_line, clean_text

# What people write for each truth (lower-cased, "-" and " " read as "_").
_LABEL_NAMES = {
    "negative": "negative", "neg": "negative",
    "neutral": "neutral", "neu": "neutral",
    "positive": "positive", "pos": "positive",
    "not_negative": NOT_NEGATIVE, "notnegative": NOT_NEGATIVE,
}
_FIX = 'each record needs "text" and "label" (negative, neutral, positive or not_negative), and may have "lang"'
_DELIMITERS = (",", ";", "\t")
# What a per-language row may be named: an ISO 639 code with or without a region or script (pl, fil, pt-br,
# zh-hant), or a word a spreadsheet used instead ("polish"); not a sentence, markup or control characters.
_LANG_CODE = re.compile(r"[a-z][a-z0-9-]{1,34}")
# A whole Reddit thread pasted into one cell is still a post: well over the csv module's 128 KiB default.
_CELL_LIMIT = 64 << 20
# Skipped records named in an error or a summary; the count says how many more.
SHOWN_SKIPS = 5


class LabelledFileError(ValueError):
    """The labelled file cannot be read; the message names the line and the fix."""


@dataclass(frozen=True, slots=True)
class LabelledPost:
    """A post and the label a person gave it."""

    text: str
    label: str  # negative | neutral | positive | not_negative
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record left out, where it was and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class LabelledFile:
    """The usable records of a file, and the ones skipped."""

    path: Path
    posts: list[LabelledPost]
    skipped: list[Skipped] = field(default_factory=list)

    def skipped_summary(self) -> str:
        """One line naming the first skipped records and how many there were ("" when none)."""
        if not self.skipped:
            return ""
        shown = "; ".join(f"line {s.line}: {s.reason}" for s in self.skipped[:SHOWN_SKIPS])
        more = f"; and {len(self.skipped) - SHOWN_SKIPS} more" if len(self.skipped) > SHOWN_SKIPS else ""
        total = len(self.skipped) + len(self.posts)
        return f"{self.path}: skipped {len(self.skipped)} of {total} records ({shown}{more})"


class _BadRecord(ValueError):
    """One record that cannot be used; the reader skips it."""


def read_labelled(path: Path) -> LabelledFile:
    """Every usable record of ``path``; JSON Lines when its first non-blank character is "{", else CSV."""
    content = _text(path)
    posts, skipped = _jsonl(content) if content.lstrip().startswith("{") else _csv(path, content)
    read = LabelledFile(path, posts, skipped)
    if not posts:
        why = f" ({read.skipped_summary()})" if skipped else ""
        raise LabelledFileError(f"{path}: no labelled posts in it{why}; {_FIX}")
    return read


def label_of(raw: object) -> str | None:
    """The truth a label names, or None."""
    if not isinstance(raw, str):
        return None
    return _LABEL_NAMES.get(raw.strip().lower().replace("-", "_").replace(" ", "_"))


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LabelledFileError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    encoding = "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LabelledFileError(f"{path}:{line}: not {encoding.removesuffix('-sig').upper()} text ({exc.reason}); "
                                "save the file as UTF-8") from None


def _post(data: dict[str, Any]) -> LabelledPost:
    text, raw_label, lang = data.get("text"), data.get("label"), data.get("lang")
    text = clean_text(text) if isinstance(text, str) else None
    if not text or not text.strip():
        raise _BadRecord("no text")
    label = label_of(raw_label)
    if label is None:
        raise _BadRecord(f"label {str(raw_label)[:40]!r} is not one of negative, neutral, positive, not_negative")
    if lang is not None and not isinstance(lang, str):
        raise _BadRecord(f"lang must be a language code such as \"pl\", got {str(lang)[:40]!r}")
    code = clean_line(lang or "").strip().lower().replace("_", "-") or None
    if code is not None and not _LANG_CODE.fullmatch(code):
        raise _BadRecord(f"lang must be a language code such as \"pl\" or \"pt-br\", got {str(lang)[:40]!r}")
    return LabelledPost(text, label, code)


def _jsonl(content: str) -> tuple[list[LabelledPost], list[Skipped]]:
    posts, skipped = [], []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise _BadRecord("not a JSON object")
            posts.append(_post(data))
        except json.JSONDecodeError as exc:
            skipped.append(Skipped(number, f"not valid JSON ({exc.msg})"))
        except _BadRecord as exc:
            skipped.append(Skipped(number, str(exc)))
    return posts, skipped


def _csv(path: Path, content: str) -> tuple[list[LabelledPost], list[Skipped]]:
    delimiter = _delimiter(path, content)
    csv.field_size_limit(max(csv.field_size_limit(), _CELL_LIMIT))
    reader = csv.DictReader(io.StringIO(content, newline=""), delimiter=delimiter)
    posts, skipped = [], []
    try:
        for row in reader:
            data = {(k or "").strip().lower(): v for k, v in row.items()}
            try:
                posts.append(_post(data))
            except _BadRecord as exc:
                skipped.append(Skipped(reader.line_num, str(exc)))
    except csv.Error as exc:
        raise LabelledFileError(f"{path}:{reader.line_num}: not readable as CSV ({exc}); {_FIX}") from None
    return posts, skipped


def _delimiter(path: Path, content: str) -> str:
    """The separator that makes the header name both text and label."""
    # Only the first line, without splitting the whole file (cells may be megabytes) into a list to get it.
    ends = [i for i in (content.find("\n"), content.find("\r")) if i >= 0]
    header = content[: min(ends, default=len(content))]
    def columns(delimiter: str) -> set[str]:
        return {name.strip().lower() for name in next(csv.reader([header], delimiter=delimiter), [])}

    for delimiter in _DELIMITERS:
        if {"text", "label"} <= columns(delimiter):
            return delimiter
    raise LabelledFileError(f"{path}: the CSV header must name the columns text and label (and may name lang), "
                            f"separated by commas, semicolons or tabs; found {sorted(columns(','))}")
