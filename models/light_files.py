"""Tokenizer and config read straight from an exported model directory, without importing transformers.

transformers imports PyTorch on import, which costs a few hundred MiB of memory; the ONNX Runtime
backend needs neither, only tokenizer.json (the `tokenizers` library) and config.json.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any


def has_light_files(directory: Path) -> bool:
    """True when ``directory`` holds the files the light loaders read."""
    return (directory / "tokenizer.json").is_file() and (directory / "config.json").is_file()


def read_config(directory: Path) -> SimpleNamespace:
    """config.json as attributes, id2label keyed by int as transformers has it."""
    data = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    data["id2label"] = {int(k): v for k, v in (data.get("id2label") or {}).items()}
    return SimpleNamespace(**{"pad_token_id": None, "model_type": "", **data})


class LightTokenizer:
    """Callable like a transformers fast tokenizer for what the classifier asks of it."""

    def __init__(self, directory: Path) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        extra: dict[str, Any] = {}
        if (directory / "tokenizer_config.json").is_file():
            extra = json.loads((directory / "tokenizer_config.json").read_text(encoding="utf-8"))
        self.model_max_length = extra.get("model_max_length")
        pad = extra.get("pad_token", "<pad>")
        pad = pad.get("content", "<pad>") if isinstance(pad, dict) else pad
        self.pad_token_id = self._tokenizer.token_to_id(pad)

    def __call__(self, texts: Sequence[str], *, truncation: bool, max_length: int) -> dict[str, list[list[int]]]:
        """{"input_ids": [...]} per text, special tokens added, cut at ``max_length``."""
        if truncation:
            self._tokenizer.enable_truncation(max_length)
        else:
            self._tokenizer.no_truncation()
        return {"input_ids": [e.ids for e in self._tokenizer.encode_batch(list(texts))]}
