"""Turn stored post records into spike drivers (plain JSON for the spikes table)."""

from __future__ import annotations

from typing import Any

from monitor.spikes.explain import explain


def explain_records(
    records: list[dict[str, Any]],
    *,
    baseline: list[dict[str, Any]],
    brand: str = "",
    count: float | None = None,
    expected: float | None = None,
    minutes: int | None = None,
) -> dict[str, Any]:
    """Drivers of a spike from its posts and a baseline sample of the brand's earlier posts."""
    return explain(records, baseline, brand=[brand] if brand else (), count=count, expected=expected, minutes=minutes)
