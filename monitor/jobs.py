"""The daemon's jobs as one table: the map of what the daemon does, when, where, and what wakes what.

Each row (``values.jobs.Job``) names a job, its trigger, its lease, what it runs and
which jobs it wakes when it changed something. Three runners walk this table and
nothing else: the daemon (``monitor.daemon``, APScheduler), ``run --once``
(``monitor.once``) and the manual clock of tests and benchmarks (``monitor.manual``).

====================  ==========================  ============  ===============  ====
job                   trigger                     lease         wakes            once
====================  ==========================  ============  ===============  ====
poll:SOURCE:BRAND     the source's ``interval``   singleton     classify         yes
classify              ``classify_interval``       per instance  deliver, spikes  yes
spikes                ``spike_check_interval``    singleton     deliver          yes
replies (if on)       ``reply_check_interval``    singleton     deliver          yes
digest (if on)        cron at ``digest_time``     per instance  deliver          no
digest-check (if on)  every 30 s                  per instance  deliver          no
deliver               ``deliver_interval``        per instance  deliver          yes
heartbeat             every 10 s                  per instance                   no
retention (if set)    ``[retention] interval``    singleton                      no
====================  ==========================  ============  ===============  ====

Rows run in this order when they fall due at the same time (and in ``run --once``).
Classification and delivery need no lease: they claim rows with ``SKIP LOCKED``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from apscheduler.triggers.cron import CronTrigger

from models.base import ModelLoadError
from monitor.app import App
from monitor.ops import runtime
from monitor.ops.coordination import lease_ttl
from values.jobs import CLASSIFY, DELIVER, SPIKES, Cron, Interval, Job, Lease, Outcome, Trigger

log = logging.getLogger(__name__)

# How far apart the first polls of one platform's brands start, so they don't fire together.
POLL_SPREAD = timedelta(seconds=2)


def table(app: App) -> list[Job]:
    """Every job of ``app``, in the order they run when due at the same time."""
    schedule = app.config.schedule
    rows = [*_polls(app), _classify(app, every=schedule.classify_interval)]
    rows.append(app.spikes.job(every=schedule.spike_check_interval))
    if app.replies is not None:
        rows.append(app.replies.job(every=schedule.reply_check_interval))
    if app.digest is not None and app.config.digest.enabled:
        rows.extend(app.digest.jobs())
    rows.append(_deliver(app, every=schedule.deliver_interval))
    rows.extend(
        runtime.jobs(
            heartbeat=app.heartbeat,
            engine=app.engine,
            retention_settings=app.config.retention,
            clock=app.clock,
            should_stop=app.stop.is_set,
            sleep=app.sleep,
            envelopes=app.interactions is not None,
        )
    )
    check(rows)
    return rows


def check(rows: list[Job]) -> None:
    """Refuse a table with two jobs of one name or a wake-up of a job that is not in it."""
    names = [job.name for job in rows]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise ValueError(f"two jobs named {doubled}")
    unknown = sorted({w for job in rows for w in job.wakes} - set(names))
    if unknown:
        raise ValueError(f"jobs wake {unknown}, which are not in the table")


def execute(app: App, job: Job) -> Outcome | None:
    """Run ``job`` under its lease; None when another instance owns it now. Failures propagate."""
    if not job.lease.exclusive:
        return job.run()
    with app.coordinator.exclusive(job.name, ttl=_lease_ttl(job)) as mine:
        if not mine:
            log.debug("job %s: another instance owns it", job.name)
            return None
        return job.run()


def guarded(app: App, job: Job) -> Outcome | None:
    """Run ``job`` under its lease; a failure is logged, counted, remembered for /healthz, and never raised."""
    try:
        outcome = execute(app, job)
    except ModelLoadError as exc:
        app.metrics.error("model_load")
        app.job_health.failed(job.name, exc, at=app.clock())
        log.error("job %s: %s", job.name, exc)
        return None
    except Exception as exc:
        app.metrics.error("job_failed")
        app.job_health.failed(job.name, exc, at=app.clock())
        log.exception("job %s failed; it will run again at its next time", job.name)
        return None
    if outcome is not None:
        app.job_health.succeeded(job.name, at=app.clock())
    return outcome


# -- when jobs run: shared by the daemon and the manual clock, so both fire at the same instants ----------------


def first_run(trigger: Trigger, start: datetime) -> datetime:
    """When a job with ``trigger`` first runs, for a runner started at ``start``."""
    if isinstance(trigger, Interval):
        return start + trigger.first_after
    return _next_cron(trigger, start - timedelta(microseconds=1))


def next_run(trigger: Trigger, after: datetime) -> datetime:
    """The trigger's first time strictly after ``after`` (a run at ``after`` just happened)."""
    if isinstance(trigger, Interval):
        return after + trigger.every
    return _next_cron(trigger, after)


def cron_trigger(cron: Cron) -> CronTrigger:
    """The APScheduler trigger of ``cron``: wall-clock time in its zone, across DST changes."""
    return CronTrigger(hour=cron.hour, minute=cron.minute, second=cron.second, timezone=cron.zone)


def _next_cron(cron: Cron, after: datetime) -> datetime:
    fire = cron_trigger(cron).get_next_fire_time(None, after + timedelta(microseconds=1))
    assert fire is not None  # a daily time always comes again
    return fire


def _lease_ttl(job: Job) -> timedelta:
    if job.lease.ttl is not None:
        return job.lease.ttl
    assert isinstance(job.trigger, Interval)  # Job refuses a cron singleton without a ttl
    return lease_ttl(job.trigger.every)


# -- the core rows: polls, classification, delivery -------------------------------------------------------------


def _polls(app: App) -> list[Job]:
    rows = []
    sources = app.config.enabled_sources()
    for index, (source, brand) in enumerate(app.polls()):
        every = sources[source].interval
        first = min(POLL_SPREAD * index, every / 2)
        rows.append(
            Job(
                f"poll:{source}:{brand}",
                Interval(every, first_after=first),
                partial(_poll, app, source, brand),
                lease=Lease.singleton(),  # one instance polls a query, so a platform is not asked twice as often
                wakes=(CLASSIFY,),
            )
        )
    return rows


def _poll(app: App, source: str, brand: str) -> Outcome:
    result = app.pipeline.poll(source, app.connectors[source], app.config.brand(brand))
    if result.skipped_reason:
        log.info("source %s (%s) not polled: %s", source, brand, result.skipped_reason)
    counts = {"fetched": result.fetched, "new_posts": result.new_posts, "quarantined": result.quarantined}
    return Outcome(changed=result.new_posts > 0, counts={**counts, "failed_polls": int(result.error is not None)})


def _classify(app: App, *, every: timedelta) -> Job:
    def run() -> Outcome:
        done = app.pipeline.classify_pending(should_stop=app.stop.is_set)
        return Outcome(changed=done > 0, counts={"classified": done})

    # New labels change spike counts: the check runs at once, so a burst (even one whose posts came late)
    # alerts within a poll of its posts' arrival rather than a spike interval later.
    return Job(CLASSIFY, Interval(every), run, lease=Lease.per_instance(), wakes=(DELIVER, SPIKES))


def _deliver(app: App, *, every: timedelta) -> Job:
    def run() -> Outcome:
        report = app.delivery.run_once(should_stop=app.stop.is_set)
        # More may be due (a burst beyond one pass, retries just settled): go again at once, paced per channel.
        return Outcome(
            changed=bool(report.sent or report.reconciled),
            counts={"sent": report.sent},
            gauges={"undelivered": report.waiting},
        )

    return Job(DELIVER, Interval(every), run, lease=Lease.per_instance(), wakes=(DELIVER,))
