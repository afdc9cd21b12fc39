"""A job of the daemon as plain data: its name, when it runs, who may run it, what it runs, whom it wakes.

The features (spikes, replies, digest, ops) describe their jobs with these
types; ``monitor/jobs.py`` gathers them into the one table that the daemon
(APScheduler), ``run --once`` and the tests' manual clock all walk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

_NO_COUNTS: Mapping[str, int] = MappingProxyType({})

# The core jobs' names, for the features' jobs to wake.
CLASSIFY = "classify"
DELIVER = "deliver"  # drains the outbox: whatever queues an alert wakes it
SPIKES = "spikes"  # newly classified posts may be a burst's (late) posts: the spike check runs at once


@dataclass(frozen=True, slots=True)
class Interval:
    """Every ``every``; the first run ``first_after`` the start (at once by default)."""

    every: timedelta
    first_after: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if self.every <= timedelta(0):
            raise ValueError(f"an interval must be positive, not {self.every}")
        if self.first_after < timedelta(0):
            raise ValueError(f"the first run cannot be before the start ({self.first_after})")


@dataclass(frozen=True, slots=True)
class Cron:
    """Once a day at ``hour:minute:second`` wall-clock time in ``zone`` (so it follows DST changes)."""

    hour: int
    minute: int
    second: int
    zone: ZoneInfo


Trigger = Interval | Cron


@dataclass(frozen=True, slots=True)
class Lease:
    """Who may run a job when several instances share one database.

    ``exclusive``: one instance at a time owns the job (a lease named after the
    job, renewed on every run, taken over when it runs out after ``ttl``;
    ``None``: derived from the job's interval). Otherwise every instance runs it
    (it claims its rows itself, or it is about this instance, like the heartbeat).
    """

    exclusive: bool
    ttl: timedelta | None = None

    @classmethod
    def singleton(cls, ttl: timedelta | None = None) -> Lease:
        """One instance at a time runs the job."""
        return cls(exclusive=True, ttl=ttl)

    @classmethod
    def per_instance(cls) -> Lease:
        """Every instance runs the job."""
        return cls(exclusive=False)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run of a job did.

    ``changed``: it queued or stored something, so the jobs it wakes should run
    now. ``counts`` add up over runs (posts fetched, alerts sent); ``gauges`` are
    the latest reading (the outbox backlog), for ``run --once``'s summary.
    """

    changed: bool = False
    counts: Mapping[str, int] = field(default_factory=lambda: _NO_COUNTS)
    gauges: Mapping[str, int] = field(default_factory=lambda: _NO_COUNTS)


@dataclass(frozen=True, slots=True)
class Job:
    """One row of the daemon's job table."""

    name: str
    trigger: Trigger
    run: Callable[[], Outcome]
    lease: Lease = Lease(exclusive=False)
    wakes: tuple[str, ...] = ()  # jobs to run at once when this one changed something
    in_once: bool = True  # part of `run --once` (the scheduled-only jobs: digest, heartbeat, retention)

    def __post_init__(self) -> None:
        if self.lease.exclusive and self.lease.ttl is None and not isinstance(self.trigger, Interval):
            raise ValueError(f"job {self.name}: a singleton on a cron trigger needs an explicit lease ttl")
