"""Schedules for scenarios that let days pass on the manual clock.

Polls wake classification, classification and the features wake delivery: their own beats only
pick up leftovers. Beating rarely, they let days pass in hundreds of job runs instead of tens of
thousands, with every wake-up (the daemon's real reaction time) unchanged.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from monitor.config import Config

RARE_BEATS = {
    "classify_interval": timedelta(hours=1),
    "deliver_interval": timedelta(hours=1),
    "spike_check_interval": timedelta(hours=6),
    "reply_check_interval": timedelta(hours=1),
}


def rare_beats(config: Config, **overrides: Any) -> Config:
    """``config`` with the periodic jobs beating rarely; ``overrides`` set other ``[schedule]`` fields."""
    return config.model_copy(update={"schedule": config.schedule.model_copy(update={**RARE_BEATS, **overrides})})
