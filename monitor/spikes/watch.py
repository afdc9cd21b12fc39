"""The daemon side of spike detection: feed each brand's counts to its detector, bucket by bucket.

Per (brand, metric) the detector's state lives in ``spike_detectors`` and is saved
in the same transaction as the spike rows and outbox messages its events cause,
so a crash replays nothing twice and misses nothing. A bucket is fed only once it
is complete: it ended at least ``settle`` ago and every post in it is classified.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, and_, func, select, update

from monitor.alerts import outbox
from monitor.spikes import alerts as spike_alerts
from monitor.spikes.detector import SpikeDetector, SpikeEvent
from monitor.spikes.settings import SpikeSettings
from monitor.storage.buckets import epoch_bucket
from monitor.storage.schema import mentions, spike_detectors, spikes
from monitor.storage.upsert import insert
from values.jobs import DELIVER, Interval, Job, Lease, Outcome

log = logging.getLogger(__name__)

# On a first start, learn from this much stored history before watching live.
HISTORY_ON_START = timedelta(days=14)
# Events for buckets older than this (a catch-up after downtime) are recorded, not paged.
PAGE_WITHIN = timedelta(hours=2)
MAX_BUCKETS_PER_RUN = 20_000


class IncidentHook(Protocol):
    """Opens (or joins) the incident a spike belongs to; its (thread key, channel), or None to keep its own."""

    def __call__(
        self, conn: Connection, *, brand: str, spike_key: str, explanation: dict[str, Any], now: datetime
    ) -> tuple[str, str] | None: ...


@dataclass(frozen=True)
class WatchResult:
    """What one check of one (brand, metric) did."""

    brand: str
    metric: str
    buckets: int
    events: tuple[SpikeEvent, ...]


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
        self.settle = settle
        self.incidents = incidents  # a spike in negative mentions opens one incident thread (the reply queue's)

    def job(self, *, every: timedelta) -> Job:
        """The spike check as a job: one instance at a time (the detectors' state is shared); events wake delivery."""

        def run() -> Outcome:
            events = sum(len(result.events) for result in self.check())
            return Outcome(changed=events > 0, counts={"spike_events": events})

        return Job("spikes", Interval(every), run, lease=Lease.singleton(), wakes=(DELIVER,))

    def check(self) -> list[WatchResult]:
        """Feed every complete, unseen bucket to every (brand, metric) detector."""
        results = []
        for brand in self.brands:
            for metric in self.settings.metrics:
                results.append(self._check(brand, metric))
        return results

    def _check(self, brand: str, metric: str) -> WatchResult:
        size = self.settings.bucket
        with self.engine.begin() as conn:
            detector, last = self._load(conn, brand, metric)
            end = self._last_complete_bucket_end(conn, brand)
            start = last + size if last is not None else self._history_start(conn, brand, end)
            if start is None or start >= end:
                return WatchResult(brand, metric, 0, ())
            end = min(end, start + size * MAX_BUCKETS_PER_RUN)
            counts = _counts(conn, brand=brand, start=start, end=end, size=size)
            fed, events = 0, []
            at = start
            while at < end:
                negative, total = counts.get(at, (0, 0))
                count, exposure = _metric_value(metric, negative, total)
                for event in detector.observe(at, count, exposure):
                    events.append(event)
                    self._record(conn, brand, metric, event, live=at + size >= self.clock() - PAGE_WITHIN)
                fed += 1
                at += size
            self._save(conn, brand, metric, detector, at - size)
        if events:
            log.info("spikes %s/%s: %s", brand, metric, ", ".join(f"{e.kind} at {e.at:%H:%M}" for e in events))
        return WatchResult(brand, metric, fed, tuple(events))

    # -- state -------------------------------------------------------------------------------

    def _load(self, conn: Connection, brand: str, metric: str) -> tuple[SpikeDetector, datetime | None]:
        query = select(spike_detectors.c.state, spike_detectors.c.last_bucket_at).where(
            spike_detectors.c.brand == brand, spike_detectors.c.metric == metric
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()  # one instance feeds a detector at a time
        row = conn.execute(query).first()
        if row is None:
            return SpikeDetector(self.settings), None
        try:
            state = row.state if isinstance(row.state, str) else _dumps(row.state)
            return SpikeDetector.from_json(state, self.settings), row.last_bucket_at
        except ValueError as exc:
            log.error("spikes %s/%s: saved state unreadable (%s); starting to learn again", brand, metric, exc)
            return SpikeDetector(self.settings), None

    def _save(self, conn: Connection, brand: str, metric: str, detector: SpikeDetector, last: datetime) -> None:
        values = {"state": detector.to_json(), "last_bucket_at": last, "updated_at": self.clock()}
        conn.execute(
            insert(conn, spike_detectors)
            .values(brand=brand, metric=metric, **values)
            .on_conflict_do_update(index_elements=["brand", "metric"], set_=values)
        )

    def _last_complete_bucket_end(self, conn: Connection, brand: str) -> datetime:
        size = self.settings.bucket
        end = _floor(self.clock() - self.settle, size)
        # Counts of a bucket are final only once its posts are classified.
        oldest_unlabelled = conn.execute(
            select(func.min(mentions.c.created_at)).where(
                mentions.c.brand == brand, mentions.c.negative.is_(None), mentions.c.from_brand.is_(False)
            )
        ).scalar()
        if oldest_unlabelled is not None:
            end = min(end, _floor(oldest_unlabelled, size))
        return end

    def _history_start(self, conn: Connection, brand: str, end: datetime) -> datetime | None:
        first = conn.execute(select(func.min(mentions.c.created_at)).where(mentions.c.brand == brand)).scalar()
        if first is None:
            return None
        return max(_floor(first, self.settings.bucket), _floor(end - HISTORY_ON_START, self.settings.bucket))

    # -- events ------------------------------------------------------------------------------

    def _record(self, conn: Connection, brand: str, metric: str, event: SpikeEvent, *, live: bool) -> None:
        key = f"{brand}:{metric}:{event.spike_id}"
        now = self.clock()
        row = conn.execute(select(spikes).where(spikes.c.spike_key == key)).mappings().first()
        if row is None:
            window_start = event.at - self.settings.bucket * (max(event.window, 1) - 1)
            drivers = spike_alerts.drivers(
                conn,
                brand=brand,
                metric=metric,
                start=window_start,
                end=event.at + self.settings.bucket,
                count=event.window_count,
                expected=event.window_expected,
            )
            drivers["notified"] = live
            conn.execute(
                spikes.insert().values(
                    spike_key=key,
                    brand=brand,
                    metric=metric,
                    status="open",
                    opened_at=event.at,
                    updated_at=now,
                    peak_at=event.at,
                    peak_count=event.peak_count,
                    expected=event.window_expected,
                    updates=0,
                    drivers=drivers,
                )
            )
            row = conn.execute(select(spikes).where(spikes.c.spike_key == key)).mappings().one()
        else:
            values: dict[str, Any] = {"updated_at": now}
            if event.kind == "resolved":
                values.update(status="resolved", resolved_at=event.at + self.settings.bucket)
            else:
                values.update(status="open", resolved_at=None, updates=row["updates"] + 1)
                if event.count >= row["peak_count"]:
                    values.update(peak_count=event.count, peak_at=event.at)
            conn.execute(update(spikes).where(spikes.c.id == row["id"]).values(**values))
            row = conn.execute(select(spikes).where(spikes.c.id == row["id"])).mappings().one()
        if not live:
            return
        drivers = dict(row["drivers"] or {})
        if not drivers.get("notified"):
            # A spike that began during a catch-up and is still going: open its thread now.
            drivers["notified"] = True
            conn.execute(update(spikes).where(spikes.c.id == row["id"]).values(drivers=drivers))
            event = SpikeEvent(**{**event.__dict__, "kind": "opened"}) if event.kind != "resolved" else event
            if event.kind == "resolved":
                return
        if event.kind == "opened" and self.incidents is not None and metric != "volume" and "incident" not in drivers:
            found = self.incidents(
                conn,
                brand=brand,
                spike_key=key,
                explanation=spike_alerts.explanation(dict(row), event, settings=self.settings),
                now=now,
            )
            if found is not None:
                drivers["incident"], drivers["incident_channel"] = found
                conn.execute(update(spikes).where(spikes.c.id == row["id"]).values(drivers=drivers))
        spike = {**dict(row), "drivers": drivers}
        for message in spike_alerts.messages_for(
            event,
            spike,
            channel=drivers.get("incident_channel") or self.channel,
            settings=self.settings,
            thread=drivers.get("incident"),
        ):
            outbox.enqueue(conn, message, now=now)


def _metric_value(metric: str, negative: int, total: int) -> tuple[float, float]:
    if metric == "negative":
        return float(negative), 1.0
    if metric == "volume":
        return float(total), 1.0
    return float(negative), float(total)  # share: negatives with total volume as the exposure


def _counts(
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


def _floor(when: datetime, size: timedelta) -> datetime:
    seconds = size.total_seconds()
    return datetime.fromtimestamp((when.timestamp() // seconds) * seconds, UTC)


def _dumps(value: object) -> str:
    import json

    return json.dumps(value)
