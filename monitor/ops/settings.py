"""Config sections for running in production: ``[observability]``, ``[logging]``, ``[retention]``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from values.durations import Duration


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ObservabilitySettings(_Section):
    """``[observability]``: the /healthz and /metrics endpoint. Off unless ``listen`` is set."""

    # "HOST:PORT", e.g. "127.0.0.1:9464"; empty: no endpoint (nothing listens unless asked to).
    listen: str = ""
    # /healthz reports a (source, brand) as stale when its last success is older than this many intervals.
    stale_after_intervals: float = Field(default=3.0, gt=0)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, listen: str) -> str:
        if listen and not re.fullmatch(r"(\[[0-9a-fA-F:]+\]|[\w.-]*):\d{1,5}", listen):
            raise ValueError(f"listen {listen!r} is not HOST:PORT: write e.g. \"127.0.0.1:9464\" (or \"\" for off)")
        if listen and not 0 <= int(listen.rsplit(":", 1)[1]) < 65536:
            raise ValueError(f"listen {listen!r}: the port must be between 0 (any free port) and 65535")
        return listen

    @property
    def address(self) -> tuple[str, int] | None:
        """(host, port) to bind, or None when off."""
        if not self.listen:
            return None
        host, port = self.listen.rsplit(":", 1)
        return host.strip("[]") or "0.0.0.0", int(port)


class LoggingSettings(_Section):
    """``[logging]``: text lines for people, JSON lines for log collectors."""

    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class RetentionSettings(_Section):
    """``[retention]``: what old data is pruned, by a periodic job in small batches. 0 keeps forever."""

    posts_days: int = Field(default=0, ge=0)  # classified posts (and their mentions) older than this
    outbox_days: int = Field(default=0, ge=0)  # delivered or dead alerts older than this
    quarantine_days: int = Field(default=0, ge=0)  # quarantined items released (stored by a retry) this long ago
    interval: Duration = timedelta(hours=1)
    batch_size: int = Field(default=500, ge=1, le=10_000)
    pause: Duration = timedelta(milliseconds=50)  # between batches, so other jobs get the database
    budget: Duration = timedelta(seconds=30)  # at most this long per run; the rest waits for the next

    @property
    def enabled(self) -> bool:
        """True when anything is to be pruned."""
        return bool(self.posts_days or self.outbox_days or self.quarantine_days)
