"""``brand-monitor spikes explain``: why the detector did or did not fire for a brand, now or at a given time.

Without ``--at`` it prints what the daemon itself recorded at its latest check (per metric).
With ``--at`` it recomputes: the brand's stored counts are fed, bucket by bucket, to a fresh
detector from where the daemon's detector started learning, up to the bucket holding that time,
exactly as the daemon feeds them. Counts are as stored now, late posts included, so a bucket the
daemon judged before its late posts arrived is explained as it stands now (the output says so).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func, select

from monitor.spikes.alerts import METRIC_NAMES
from monitor.spikes.detector import Check, SpikeDetector
from monitor.spikes.settings import SpikeSettings
from monitor.spikes.watch import bucket_counts, describe, floor_time, metric_value
from monitor.storage.schema import mentions, spike_detectors, spikes

CONTEXT_BUCKETS = 6  # buckets shown before the one explained
MAX_REPLAY = timedelta(days=60)  # history fed for --at (the baseline's memory is days; older adds nothing)


def explain_brand(
    engine: Engine, *, brand: str, settings: SpikeSettings, at: datetime | None, now: datetime
) -> list[str]:
    """The lines to print: per metric, the check that decided and the verdict."""
    lines: list[str] = []
    with engine.connect() as conn:
        for metric in settings.metrics:
            lines.append(f"{brand} / {METRIC_NAMES.get(metric, metric)}:")
            if at is None:
                lines += _latest(conn, brand=brand, metric=metric, settings=settings, now=now)
            else:
                lines += _recomputed(conn, brand=brand, metric=metric, settings=settings, at=at)
    return lines


def _latest(conn: Connection, *, brand: str, metric: str, settings: SpikeSettings, now: datetime) -> list[str]:
    c = spike_detectors.c
    row = conn.execute(
        select(c.last_check, c.history_from, c.alerts_from, c.updated_at).where(c.brand == brand, c.metric == metric)
    ).first()
    if row is None or row.last_check is None:
        return ["  not checked yet: the daemon has not run a spike check with stored posts of this brand"]
    lines = [f"  last check at {row.updated_at:%Y-%m-%d %H:%M} UTC, " + _warmup(row.history_from, row.alerts_from, now)]
    lines.append("  " + describe(_check(row.last_check), settings))
    opened = conn.execute(
        select(spikes.c.opened_at, spikes.c.peak_count)
        .where(spikes.c.brand == brand, spikes.c.metric == metric, spikes.c.status == "open")
        .order_by(spikes.c.opened_at.desc())
    ).first()
    if opened is not None:
        lines.append(f"  a spike is open since {opened.opened_at:%Y-%m-%d %H:%M} UTC (peak {opened.peak_count:g})")
    return lines


def _recomputed(conn: Connection, *, brand: str, metric: str, settings: SpikeSettings, at: datetime) -> list[str]:
    size = settings.bucket
    target = floor_time(at, size)
    c = spike_detectors.c
    learned_from = conn.execute(select(c.history_from).where(c.brand == brand, c.metric == metric)).scalar()
    first = conn.execute(select(func.min(mentions.c.created_at)).where(mentions.c.brand == brand)).scalar()
    if first is None:
        return ["  no stored posts of this brand"]
    start = max(floor_time(learned_from or first, size), target - MAX_REPLAY)
    if target < start:
        return [f"  {target:%Y-%m-%d %H:%M} UTC is before the detector's history (from {start:%Y-%m-%d %H:%M} UTC)"]
    counts = bucket_counts(conn, brand=brand, start=start, end=target + size, size=size)
    detector = SpikeDetector(settings)
    shown: list[Check] = []
    fired: list[tuple[datetime, str]] = []
    bucket = start
    while bucket <= target:
        negative, total = counts.get(bucket, (0, 0))
        for event in detector.observe(bucket, *metric_value(metric, negative, total)):
            fired.append((event.at, f"{event.kind} at {event.at:%Y-%m-%d %H:%M}"))
        if detector.last_check is not None and bucket > target - size * CONTEXT_BUCKETS:
            shown.append(detector.last_check)
        bucket += size
    days = (target + size - start) / timedelta(days=1)
    lines = [
        f"  recomputed from stored posts: {days:.1f} days fed from {start:%Y-%m-%d %H:%M} UTC (counts as stored now)"
    ]
    lines += ["  " + describe(check, settings) for check in shown]
    recent = [text for when, text in fired if when > target - size * CONTEXT_BUCKETS]
    verdict = shown[-1].verdict if shown else "no check"
    lines.append(f"  => {'fired: ' + ', '.join(recent) if recent else 'did not fire'} ({verdict})")
    return lines


def _warmup(history_from: datetime | None, alerts_from: datetime | None, now: datetime) -> str:
    if history_from is None or alerts_from is None:
        return "no history learned yet"
    days = (now - history_from) / timedelta(days=1)
    state = "alerting at full sensitivity" if alerts_from <= now else f"warming up until {alerts_from:%Y-%m-%d %H:%M}"
    return f"{days:.1f} days of history learned (from {history_from:%Y-%m-%d %H:%M} UTC), {state}"


def _check(stored: dict) -> Check:
    return Check(**{**stored, "at": datetime.fromisoformat(stored["at"])})


def explain_command(
    engine: Engine,
    *,
    brand: str,
    brands: list[str],
    settings: SpikeSettings,
    at: datetime | None,
    clock: Callable[[], datetime],
    write: Callable[[str], None],
) -> bool:
    """Print the explanation; False (after saying so) when ``brand`` is not configured."""
    if brand not in brands:
        write(f"brand {brand!r} is not in the config; configured brands: {', '.join(brands) or 'none'}")
        return False
    for line in explain_brand(engine, brand=brand, settings=settings, at=at, now=clock()):
        write(line)
    return True
