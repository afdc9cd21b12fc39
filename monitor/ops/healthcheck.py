"""What /healthz reports: is the scheduler alive, does the database answer, when did each source last succeed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, text

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
    jobs: Callable[[], Mapping[str, Any]] = dict  # each job's last success and failures (monitor.ops.job_health)


def check(inputs: HealthInputs) -> tuple[bool, dict[str, Any]]:
    """(healthy, JSON body). Unhealthy (503) only when this instance cannot work: scheduler or database down.

    A failing or silent source makes the status "degraded" with a 200: restarting
    the daemon would not fix a platform outage, but the body says what is wrong.
    """
    now = inputs.clock()
    body: dict[str, Any] = {"instance": inputs.instance, "time": now.isoformat()}
    alive = inputs.scheduler_alive()
    body["scheduler"] = {"alive": alive}
    try:
        with inputs.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            rows = conn.execute(select(source_health)).mappings().all()
        body["database"] = {"reachable": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable", reported in the body
        body["database"] = {"reachable": False, "error": type(exc).__name__}
        rows = []
    sources = []
    degraded = False
    for row in rows:
        interval = inputs.intervals.get(row["source"])
        if interval is None:  # no longer configured
            continue
        last = row["last_success_at"]
        stale = last is None or now - last > interval * inputs.stale_after_intervals
        problem = row["disabled_reason"] or (row["last_error"] if row["consecutive_failures"] else None)
        ok = not stale and not row["disabled_reason"]
        degraded |= not ok
        sources.append({
            "source": row["source"],
            "brand": row["brand"],
            "ok": ok,
            "last_success_at": last.isoformat() if last else None,
            "consecutive_failures": row["consecutive_failures"],
            "disabled": bool(row["disabled_reason"]),
            "problem": problem[:300] if problem else None,
        })
    body["sources"] = sources
    body["jobs"] = dict(inputs.jobs())
    degraded |= any(job["consecutive_failures"] for job in body["jobs"].values())
    healthy = alive and body["database"]["reachable"]
    body["status"] = "failing" if not healthy else "degraded" if degraded else "ok"
    return healthy, body
