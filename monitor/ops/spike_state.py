"""Each spike detector's warm-up and latest check, as /healthz and /metrics show them (read from the database)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Connection, RowMapping, select

from monitor.storage.schema import spike_detectors

# Gauge name suffix -> the key of the stored check it reports.
CHECK_GAUGES = {
    "observed": ("count", "Mentions observed in the newest checked bucket"),
    "expected": ("expected", "Mentions the baseline expected in the newest checked bucket"),
    "window_observed": ("window_count", "Mentions in the deciding scan window of the newest check"),
    "window_expected": ("window_expected", "Mentions expected in the deciding scan window of the newest check"),
    "window_buckets": ("window", "Length of the deciding scan window in buckets (0: none cleared the floors)"),
    "p_value": ("p_value", "p-value of the newest check (after the correction for the number of windows)"),
    "threshold": ("threshold", "p-value the newest check needed to fire"),
}


def read(conn: Connection) -> Sequence[RowMapping]:
    """One row per (brand, metric) detector: its warm-up times and its latest check."""
    c = spike_detectors.c
    query = select(c.brand, c.metric, c.history_from, c.alerts_from, c.last_check).order_by(c.brand, c.metric)
    return conn.execute(query).mappings().all()


def health(rows: Sequence[RowMapping], *, brands: Sequence[str], now: datetime) -> list[dict[str, Any]]:
    """Per brand and metric: ``learning`` (no history, or stricter) or ``alerting``; history learned; alerts from."""
    entries = []
    seen = set()
    for row in rows:
        seen.add(row["brand"])
        history_from, alerts_from = row["history_from"], row["alerts_from"]
        learned = (now - history_from) / timedelta(days=1) if history_from else 0.0
        entries.append(
            {
                "brand": row["brand"],
                "metric": row["metric"],
                "status": "alerting" if alerts_from is not None and alerts_from <= now else "learning",
                "history_from": history_from.isoformat() if history_from else None,
                "history_days": round(max(learned, 0.0), 2),
                "full_sensitivity_from": alerts_from.isoformat() if alerts_from else None,
                "last_check": (row["last_check"] or {}).get("verdict"),
            }
        )
    for brand in brands:
        if brand not in seen:  # configured, never checked: nothing stored for it yet
            entries.append(
                {
                    "brand": brand,
                    "metric": None,
                    "status": "learning",
                    "history_from": None,
                    "history_days": 0.0,
                    "full_sensitivity_from": None,
                    "last_check": None,
                }
            )
    return entries


def gauges(rows: Sequence[RowMapping], *, now: datetime) -> Iterator[GaugeMetricFamily]:
    """The latest check per (brand, metric), and whether each detector alerts at full sensitivity yet."""
    labels = ["brand", "metric"]
    for suffix, (key, help_text) in CHECK_GAUGES.items():
        family = GaugeMetricFamily(f"brand_monitor_spike_check_{suffix}", help_text, labels=labels)
        for row in rows:
            check = row["last_check"] or {}
            if check.get(key) is not None:
                family.add_metric([row["brand"], row["metric"]], float(check[key]))
        yield family
    checked = GaugeMetricFamily(
        "brand_monitor_spike_check_bucket_timestamp_seconds", "Start of the newest checked bucket", labels=labels
    )
    alerting = GaugeMetricFamily(
        "brand_monitor_spike_alerting", "1 once the detector alerts at full sensitivity (warm-up over)", labels=labels
    )
    history = GaugeMetricFamily(
        "brand_monitor_spike_history_days", "Days of history the detector learned", labels=labels
    )
    for row in rows:
        names = [row["brand"], row["metric"]]
        latest = row["last_check"] or {}
        if latest.get("at"):
            checked.add_metric(names, _aware(datetime.fromisoformat(latest["at"])).timestamp())
        alerting.add_metric(names, float(row["alerts_from"] is not None and row["alerts_from"] <= now))
        if row["history_from"] is not None:
            history.add_metric(names, max((now - row["history_from"]) / timedelta(days=1), 0.0))
    yield checked
    yield alerting
    yield history


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
