"""The scheduled daemon (APScheduler) and the one-shot run used by ``run --once``."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from models.base import ModelLoadError
from monitor.bootstrap import App
from monitor.ops.coordination import lease_ttl

log = logging.getLogger(__name__)

# How long `run --once` keeps delivering before leaving the rest queued in the outbox.
ONCE_DELIVERY_BUDGET = timedelta(seconds=60)


def run_once(app: App) -> dict[str, int]:
    """Run every due job once, in order, and deliver what it raised; returns counts."""
    try:
        return _run_each_job(app)
    finally:
        # A one-shot run is a clean stop: hand its leases over at once rather than at their expiry
        # (a cron of `run --once` on several machines would otherwise skip each other's slow sources).
        app.coordinator.release_all()


def _run_each_job(app: App) -> dict[str, int]:
    totals = {"fetched": 0, "new_posts": 0, "classified": 0, "spike_events": 0, "sent": 0, "undelivered": 0}
    for source, brand in app.polls():
        if app.stop.is_set():
            break
        result = poll_exclusive(app, source, brand)
        if result is None:
            log.info("source %s (%s) not polled: another instance owns it", source, brand)
            continue
        totals["fetched"] += result.fetched
        totals["new_posts"] += result.new_posts
        if result.skipped_reason:
            log.info("source %s (%s) not polled: %s", source, brand, result.skipped_reason)
    if not app.stop.is_set():
        totals["classified"] = app.pipeline.classify_pending(should_stop=app.stop.is_set)
    if not app.stop.is_set():
        totals["spike_events"] = sum(len(r.events) for r in spikes_exclusive(app))
    if app.replies is not None and not app.stop.is_set():
        report = replies_exclusive(app)
        if report is not None:
            totals["reply_timers"] = report.reminded + report.escalated + report.replied + report.unsnoozed
    totals["sent"], totals["undelivered"] = _drain(app)
    return totals


def poll_exclusive(app: App, source: str, brand: str):  # type: ignore[no-untyped-def]
    """Poll (source, brand) unless another instance owns that job; None when it was not ours."""
    ttl = lease_ttl(app.config.enabled_sources()[source].interval)
    with app.coordinator.exclusive(f"poll:{source}:{brand}", ttl=ttl) as mine:
        if not mine:
            return None
        return app.pipeline.poll(source, app.connectors[source], app.config.brand(brand))


def spikes_exclusive(app: App) -> list[Any]:
    """The spike check, by one instance at a time (its detectors' state is shared)."""
    with app.coordinator.exclusive("spikes", ttl=lease_ttl(app.config.schedule.spike_check_interval)) as mine:
        return app.spikes.check() if mine else []


def replies_exclusive(app: App):  # type: ignore[no-untyped-def]
    """The reply timers, by one instance at a time (their outbox keys already make a double send impossible;
    this also keeps two instances from editing the same alert twice); None when another instance has them."""
    assert app.replies is not None
    with app.coordinator.exclusive("replies", ttl=lease_ttl(app.config.schedule.reply_check_interval)) as mine:
        return app.replies.check() if mine else None


def _drain(app: App) -> tuple[int, int]:
    """Deliver until nothing is due now (retries scheduled later stay queued), within a time budget."""
    deadline = time.monotonic() + ONCE_DELIVERY_BUDGET.total_seconds()
    sent = 0
    while not app.stop.is_set():
        report = app.delivery.run_once(should_stop=app.stop.is_set)
        sent += report.sent
        if (report.sent == 0 and report.reconciled == 0) or time.monotonic() > deadline:
            return sent, report.waiting
    return sent, -1


class Daemon:
    """Runs the app's jobs on a schedule until SIGTERM or SIGINT."""

    def __init__(self, app: App, *, extra_jobs: list[tuple[str, Callable[[], Any], dict[str, Any]]] | None = None):
        self.app = app
        self.scheduler = BackgroundScheduler(
            timezone=app.config.schedule.tz,
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            # One run of a job at a time; a backlog of missed runs collapses into one.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        self._extra_jobs = extra_jobs or []
        # Jobs in flight. shutdown(wait=True) holds the job-store lock while it waits for them, and a job
        # waking another (modify_job) needs that lock: so wait for them first, then shut down.
        self._in_flight = 0
        self._idle = threading.Condition()

    def add_jobs(self) -> None:
        """Register every job: polls per (source, brand), classify, deliver, and the extra ones."""
        config = self.app.config
        now = self.app.clock()
        for index, (source, brand) in enumerate(self.app.polls()):
            interval = config.enabled_sources()[source].interval
            self.scheduler.add_job(
                self._guard(f"poll {source}/{brand}", self._poll, source, brand),
                "interval",
                seconds=interval.total_seconds(),
                id=f"poll:{source}:{brand}",
                # Spread first polls a little so brands of one platform don't fire together.
                next_run_time=now + timedelta(seconds=min(index * 2, interval.total_seconds() / 2)),
            )
        self.scheduler.add_job(
            self._guard("classify", self._classify),
            "interval",
            seconds=config.schedule.classify_interval.total_seconds(),
            id="classify",
            next_run_time=now,
        )
        self.scheduler.add_job(
            self._guard("deliver", self._deliver),
            "interval",
            seconds=config.schedule.deliver_interval.total_seconds(),
            id="deliver",
            next_run_time=now,
        )
        self.scheduler.add_job(
            self._guard("spikes", self._spikes),
            "interval",
            seconds=config.schedule.spike_check_interval.total_seconds(),
            id="spikes",
            next_run_time=now,
        )
        if self.app.replies is not None:
            self.scheduler.add_job(
                self._guard("replies", self._replies),
                "interval",
                seconds=config.schedule.reply_check_interval.total_seconds(),
                id="replies",
                next_run_time=now,
            )
        if self.app.digest is not None and config.digest.enabled:
            for job_id, func, trigger in self.app.digest.jobs(wake=lambda: self._wake("deliver")):
                self.scheduler.add_job(self._guard(job_id, func), id=job_id, **trigger)
        for job_id, func, trigger in self._extra_jobs:
            self.scheduler.add_job(self._guard(job_id, func), id=job_id, **trigger)

    def run(self) -> None:
        """Start the scheduler and block until asked to stop; then finish cleanly."""
        stop = self.app.stop
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
        from monitor.ops.runtime import attach

        services = None
        try:
            services = attach(self)
            self.add_jobs()
            self.scheduler.start()
            self.start_interactions()
            log.info("brand-monitor running: %d poll jobs", len(self.app.polls()))
            while not stop.wait(1.0):
                pass
            log.info("stopping: finishing the current batch")
        finally:
            self.stop_interactions()
            with self._idle:
                self._idle.wait_for(lambda: self._in_flight == 0, timeout=120)
            if self.scheduler.running:
                self.scheduler.shutdown(wait=True)
            if services is not None:
                services.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.app.engine.dispose()
            log.info("stopped")

    def start_interactions(self) -> None:
        """Connect the Slack Socket Mode listener (buttons, reactions), if configured; a change wakes delivery."""
        if self.app.interactions is not None:
            self.app.interactions.on_change = lambda: self._wake("deliver")
            self.app.interactions.start()

    def stop_interactions(self) -> None:
        """Close the Socket Mode listener."""
        if self.app.interactions is not None:
            self.app.interactions.stop()

    def _poll(self, source: str, brand: str) -> None:
        result = poll_exclusive(self.app, source, brand)
        if result is not None and result.new_posts:
            self._wake("classify")

    def _classify(self) -> None:
        if self.app.pipeline.classify_pending(should_stop=self.app.stop.is_set):
            self._wake("deliver")

    def _spikes(self) -> None:
        if any(result.events for result in spikes_exclusive(self.app)):
            self._wake("deliver")

    def _replies(self) -> None:
        report = replies_exclusive(self.app) if self.app.replies is not None else None
        if report is not None and report.changed:
            self._wake("deliver")

    def _deliver(self) -> None:
        report = self.app.delivery.run_once(should_stop=self.app.stop.is_set)
        if report.sent and not self.app.stop.is_set():
            self._wake("deliver")  # more may be due; the per-channel pace keeps Slack happy

    def _wake(self, job_id: str) -> None:
        if self.app.stop.is_set():
            return
        try:
            self.scheduler.modify_job(job_id, next_run_time=self.app.clock())
        except Exception:  # noqa: BLE001 - the job may be gone during shutdown
            log.debug("could not wake job %s", job_id)

    def _guard(self, name: str, func: Callable[..., Any], *args: Any) -> Callable[[], None]:
        """Wrap a job so its failure is logged and never kills the daemon."""

        def job() -> None:
            with self._idle:
                if self.app.stop.is_set():
                    return
                self._in_flight += 1
            try:
                func(*args)
            except ModelLoadError as exc:
                self.app.metrics.error("model_load")
                log.error("job %s: %s", name, exc)
            except Exception:
                self.app.metrics.error("job_failed")
                log.exception("job %s failed; it will run again at its next time", name)
            finally:
                with self._idle:
                    self._in_flight -= 1
                    self._idle.notify_all()

        job.__name__ = f"job_{name}"
        return job


def install_stop_handlers(app: App) -> None:
    """SIGTERM/SIGINT set the app's stop flag (used by `run --once`)."""
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: app.stop.set())
