"""Settings every source shares; each connector subclasses this with its own keys."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, model_validator

from values.durations import Duration


class SourceSettings(BaseModel):
    """Keys common to all sources: ``[sources.<platform>]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Names of fields holding *environment variable names* for secrets this source needs.
    secret_fields: ClassVar[tuple[str, ...]] = ()

    enabled: bool = True
    interval: Duration = timedelta(minutes=5)
    timeout: Duration = timedelta(seconds=30)
    base_url: str | None = None
    brands: tuple[str, ...] | None = None  # only these brands; default all

    @model_validator(mode="after")
    def _secrets_present(self, info: ValidationInfo) -> SourceSettings:
        env = _env(info)
        if not self.enabled:
            return self
        missing = [
            f"{field} names environment variable {getattr(self, field)} which is not set:"
            f" export it, or set enabled = false"
            for field in self.secret_fields
            if getattr(self, field) is not None and not env.get(getattr(self, field))  # None: an optional secret, unset
        ]
        if missing:
            raise ValueError("; ".join(missing))
        return self

    def secret(self, field: str, env: Mapping[str, str] | None = None) -> SecretStr:
        """The secret named by ``field``, read from the environment (never from config)."""
        source = os.environ if env is None else env
        return SecretStr(source.get(getattr(self, field), ""))


def _env(info: ValidationInfo) -> Mapping[str, str]:
    context = info.context or {}
    return context.get("env", os.environ)


class ListingSettings(SourceSettings):
    """Keys of sources read newest first back to the last read (see :mod:`connectors.incremental`)."""

    max_pages: int = Field(default=5, ge=1, le=100)  # requests per stream per poll
    overlap: Duration = timedelta(minutes=10)  # how far back each read re-checks (late indexing, reordering)
    first_read_window: Duration = timedelta(hours=24)  # how far back the very first read of a brand looks
