"""Production services around the daemon: heartbeat, retention job, /healthz and /metrics, lease release."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from monitor.ops import healthcheck, retention
from monitor.ops.coordination import lease_ttl
from monitor.ops.http import ObservabilityServer

if TYPE_CHECKING:
    from monitor.daemon import Daemon

log = logging.getLogger(__name__)

HEARTBEAT = timedelta(seconds=10)


@dataclass
class Services:
    """What :func:`attach` started; ``close()`` stops it at shutdown."""

    daemon: Daemon
    server: ObservabilityServer | None = None
    last_beat: float = field(default_factory=time.monotonic)

    def beat(self) -> None:
        """Run by the scheduler: proves a worker thread is free and the scheduler is dispatching."""
        self.daemon.app.coordinator.keep_alive()  # re-takes the life lock after a lost connection
        self.last_beat = time.monotonic()

    def scheduler_alive(self) -> bool:
        """The scheduler runs and dispatched the heartbeat recently."""
        fresh = time.monotonic() - self.last_beat < HEARTBEAT.total_seconds() * 3
        return bool(self.daemon.scheduler.running) and fresh

    def close(self) -> None:
        """Stop the endpoint and hand this instance's leases to the others."""
        if self.server is not None:
            self.server.close()
        self.daemon.app.coordinator.release_all()


def attach(daemon: Daemon) -> Services:
    """Add the heartbeat and retention jobs to ``daemon`` and start the endpoint if configured."""
    app = daemon.app
    config = app.config
    services = Services(daemon)
    jobs: list[tuple[str, Any, dict[str, Any]]] = [
        ("heartbeat", services.beat, {"trigger": "interval", "seconds": HEARTBEAT.total_seconds()}),
    ]
    # Socket Mode's envelope ids are pruned by the same job, whatever [retention] keeps.
    if config.retention.enabled or app.interactions is not None:
        jobs.append((
            "retention",
            lambda: run_retention(daemon),
            {"trigger": "interval", "seconds": config.retention.interval.total_seconds()},
        ))
    daemon._extra_jobs.extend(jobs)
    address = config.observability.address
    if address is not None:
        inputs = healthcheck.HealthInputs(
            engine=app.engine,
            clock=app.clock,
            scheduler_alive=services.scheduler_alive,
            intervals={name: s.interval for name, s in config.enabled_sources().items()},
            stale_after_intervals=config.observability.stale_after_intervals,
            instance=app.coordinator.holder,
            polls=app.polls(),
        )
        services.server = ObservabilityServer(
            address, registry=app.metrics.registry, health=lambda: healthcheck.check(inputs)
        ).start()
    return services


def run_retention(daemon: Daemon) -> retention.PruneReport | None:
    """One pruning run, by one instance at a time."""
    app = daemon.app
    settings = app.config.retention
    with app.coordinator.exclusive("retention", ttl=lease_ttl(settings.interval)) as mine:
        if not mine:
            return None
        return retention.prune(app.engine, settings, clock=app.clock, should_stop=app.stop.is_set)
