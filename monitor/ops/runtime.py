"""Production services around the daemon: the heartbeat and retention jobs, and the /healthz and /metrics endpoint."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from monitor.ops import healthcheck, retention
from monitor.ops.coordination import Coordinator
from monitor.ops.http import ObservabilityServer
from monitor.ops.metrics import Metrics
from monitor.ops.settings import ObservabilitySettings, RetentionSettings
from values.jobs import Interval, Job, Lease, Outcome

log = logging.getLogger(__name__)

HEARTBEAT = timedelta(seconds=10)


class Heartbeat:
    """Proves the scheduler dispatches jobs: the heartbeat job beats, /healthz asks whether the beat is fresh."""

    def __init__(self, coordinator: Coordinator, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.coordinator = coordinator
        self.monotonic = monotonic
        self.last_beat = monotonic()

    def beat(self) -> Outcome:
        """Run by the scheduler: proves a worker thread is free and jobs are being dispatched."""
        self.coordinator.keep_alive()  # re-takes the life lock after a lost connection
        self.last_beat = self.monotonic()
        return Outcome()

    def fresh(self) -> bool:
        """The heartbeat ran within the last three periods."""
        return self.monotonic() - self.last_beat < HEARTBEAT.total_seconds() * 3


def jobs(
    *,
    heartbeat: Heartbeat,
    engine: Engine,
    retention_settings: RetentionSettings,
    clock: Callable[[], datetime],
    should_stop: Callable[[], bool],
    sleep: Callable[[float], None],
    envelopes: bool = False,
) -> list[Job]:
    """The operations jobs: the heartbeat on every instance, retention on one at a time.

    Retention runs when it is configured, or with ``envelopes`` (Slack Socket Mode is on): the
    envelope ids kept against Slack's re-sends are pruned by the same job, whatever [retention] keeps.
    """
    rows = [
        Job(
            "heartbeat",
            Interval(HEARTBEAT, first_after=HEARTBEAT),
            heartbeat.beat,
            lease=Lease.per_instance(),
            in_once=False,
        )
    ]
    if retention_settings.enabled or envelopes:

        def prune() -> Outcome:
            report = retention.prune(engine, retention_settings, clock=clock, should_stop=should_stop, sleep=sleep)
            counts = {"pruned_posts": report.posts, "pruned_outbox": report.outbox}
            return Outcome(counts={**counts, "pruned_quarantine": report.quarantine})

        every = retention_settings.interval
        rows.append(Job("retention", Interval(every, first_after=every), prune, lease=Lease.singleton(), in_once=False))
    return rows


def start_endpoint(
    settings: ObservabilitySettings,
    *,
    engine: Engine,
    metrics: Metrics,
    clock: Callable[[], datetime],
    instance: str,
    intervals: dict[str, timedelta],
    polls: Sequence[tuple[str, str]],
    scheduler_alive: Callable[[], bool],
    jobs_report: Callable[[], dict[str, Any]],
) -> ObservabilityServer | None:
    """Serve /healthz and /metrics when ``[observability] listen`` is set; None otherwise."""
    if settings.address is None:
        return None
    inputs = healthcheck.HealthInputs(
        engine=engine,
        clock=clock,
        scheduler_alive=scheduler_alive,
        intervals=intervals,
        stale_after_intervals=settings.stale_after_intervals,
        instance=instance,
        polls=polls,
        jobs=jobs_report,
    )
    server = ObservabilityServer(settings.address, registry=metrics.registry, health=lambda: healthcheck.check(inputs))
    return server.start()
