"""``[classifier]`` settings."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ClassifierSettings(BaseModel):
    """Which sentiment model to run and how."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    # A HuggingFace model id (downloaded once, then cached) or a local directory.
    model: str = "cardiffnlp/twitter-xlm-roberta-base-sentiment"
    backend: Literal["transformers"] = "transformers"
    device: str = "auto"  # "auto", "cpu", "cuda", "cuda:1"
    batch_size: int = Field(default=32, ge=1, le=1024)
    max_length: int = Field(default=256, ge=8, le=4096)
    # A post is negative when P(negative) reaches this; below `min_confidence` it is marked unsure.
    negative_threshold: float = Field(default=0.5, gt=0, le=1)
    min_confidence: float = Field(default=0.0, ge=0, le=1)
    # Override the label mapping inferred from the model config: {"LABEL_0" = "negative", ...}
    labels: dict[str, Literal["negative", "neutral", "positive"]] = Field(default_factory=dict)
