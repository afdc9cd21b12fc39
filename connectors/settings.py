"""Settings every source shares; each connector subclasses this with its own keys."""

from __future__ import annotations

from datetime import timedelta

from pydantic import ConfigDict, Field

from values.durations import Duration
from values.secrets import SecretSettings


class SourceSettings(SecretSettings):
    """Keys common to all sources: ``[sources.<platform>]``.

    A source's secrets (its ``secret_fields``, keys ending in ``_env``) are read from the environment when the
    settings are validated; the connector asks for them with ``settings.secret(field)``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    interval: Duration = timedelta(minutes=5)
    timeout: Duration = timedelta(seconds=30)
    base_url: str | None = None
    brands: tuple[str, ...] | None = None  # only these brands; default all

    def secrets_required(self) -> bool:
        """An enabled source needs every secret it names; a disabled one needs none."""
        return self.enabled

    def missing_hint(self) -> str:
        """What to do about an unset variable."""
        return "export it, or set enabled = false"


class ListingSettings(SourceSettings):
    """Keys of sources read newest first back to the last read (see :mod:`connectors.incremental`)."""

    max_pages: int = Field(default=5, ge=1, le=100)  # requests per stream per poll
    overlap: Duration = timedelta(minutes=10)  # how far back each read re-checks (late indexing, reordering)
    first_read_window: Duration = timedelta(hours=24)  # how far back the very first read of a brand looks
