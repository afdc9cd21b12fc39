"""Build, queue and finish the daily digest: on schedule, on catch-up after downtime, or on demand."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, select

from monitor.alerts import outbox
from monitor.alerts.outbox import retry_delay
from monitor.alerts.sink import DeliveryError
from monitor.config import Config
from monitor.digest import runs
from monitor.digest.build import build_digest
from monitor.digest.days import latest_due_day, scheduled_at
from monitor.digest.model import Digest
from monitor.digest.render import Part, render
from monitor.digest.upload import ChartUploader
from monitor.storage.schema import outbox as outbox_table
from values.jobs import DELIVER, Cron, Interval, Job, Lease, Outcome

log = logging.getLogger(__name__)

UPLOAD_LEASE = timedelta(minutes=5)  # an upload claim older than this was lost with its process
CATCH_UP_INTERVAL = timedelta(seconds=30)


@dataclass(frozen=True)
class Built:
    """A digest ready to send or print."""

    digest: Digest
    parts: list[Part]
    chart: bytes


class DigestService:
    """The digest's whole life: build, queue once per (day, channel), upload its chart after the message."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        *,
        clock: Callable[[], datetime],
        uploader: ChartUploader,
        lease: timedelta = UPLOAD_LEASE,
    ) -> None:
        self.engine = engine
        self.config = config
        self.clock = clock
        self.uploader = uploader
        self.lease = lease
        self.started_at = clock()

    @property
    def channel(self) -> str:
        """Where the digest goes."""
        return self.config.slack.digest_channel

    def build(self, day: date) -> Built:
        """Build the digest for local ``day`` (read-only)."""
        with self.engine.connect() as conn:
            digest = build_digest(
                conn,
                brands=[b.name for b in self.config.brands],
                day=day,
                tz=self.config.schedule.tz,
                now=self.clock(),
                settings=self.config.digest,
                spike_bucket_minutes=int(self.config.spikes.bucket.total_seconds() // 60),
                competitors=[b.name for b in self.config.brands if b.competitor],
            )
        from monitor.digest.chart import render_chart  # matplotlib: loaded when a digest is built, not at start-up

        return Built(digest, render(digest), render_chart(digest))

    def send(self, day: date) -> bool:
        """Queue the digest for ``day`` unless it was already queued; True if this call queued it."""
        with self.engine.connect() as conn:
            if runs.find(conn, day=day, channel=self.channel) is not None:
                return False
        built = self.build(day)  # outside the write transaction: it reads for a while
        with self.engine.begin() as conn:
            run_id = runs.create(
                conn, day=day, channel=self.channel, parts=built.parts, chart=built.chart, now=self.clock()
            )
        if run_id is None:
            log.info("digest %s for %s was queued by another process", day, self.channel)
            return False
        log.info("digest %s queued for %s (%d message(s) and a chart)", day, self.channel, len(built.parts))
        return True

    def send_due(self, *, catch_up: bool = False) -> bool:
        """Queue the newest digest whose time has come, if it is not out yet.

        Only the newest: after days of downtime, one digest of yesterday beats a backlog of old ones
        (``brand-monitor digest --date`` sends any other day by hand). With ``catch_up`` (the periodic
        check, not the scheduled run) a late digest is sent when this process was already running at
        its time (the scheduled run failed or never fired) or an earlier digest went out (the daemon
        was down). A fresh install started after the time missed nothing: its first digest waits.
        """
        schedule = self.config.schedule
        day = latest_due_day(self.clock(), schedule.tz, schedule.digest_time)
        if catch_up and scheduled_at(day, schedule.tz, schedule.digest_time) < self.started_at:
            with self.engine.connect() as conn:
                if not runs.any_before(conn, day=day, channel=self.channel):
                    return False
        return self.send(day)

    def upload_charts(self) -> int:
        """Upload the chart of every digest whose message is out; returns how many were finished."""
        now = self.clock()
        with self.engine.connect() as conn:
            due = runs.due_charts(conn, now=now)
        done = 0
        for run in due:
            done += self._finish(run)
        return done

    def tick(self) -> None:
        """The periodic check: catch up a missed digest, then finish charts."""
        self.send_due(catch_up=True)
        self.upload_charts()

    def jobs(self) -> list[Job]:
        """At ``digest_time`` local time (cron, DST-aware), and a frequent catch-up check; a queued digest wakes
        delivery. Every instance runs them: a digest is queued once per (day, channel) by a unique key."""
        schedule = self.config.schedule
        at = schedule.digest_time

        def scheduled() -> Outcome:
            return Outcome(changed=self.send_due())

        def check() -> Outcome:
            queued = self.send_due(catch_up=True)
            charts = self.upload_charts()
            return Outcome(changed=queued, counts={"digest_charts": charts})

        cron = Cron(at.hour, at.minute, at.second, zone=schedule.tz)
        return [
            Job("digest", cron, scheduled, lease=Lease.per_instance(), wakes=(DELIVER,), in_once=False),
            Job("digest-check", Interval(CATCH_UP_INTERVAL), check, wakes=(DELIVER,), in_once=False),
        ]

    def _finish(self, run: runs.Run) -> int:
        with self.engine.connect() as conn:
            where = outbox.location(conn, run.key)
            state = conn.execute(
                select(outbox_table.c.status, outbox_table.c.last_error).where(outbox_table.c.dedup_key == run.key)
            ).first()
        if where is None:
            if state is not None and state.status == outbox.DEAD:
                with self.engine.begin() as conn:
                    runs.mark_dead(conn, run.id, error=f"the digest message was rejected: {state.last_error}")
            return 0  # the message is not out yet; the chart follows it
        channel, ts = where
        if run.status == runs.UPLOADING:  # a claim that ran out: did that upload land before its process died?
            try:
                found = self.uploader.find(channel=channel, filename=run.filename, since=run.created_at)
            except DeliveryError as exc:
                log.warning("digest %s: cannot check for an earlier chart upload yet: %s", run.day, exc)
                return 0
            if found:
                with self.engine.begin() as conn:
                    runs.mark_sent(conn, run.id, file_id=found, slack_ts=ts, now=self.clock())
                log.info("digest %s: chart was uploaded before an interruption; marked sent", run.day)
                return 1
        now = self.clock()
        with self.engine.begin() as conn:
            if not runs.claim(conn, run, now=now, until=now + self.lease):
                return 0
        try:
            file_id = self.uploader.upload(
                channel=channel,
                png=run.chart or b"",
                filename=run.filename,
                title=f"Brand mentions, {run.day.isoformat()}",
                comment=f"Mentions and negative mentions per hour up to {run.day.isoformat()}, spikes marked.",
            )
        except DeliveryError as exc:
            self._failed(run, exc)
            return 0
        with self.engine.begin() as conn:
            runs.mark_sent(conn, run.id, file_id=file_id, slack_ts=ts, now=self.clock())
        return 1

    def _failed(self, run: runs.Run, exc: DeliveryError) -> None:
        if exc.ambiguous:
            log.warning("digest %s: chart upload %s; will look for it before retrying", run.day, exc)
            return  # stays claimed; after the lease we check the channel first
        with self.engine.begin() as conn:
            if exc.permanent:
                runs.mark_dead(conn, run.id, error=str(exc))
                log.error("digest %s: chart rejected for good: %s", run.day, exc)
                return
            attempts = run.attempts + 1
            delay = timedelta(seconds=exc.retry_after) if exc.retry_after is not None else retry_delay(attempts)
            runs.mark_retry(conn, run.id, error=str(exc), at=self.clock() + delay)
        log.warning("digest %s: chart upload failed (%s); retry in %.0fs", run.day, exc, delay.total_seconds())
