"""Time-zone names in config: IANA names, checked when the config is loaded."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator


def check_zone(name: str) -> str:
    """Return ``name`` if it is a time zone this machine knows, else raise with the fix."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name like Europe/Warsaw or UTC") from None
    return name


ZoneName = Annotated[str, AfterValidator(check_zone)]
