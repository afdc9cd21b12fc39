"""``run --once``: every due job of the table once, in order, then hand the leases over and exit."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from monitor.app import App
from monitor.jobs import execute, table
from values.jobs import Outcome

log = logging.getLogger(__name__)

# How long a job that wakes itself (delivery, draining the outbox) keeps going before leaving the rest queued.
ONCE_BUDGET = timedelta(seconds=60)
# Always in the summary, even at zero (the demo prints them).
TOTALS = ("fetched", "new_posts", "quarantined", "failed_polls", "classified", "spike_events", "sent", "undelivered")


def run_once(app: App, *, monotonic: Callable[[], float] = time.monotonic) -> dict[str, int]:
    """Run every ``in_once`` job of the table once, in order; returns what they did, summed.

    A job that wakes itself runs again while it changes something, within
    ``ONCE_BUDGET``: delivery drains what is due now (retries scheduled later stay
    queued). A failure is not swallowed: a one-shot run that failed must say so.
    """
    totals = dict.fromkeys(TOTALS, 0)
    try:
        for job in table(app):
            if not job.in_once:
                continue
            deadline = monotonic() + ONCE_BUDGET.total_seconds()
            while not app.stop.is_set():
                outcome = execute(app, job)
                if outcome is None:
                    log.info("job %s not run: another instance owns it", job.name)
                    break
                _add(totals, outcome)
                if not (outcome.changed and job.name in job.wakes) or monotonic() > deadline:
                    break
    finally:
        # A one-shot run is a clean stop: hand its leases over at once rather than at their expiry
        # (a cron of `run --once` on several machines would otherwise skip each other's slow sources).
        app.coordinator.release_all()
    return totals


def _add(totals: dict[str, int], outcome: Outcome) -> None:
    for name, value in outcome.counts.items():
        totals[name] = totals.get(name, 0) + value
    totals.update(outcome.gauges)
