"""``[digest]``: what the daily digest shows (when and where it goes is ``[schedule]`` and ``[slack]``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DigestSettings(BaseModel):
    """``[digest]`` settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True  # schedule it in the daemon
    top_posts: int = Field(default=5, ge=1, le=10)  # top negative posts per brand
    list_limit: int = Field(default=5, ge=1, le=20)  # breaches and open posts listed per brand
    terms: int = Field(default=6, ge=1, le=15)  # complaint terms per brand
    chart_days: int = Field(default=7, ge=1, le=31)  # local days the chart covers
