"""The daemon's schedule on a manual clock: ``advance()`` runs every job that falls due, in time order.

Tests (and benchmarks) use it to let hours pass in milliseconds: SLA reminders,
spike checks, the digest across a DST change, retention, a source's back-off.
It walks the same job table as the daemon, with the same guard and leases, and
fires at the same instants (``monitor.jobs.first_run`` / ``next_run``). Paced work
waits through the clock: bootstrap the app with ``sleep=clock.sleep``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from monitor.app import App
from monitor.clock import ManualClock
from monitor.jobs import first_run, guarded, next_run, table
from values.jobs import Job, Outcome

# Runs at one instant beyond which a job that keeps waking itself is a bug, not a busy outbox.
MAX_RUNS_PER_INSTANT = 10_000


class ManualRunner:
    """Runs ``app``'s jobs as the daemon would, while its manual clock is advanced by hand."""

    def __init__(self, app: App, *, jobs: Sequence[Job] | None = None) -> None:
        if not isinstance(app.clock, ManualClock):
            raise TypeError("the manual runner drives a ManualClock: bootstrap the app with clock=ManualClock(...)")
        self.app = app
        self.clock: ManualClock = app.clock
        self.jobs = list(jobs) if jobs is not None else table(app)
        start = self.clock()
        self._due = {job.name: first_run(job.trigger, start) for job in self.jobs}
        self.runs: list[tuple[datetime, str, Outcome | None]] = []  # every run: when, which job, what it did

    def next_run(self, name: str) -> datetime:
        """When job ``name`` runs next."""
        return self._due[name]

    def wake(self, name: str) -> None:
        """Run job ``name`` at the current instant (what the daemon does when something changed: Slack
        buttons wake delivery), at the next ``advance()``."""
        self._due[name] = min(self._due[name], self.clock())

    def advance(self, delta: timedelta | None = None, /, **parts: float) -> list[str]:
        """Move the clock forward, running every job that falls due on the way; returns the jobs run, in order.

        Jobs run at their due time, earliest first (ties in table order). A job
        whose time passed while another ran (a paced delivery) runs once, at
        once, for all its missed times (APScheduler's coalescing). A job that
        changed something wakes the jobs it names: they run at the same instant.
        """
        until = self.clock() + (delta or timedelta(0)) + timedelta(**parts)
        ran: list[str] = []
        at_instant, instant = 0, self.clock()
        while True:
            job = self._earliest()
            if job is None or self._due[job.name] > until:
                break
            due = self._due[job.name]
            if due > self.clock():
                self.clock.advance(due - self.clock())
            now = self.clock()
            at_instant = at_instant + 1 if now == instant else 1
            instant = now
            if at_instant > MAX_RUNS_PER_INSTANT:
                raise RuntimeError(f"job {job.name} keeps running at {now}: something wakes it without end")
            outcome = guarded(self.app, job)
            self.runs.append((now, job.name, outcome))
            ran.append(job.name)
            self._due[job.name] = next_run(job.trigger, _latest_missed(job, due, now))
            if outcome is not None and outcome.changed:
                for name in job.wakes:
                    self.wake(name)
        if self.clock() < until:
            self.clock.advance(until - self.clock())
        return ran

    def _earliest(self) -> Job | None:
        # min() keeps the first of equals: ties run in table order.
        return min(self.jobs, key=lambda job: self._due[job.name], default=None)


def _latest_missed(job: Job, due: datetime, now: datetime) -> datetime:
    """The last of the job's run times up to ``now``: the schedule goes on from there (missed runs coalesce)."""
    while (following := next_run(job.trigger, due)) <= now:
        due = following
    return due
