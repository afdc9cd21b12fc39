"""Turn stored post records into spike drivers (plain JSON for the spikes table)."""

from __future__ import annotations

from typing import Any


def explain_records(records: list[dict[str, Any]], *, baseline: list[dict[str, Any]]) -> dict[str, Any]:
    """Drivers of a spike from its posts and a baseline sample, as JSON-ready data."""
    from monitor.spikes.alerts import basic_drivers

    return basic_drivers(records)
