"""What /healthz reports: is the scheduler alive, does the database answer, how each source is doing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, RowMapping, select, text

from monitor import health
from monitor.ops import spike_state
from monitor.storage import quarantine
from monitor.storage.error_text import error_text
from monitor.storage.schema import source_health


@dataclass(frozen=True)
class HealthInputs:
    """Everything the check reads; the daemon provides the scheduler's liveness."""

    engine: Engine
    clock: Callable[[], datetime]
    scheduler_alive: Callable[[], bool]
    intervals: Mapping[str, timedelta]  # per enabled source
    stale_after_intervals: float
    instance: str
    polls: Sequence[tuple[str, str]] = ()  # every configured (source, brand): those never polled are "learning"
    jobs: Callable[[], Mapping[str, Any]] = dict  # each job's last success and failures (monitor.ops.job_health)


# A source's status: working, failing or stale, switched off for rejected credentials, or not yet polled to success.
OK, DEGRADED, DISABLED, LEARNING = "ok", "degraded", "disabled", "learning"


def check(inputs: HealthInputs) -> tuple[bool, dict[str, Any]]:
    """(healthy, JSON body). Unhealthy (503) only when this instance cannot work: scheduler or database down.

    A failing, stale or disabled source makes the status "degraded" with a 200:
    restarting the daemon would not fix a platform outage, but the body says what
    is wrong, per (source, brand): its status, last error and quarantined items.
    """
    now = inputs.clock()
    body: dict[str, Any] = {"instance": inputs.instance, "time": now.isoformat()}
    alive = inputs.scheduler_alive()
    body["scheduler"] = {"alive": alive}
    try:
        with inputs.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            rows = conn.execute(select(source_health)).mappings().all()
            held = quarantine.counts(conn)
            detectors = spike_state.read(conn)
        body["database"] = {"reachable": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable", reported in the body
        body["database"] = {"reachable": False, "error": type(exc).__name__}
        rows, held, detectors = [], {}, []
    by_key = {(row["source"], row["brand"]): row for row in rows}
    keys = sorted(set(by_key) | set(inputs.polls))
    sources = []
    for source, brand in keys:
        interval = inputs.intervals.get(source)
        if interval is None:  # no longer configured
            continue
        row = by_key.get((source, brand))
        entry = _source_entry(row, now=now, stale_after=interval * inputs.stale_after_intervals)
        sources.append({"source": source, "brand": brand, **entry, "quarantined": held.get((source, brand), 0)})
    body["sources"] = sources
    body["quarantined"] = sum(held.values())
    body["jobs"] = dict(inputs.jobs())
    # Per brand: history learned and from when the spike detector alerts (a new brand is "learning").
    body["spikes"] = spike_state.health(detectors, brands=sorted({b for _, b in inputs.polls}), now=now)
    healthy = alive and body["database"]["reachable"]
    degraded = any(s["status"] in (DEGRADED, DISABLED) for s in sources)
    degraded |= any(job["consecutive_failures"] for job in body["jobs"].values())
    body["status"] = "failing" if not healthy else "degraded" if degraded else "ok"
    return healthy, body


def source_status(row: RowMapping | None, *, now: datetime, stale_after: timedelta) -> str:
    """``ok``, ``degraded`` (failing, or no success for ``stale_after``), ``disabled`` or ``learning``."""
    if row is None:
        return LEARNING
    if row["disabled_reason"]:
        return DISABLED
    failures = row["consecutive_failures"]
    if failures >= health.FAILURES_BEFORE_REPORT:  # the same threshold at which ops is paged
        return DEGRADED
    last = row["last_success_at"]
    if last is None:
        return LEARNING if not failures else DEGRADED
    return DEGRADED if now - last > stale_after else OK


def _source_entry(row: RowMapping | None, *, now: datetime, stale_after: timedelta) -> dict[str, Any]:
    status = source_status(row, now=now, stale_after=stale_after)
    if row is None:
        return {
            "status": status,
            "ok": True,
            "last_success_at": None,
            "consecutive_failures": 0,
            "disabled": False,
            "last_error": None,
            "problem": None,
        }
    last_error = error_text(row["last_error"], limit=300) if row["last_error"] else None
    problem = row["disabled_reason"] or (row["last_error"] if row["consecutive_failures"] else None)
    last = row["last_success_at"]
    return {
        "status": status,
        "ok": status in (OK, LEARNING),
        "last_success_at": last.isoformat() if last else None,
        "consecutive_failures": row["consecutive_failures"],
        "disabled": bool(row["disabled_reason"]),
        "last_error": last_error,
        "problem": error_text(problem, limit=300) if problem else None,
    }
