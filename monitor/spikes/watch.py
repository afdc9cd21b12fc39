"""The daemon side of spike detection: feed each brand's counts to its detector, bucket by bucket, in event time.

Buckets are counted by the posts' ``created_at``. Posts arrive late (sources polled every
30 minutes, X's budget throttling, a catch-up after an outage, platforms that index with a
delay), so a bucket stays open to them for ``[spikes] lateness``. Per (brand, metric) the
``spike_detectors`` row keeps the detector's state *checkpointed at the last final bucket*
(older than the lateness): every check feeds the buckets that became final to that state
once, then replays the still-open buckets on a copy of it. Late posts change the replay,
never the checkpoint, so nothing is counted twice. The events a replay produced that were
already acted on are remembered in the row (``provisional``) and not acted on again.

Opening and growth act on the replay at once: an early warning must not wait for stragglers.
An all-clear (``resolved``) waits until its bucket is ``settle`` old (the slowest source has
polled past it), so late posts cannot make us call a crisis over that is not.

Everything a check does is saved in one transaction with the spike rows and outbox messages
its events cause, so a crash replays nothing twice and misses nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select

from monitor.spikes.detector import Check, SpikeDetector, SpikeEvent
from monitor.spikes.record import IncidentHook, record
from monitor.spikes.settings import SpikeSettings
from monitor.storage.buckets import epoch_bucket
from monitor.storage.schema import mentions, spike_detectors
from monitor.storage.upsert import insert
from values.jobs import DELIVER, SPIKES, Interval, Job, Lease, Outcome

log = logging.getLogger(__name__)

MAX_BUCKETS_PER_RUN = 20_000
# Spike ids renamed by late posts are remembered this long (a spike's id lives through its cool-down).
ALIAS_MEMORY = timedelta(days=3)


@dataclass(frozen=True)
class WatchResult:
    """What one check of one (brand, metric) did."""

    brand: str
    metric: str
    buckets: int  # buckets evaluated (final ones fed to the state, and open ones replayed)
    events: tuple[SpikeEvent, ...]  # the events acted on (new ones only)
    check: Check | None = None  # the newest bucket's decision


@dataclass
class _Saved:
    detector: SpikeDetector
    last: datetime | None  # the last final bucket fed to the detector's state
    emitted: set[tuple[str, str, str]]  # (kind, spike id, bucket) already acted on from replayed buckets
    aliases: dict[str, str]  # detector spike id -> the id its spike row was recorded under
    new: bool  # no row yet: a first start or a newly added brand


class SpikeWatch:
    """Runs every brand's detectors up to the newest complete bucket."""

    def __init__(
        self,
        engine: Engine,
        *,
        brands: Sequence[str],
        settings: SpikeSettings,
        channel: str,
        clock: Callable[[], datetime],
        settle: timedelta,
        incidents: IncidentHook | None = None,
    ) -> None:
        self.engine = engine
        self.brands = tuple(brands)
        self.settings = settings
        self.channel = channel
        self.clock = clock
        # How long after its end a bucket's count is taken as complete enough to call a spike over.
        self.settle = min(settle, settings.lateness)
        self.incidents = incidents  # a spike in negative mentions opens one incident thread (the reply queue's)

    def job(self, *, every: timedelta) -> Job:
        """The spike check as a job: one instance at a time (the detectors' state is shared); events wake delivery."""

        def run() -> Outcome:
            events = sum(len(result.events) for result in self.check())
            return Outcome(changed=events > 0, counts={"spike_events": events})

        return Job(SPIKES, Interval(every), run, lease=Lease.singleton(), wakes=(DELIVER,))

    def check(self) -> list[WatchResult]:
        """Feed every newly final bucket to every (brand, metric) detector, and replay the open ones."""
        results = []
        for brand in self.brands:
            for metric in self.settings.metrics:
                results.append(self._check(brand, metric))
        return results

    def _check(self, brand: str, metric: str) -> WatchResult:
        size, now = self.settings.bucket, self.clock()
        with self.engine.begin() as conn:
            saved = self._load(conn, brand, metric)
            end = self._last_complete_bucket_end(conn, brand)
            start = saved.last + size if saved.last is not None else self._history_start(conn, brand, end)
            if start is None or start >= end:
                return WatchResult(brand, metric, 0, ())
            end = min(end, start + size * MAX_BUCKETS_PER_RUN)
            final_end = max(min(end, floor_time(now - self.settings.lateness, size)), start)
            counts = bucket_counts(conn, brand=brand, start=start, end=end, size=size)
            detector = saved.detector
            events = self._feed(detector, metric, counts, start, final_end)
            checkpoint = detector.to_json()
            replay = SpikeDetector.from_json(checkpoint, self.settings)
            events += self._feed(replay, metric, counts, final_end, end)
            acted = self._act(conn, brand, metric, events, saved, final_end=final_end)
            last = final_end - size if final_end > start else saved.last
            latest = replay.last_check or detector.last_check
            self._save(conn, brand, metric, checkpoint, last, saved, latest, replay)
        if saved.new:
            self._log_warm_start(brand, metric, replay)
        if latest is not None:
            log.debug("spikes %s/%s: %s", brand, metric, describe(latest, self.settings))
        if acted:
            log.info("spikes %s/%s: %s", brand, metric, ", ".join(f"{e.kind} at {e.at:%H:%M}" for e in acted))
        return WatchResult(brand, metric, (end - start) // size, tuple(acted), latest)

    def _feed(
        self,
        detector: SpikeDetector,
        metric: str,
        counts: dict[datetime, tuple[int, int]],
        start: datetime,
        end: datetime,
    ) -> list[SpikeEvent]:
        events, at = [], start
        while at < end:
            negative, total = counts.get(at, (0, 0))
            events += detector.observe(at, *metric_value(metric, negative, total))
            at += self.settings.bucket
        return events

    # -- acting on events once ----------------------------------------------------------------

    def _act(
        self, conn: Connection, brand: str, metric: str, events: list[SpikeEvent], saved: _Saved, *, final_end: datetime
    ) -> list[SpikeEvent]:
        now, size = self.clock(), self.settings.bucket
        produced = {_key(e) for e in events}
        # Openings acted on earlier that this replay no longer produces: late posts moved the spike's start.
        moved = [k for k in saved.emitted if k[0] == "opened" and k not in produced]
        # A spike that opened and was over within this one check (a catch-up) is recorded, not paged.
        last = {e.spike_id: e for e in events}
        over = {
            e.spike_id
            for e in events
            if e.kind == "opened"
            and _key(e) not in saved.emitted
            and last[e.spike_id].kind == "resolved"
            and last[e.spike_id].at + size <= now - self.settle
        }
        deferred: set[str] = set()
        acted = []
        for event in events:
            key = _key(event)
            if key in saved.emitted:
                continue
            if event.kind == "opened" and moved:
                earlier = moved.pop(0)
                saved.aliases[event.spike_id] = saved.aliases.get(earlier[1], earlier[1])
                # The superseded opening is gone for good: it must not be taken for a moved one again.
                saved.emitted.discard(earlier)
                saved.emitted.add(key)
                continue
            if event.spike_id in deferred or (event.kind == "resolved" and event.at + size > now - self.settle):
                deferred.add(event.spike_id)  # an all-clear waits until its buckets are settled
                continue
            recorded = replace(event, spike_id=saved.aliases.get(event.spike_id, event.spike_id))
            live = event.spike_id not in over
            record(
                conn,
                brand=brand,
                metric=metric,
                event=recorded,
                live=live,
                now=now,
                settings=self.settings,
                channel=self.channel,
                incidents=self.incidents,
            )
            saved.emitted.add(key)
            acted.append(recorded)
        # Final buckets are never replayed again: only the open ones' events need remembering.
        saved.emitted = {k for k in saved.emitted if datetime.fromisoformat(k[2]) >= final_end}
        oldest = now - ALIAS_MEMORY
        saved.aliases = {k: v for k, v in saved.aliases.items() if datetime.fromisoformat(k) >= oldest}
        return acted

    # -- state -------------------------------------------------------------------------------

    def _load(self, conn: Connection, brand: str, metric: str) -> _Saved:
        c = spike_detectors.c
        query = select(c.state, c.last_bucket_at, c.provisional).where(c.brand == brand, c.metric == metric)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()  # one instance feeds a detector at a time
        row = conn.execute(query).first()
        if row is None:
            return _Saved(SpikeDetector(self.settings), None, set(), {}, new=True)
        try:
            provisional = _loads(row.provisional) or {}
            emitted = {(str(k), str(i), str(a)) for k, i, a in provisional.get("emitted", [])}
            aliases = {str(k): str(v) for k, v in provisional.get("aliases", {}).items()}
            for at in [a for _, _, a in emitted] + list(aliases):
                datetime.fromisoformat(at)
        except (ValueError, TypeError, AttributeError) as exc:
            # Only the open buckets' bookkeeping is lost: their events may be sent once more, none is missed.
            log.error("spikes %s/%s: saved provisional events unreadable (%s); starting afresh", brand, metric, exc)
            emitted, aliases = set(), {}
        try:
            state = row.state if isinstance(row.state, str) else json.dumps(row.state)
            detector = SpikeDetector.from_json(state, self.settings)
        except ValueError as exc:
            log.error("spikes %s/%s: saved state unreadable (%s); starting to learn again", brand, metric, exc)
            return _Saved(SpikeDetector(self.settings), None, emitted, aliases, new=True)
        return _Saved(detector, row.last_bucket_at, emitted, aliases, new=False)

    def _save(
        self,
        conn: Connection,
        brand: str,
        metric: str,
        checkpoint: str,
        last: datetime | None,
        saved: _Saved,
        latest: Check | None,
        replay: SpikeDetector,
    ) -> None:
        ready = replay.readiness()
        values = {
            "state": checkpoint,
            "last_bucket_at": last,
            "updated_at": self.clock(),
            "provisional": {"emitted": sorted(saved.emitted), "aliases": saved.aliases},
            "last_check": latest.to_dict() if latest else None,
            "history_from": ready.history_from,
            "alerts_from": ready.full_from,
        }
        conn.execute(
            insert(conn, spike_detectors)
            .values(brand=brand, metric=metric, **values)
            .on_conflict_do_update(index_elements=["brand", "metric"], set_=values)
        )

    def _log_warm_start(self, brand: str, metric: str, detector: SpikeDetector) -> None:
        ready, now = detector.readiness(), self.clock()
        if ready.history_from is None or ready.alerts_from is None or ready.full_from is None:
            log.info("spikes %s/%s: no stored history yet; learning starts with the first post", brand, metric)
            return
        learned = (now - ready.history_from) / timedelta(days=1)
        if ready.full_from <= now:
            when = "alerting now, at full sensitivity"
        else:
            strict = "alerting now" if ready.alerts_from <= now else f"alerting from {ready.alerts_from:%Y-%m-%d %H:%M}"
            when = f"{strict}, stricter until {ready.full_from:%Y-%m-%d %H:%M} UTC (warm-up)"
        log.info(
            "spikes %s/%s: learned %.1f days of stored history (from %s); %s",
            brand,
            metric,
            learned,
            f"{ready.history_from:%Y-%m-%d %H:%M} UTC",
            when,
        )

    def _last_complete_bucket_end(self, conn: Connection, brand: str) -> datetime:
        size = self.settings.bucket
        end = floor_time(self.clock(), size)
        # Counts of a bucket are known only once its posts are classified.
        oldest_unlabelled = conn.execute(
            select(func.min(mentions.c.created_at)).where(
                mentions.c.brand == brand, mentions.c.negative.is_(None), mentions.c.from_brand.is_(False)
            )
        ).scalar()
        if oldest_unlabelled is not None:
            end = min(end, floor_time(oldest_unlabelled, size))
        return end

    def _history_start(self, conn: Connection, brand: str, end: datetime) -> datetime | None:
        first = conn.execute(select(func.min(mentions.c.created_at)).where(mentions.c.brand == brand)).scalar()
        if first is None:
            return None
        size = self.settings.bucket
        # At least the last whole bucket: warm_start = 0 means "learn from now on", not "never start".
        return max(floor_time(first, size), floor_time(end - max(self.settings.warm_start, size), size))


def describe(check: Check, settings: SpikeSettings) -> str:
    """One line saying what a bucket's check saw and decided."""
    seen = f"bucket {check.at:%Y-%m-%d %H:%M} UTC: observed {check.count:g} vs expected {check.expected:.1f}; "
    if check.window == 0:
        return seen + f"no window tested (threshold {check.threshold:.0e}): {check.verdict}"
    span = settings.bucket * check.window
    return seen + (
        f"deciding window {int(span / timedelta(minutes=1))} min: {check.window_count:g} vs "
        f"{check.window_expected:.1f}, p={check.p_value:.1e}, threshold {check.threshold:.0e}: {check.verdict}"
    )


def _key(event: SpikeEvent) -> tuple[str, str, str]:
    return (event.kind, event.spike_id, event.at.isoformat())


def metric_value(metric: str, negative: int, total: int) -> tuple[float, float]:
    if metric == "negative":
        return float(negative), 1.0
    if metric == "volume":
        return float(total), 1.0
    return float(negative), float(total)  # share: negatives with total volume as the exposure


def bucket_counts(
    conn: Connection, *, brand: str, start: datetime, end: datetime, size: timedelta
) -> dict[datetime, tuple[int, int]]:
    seconds = int(size.total_seconds())
    bucket = epoch_bucket(mentions.c.created_at, seconds, conn.dialect.name).label("bucket")
    query = (
        select(
            bucket, func.count().label("total"), func.count().filter(mentions.c.negative.is_(True)).label("negative")
        )
        .where(
            and_(
                mentions.c.brand == brand,
                mentions.c.created_at >= start,
                mentions.c.created_at < end,
                mentions.c.from_brand.is_(False),
            )
        )
        .group_by(bucket)
    )
    return {
        datetime.fromtimestamp(int(b) * seconds, UTC): (int(negative), int(total))
        for b, total, negative in conn.execute(query)
    }


def floor_time(when: datetime, size: timedelta) -> datetime:
    seconds = size.total_seconds()
    return datetime.fromtimestamp((when.timestamp() // seconds) * seconds, UTC)


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
