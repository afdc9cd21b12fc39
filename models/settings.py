"""``[classifier]`` settings."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Target = Literal["negative", "neutral", "positive"]


class ClassifierSettings(BaseModel):
    """Which sentiment model to run and how."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    # A HuggingFace model id (downloaded once, then cached) or a local directory.
    model: str = "cardiffnlp/twitter-xlm-roberta-base-sentiment"
    # "transformers" (PyTorch) or "onnx" (ONNX Runtime on a file written by `brand-monitor model export`).
    backend: Literal["transformers", "onnx"] = "transformers"
    # The .onnx file for backend = "onnx" (model.onnx for fp32, model.int8.onnx for int8); its directory
    # holds the tokenizer and config.json unless `model` names another one.
    onnx_model: str | None = None
    device: str = "auto"  # "auto" (CUDA when present, else CPU), "cpu", "cuda", "cuda:1"
    threads: int = Field(default=0, ge=0, le=256)  # 0: one per CPU core this process may use
    batch_size: int = Field(default=32, ge=1, le=1024)
    # The most padded tokens one batch may hold (rows x its longest row). Activation memory grows with
    # it; throughput does not, past a few hundred tokens (docs/classifier.md, "Memory").
    batch_tokens: int = Field(default=512, ge=64, le=65536)
    max_length: int = Field(default=256, ge=8, le=4096)  # tokens; also capped at the model's own limit
    # A post is negative when P(negative) reaches this (per detected language in `language_thresholds`).
    negative_threshold: float = Field(default=0.5, gt=0, le=1)
    language_thresholds: dict[str, float] = Field(default_factory=dict)
    # When no class reaches this probability the post is marked low-confidence (never alerted on).
    min_confidence: float = Field(default=0.4, ge=0, le=1)
    detect_language: bool = True
    # Near-identical posts (retweets, copies, one post seen by two sources) are classified once: this many
    # recent results are kept, keyed by normalised text (docs/classifier.md); 0 turns the cache off.
    cache_size: int = Field(default=20_000, ge=0, le=10_000_000)
    # Override the label mapping inferred from the model config: {"LABEL_0" = "negative", ...}
    labels: dict[str, Target] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> ClassifierSettings:
        if self.backend == "onnx" and not self.onnx_model:
            raise ValueError(
                'backend = "onnx" needs onnx_model = "<dir>/model.int8.onnx" '
                "(write it with `brand-monitor model export`)"
            )
        for lang, value in self.language_thresholds.items():
            if not 0 < value <= 1:
                raise ValueError(f"language_thresholds.{lang} = {value}: must be in (0, 1]")
        # A post above its negative threshold must never be silenced as low-confidence.
        lowest = min([self.negative_threshold, *self.language_thresholds.values()])
        if self.min_confidence > lowest:
            raise ValueError(
                f"min_confidence = {self.min_confidence} is above a negative threshold ({lowest}): "
                "set it at or below every threshold"
            )
        return self

    def threshold_for(self, lang: str | None) -> float:
        """The negative threshold for posts detected in ``lang``."""
        if lang is not None and lang in self.language_thresholds:
            return self.language_thresholds[lang]
        return self.negative_threshold


def with_model(settings: ClassifierSettings, model: str) -> ClassifierSettings:
    """``settings`` running ``model`` instead: a model id or directory (PyTorch), or an exported .onnx file."""
    if model.endswith(".onnx"):
        return ClassifierSettings.model_validate({**settings.model_dump(), "backend": "onnx", "onnx_model": model})
    return ClassifierSettings.model_validate(
        {**settings.model_dump(), "model": model, "backend": "transformers", "onnx_model": None}
    )
