"""The daemon: the job table (``monitor.jobs``) on APScheduler, until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.app import App
from monitor.jobs import cron_trigger, first_run, guarded, table
from monitor.ops.http import ObservabilityServer
from monitor.ops.runtime import start_endpoint
from values.jobs import DELIVER, Interval, Job

log = logging.getLogger(__name__)


class Daemon:
    """Runs the app's job table on a schedule until SIGTERM or SIGINT."""

    def __init__(self, app: App, *, jobs: Sequence[Job] | None = None) -> None:
        self.app = app
        self.jobs = list(jobs) if jobs is not None else table(app)
        self.scheduler = BackgroundScheduler(
            timezone=app.config.schedule.tz,
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            # One run of a job at a time; a backlog of missed runs collapses into one.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        self.server: ObservabilityServer | None = None
        # Jobs in flight. shutdown(wait=True) holds the job-store lock while it waits for them, and a job
        # waking another (modify_job) needs that lock: so wait for them first, then shut down.
        self._in_flight = 0
        self._idle = threading.Condition()

    def add_jobs(self) -> None:
        """Put every row of the job table on the scheduler."""
        now = self.app.clock()
        for job in self.jobs:
            trigger = job.trigger
            if isinstance(trigger, Interval):
                scheduled = IntervalTrigger(seconds=trigger.every.total_seconds(), timezone=self.app.config.schedule.tz)
            else:
                scheduled = cron_trigger(trigger)
            self.scheduler.add_job(self._guard(job), scheduled, id=job.name, next_run_time=first_run(trigger, now))

    def alive(self) -> bool:
        """The scheduler runs and dispatched the heartbeat recently (for /healthz)."""
        return bool(self.scheduler.running) and self.app.heartbeat.fresh()

    def start_endpoint(self) -> ObservabilityServer | None:
        """Serve /healthz and /metrics if ``[observability] listen`` is set."""
        app = self.app
        self.server = start_endpoint(
            app.config.observability,
            engine=app.engine,
            metrics=app.metrics,
            clock=app.clock,
            instance=app.coordinator.holder,
            intervals={name: s.interval for name, s in app.config.enabled_sources().items()},
            polls=app.polls(),
            scheduler_alive=self.alive,
            jobs_report=app.job_health.report,
        )
        return self.server

    def run(self) -> None:
        """Start the scheduler and block until asked to stop; then finish cleanly."""
        stop = self.app.stop
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start_endpoint()
            self.add_jobs()
            self.scheduler.start()
            self.start_interactions()
            log.info("brand-monitor running: %d jobs, %d of them polls", len(self.jobs), len(self.app.polls()))
            while not stop.wait(1.0):
                pass
            log.info("stopping: finishing the current batch")
        finally:
            self.stop_interactions()
            self.wait_for_jobs()
            if self.scheduler.running:
                self.scheduler.shutdown(wait=True)
            if self.server is not None:
                self.server.close()
            self.app.coordinator.release_all()  # hand this instance's leases to the others at once
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.app.engine.dispose()
            log.info("stopped")

    def wait_for_jobs(self, timeout: float = 120) -> None:
        """Wait for the jobs in flight to finish (call after setting the stop flag, before shutdown)."""
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    def start_interactions(self) -> None:
        """Connect the Slack Socket Mode listener (buttons, reactions), if configured; a change wakes delivery."""
        if self.app.interactions is not None:
            self.app.interactions.on_change = lambda: self._wake(DELIVER)
            self.app.interactions.start()

    def stop_interactions(self) -> None:
        """Close the Socket Mode listener."""
        if self.app.interactions is not None:
            self.app.interactions.stop()

    def _wake(self, job_id: str) -> None:
        if self.app.stop.is_set():
            return
        try:
            self.scheduler.modify_job(job_id, next_run_time=self.app.clock())
        except Exception:  # noqa: BLE001 - the job may be gone during shutdown
            log.debug("could not wake job %s", job_id)

    def _guard(self, job: Job) -> Callable[[], None]:
        """The job as the scheduler runs it: not once stopping, counted in flight, waking what it names."""

        def run() -> None:
            with self._idle:
                if self.app.stop.is_set():
                    return
                self._in_flight += 1
            try:
                outcome = guarded(self.app, job)
                if outcome is not None and outcome.changed:
                    for name in job.wakes:
                        self._wake(name)
            finally:
                with self._idle:
                    self._in_flight -= 1
                    self._idle.notify_all()

        run.__name__ = f"job_{job.name}"
        return run


def install_stop_handlers(app: App) -> None:
    """SIGTERM/SIGINT set the app's stop flag (used by `run --once`)."""
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: app.stop.set())
