"""The periodic reply check: close what the brand answered, end snoozes, remind, escalate, edit incidents.

Each step changes items and enqueues their Slack messages in the same transaction (up to BATCH
items per transaction), with outbox keys that make a repeated check send nothing twice; a check
that dies midway leaves that batch as it was, to be done by the next check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select

from monitor.alerts import outbox
from monitor.replies import announce, incidents, messages, paging, sla, store, threads
from monitor.replies.settings import ReplySettings
from monitor.storage.schema import reply_items
from values.jobs import DELIVER, Interval, Job, Lease, Outcome

log = logging.getLogger(__name__)

BATCH = 500


@dataclass
class CheckReport:
    """What one reply check did."""

    released: int = 0  # held posts whose thread opened (no incident formed while they waited)
    replied: int = 0
    unsnoozed: int = 0
    reminded: int = 0
    escalated: int = 0
    incidents_refreshed: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when anything was enqueued."""
        return bool(
            self.released
            or self.replied
            or self.unsnoozed
            or self.reminded
            or self.escalated
            or self.incidents_refreshed
        )


class ReplyCheck:
    """Runs the reply queue's timers against the database, on an injected clock."""

    def __init__(self, engine: Engine, settings: ReplySettings, *, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock

    def job(self, *, every: timedelta) -> Job:
        """The timers as a job: one instance at a time (outbox keys already stop a double send; this also keeps
        two instances from editing one alert twice); whatever they queue wakes delivery."""

        def run() -> Outcome:
            report = self.check()
            timers = report.reminded + report.escalated + report.replied + report.unsnoozed + report.released
            return Outcome(changed=report.changed, counts={"reply_timers": timers})

        return Job("replies", Interval(every), run, lease=Lease.singleton(), wakes=(DELIVER,))

    def check(self) -> CheckReport:
        """One pass over every timer."""
        report = CheckReport()
        with self.engine.begin() as conn:
            for item_id, reply_id, replied_at in store.answered_on_platform(conn):
                report.replied += self._replied(conn, item_id, reply_id, replied_at)
        with self.engine.begin() as conn:
            # Closed in Slack, answered on the platform later: keep the reply's time for response-time stats.
            for item_id, reply_id, replied_at in store.answered_on_platform(conn, statuses=(store.HANDLED,)):
                store.change(
                    conn, item_id, only_if=(store.HANDLED,), first_reply_at=replied_at, first_reply_id=reply_id
                )
        with self.engine.begin() as conn:
            # Before reminders and escalations: a thread they go into must be queued first.
            announcer = announce.Announcer(self.settings)
            report.released += announcer.release(conn, now=self.clock())
            announcer.finish(conn, now=self.clock())
        with self.engine.begin() as conn:
            for item_id in store.snooze_over(conn, now=self.clock()):
                report.unsnoozed += self._unsnooze(conn, item_id)
        # In transactions of at most BATCH items, until none is left (an incident can put thousands due at once).
        while True:
            with self.engine.begin() as conn:
                done = self._escalate(conn)
            report.escalated += done
            if done < BATCH:
                break
        while True:
            with self.engine.begin() as conn:
                done = self._remind(conn)
            report.reminded += done
            if done < BATCH:
                break
        with self.engine.begin() as conn:
            for record in incidents.stale(conn):
                report.incidents_refreshed += threads.render_incident(
                    conn, record.incident_key, self.settings, now=self.clock()
                )
        if report.changed:
            log.info(
                "replies: %d answered by the brand, %d snoozes over, %d reminders, %d escalations, %d incidents edited",
                report.replied,
                report.unsnoozed,
                report.reminded,
                report.escalated,
                report.incidents_refreshed,
            )
        return report

    def _replied(self, conn: Connection, item_id: int, reply_id: str, replied_at: datetime) -> int:
        row = store.item(conn, item_id)
        if row is None:
            return 0
        within = replied_at <= row.due_at
        if not store.change(
            conn,
            item_id,
            status=store.REPLIED,
            first_reply_at=replied_at,
            first_reply_id=reply_id,
            closed_at=self.clock(),
            closed_by="platform",
            within_sla=within,
        ):
            return 0
        note = ":speech_balloon: The brand replied on the platform " + (
            "within the SLA; closed." if within else "after the deadline; closed."
        )
        threads.refresh(conn, item_id, self.settings, now=self.clock(), note=note)
        return 1

    def _unsnooze(self, conn: Connection, item_id: int) -> int:
        row = store.item(conn, item_id)
        if row is None:
            return 0
        back_to = store.ACKNOWLEDGED if row.acknowledged_at else store.OPEN
        if not store.change(conn, item_id, only_if=(store.SNOOZED,), status=back_to, snoozed_until=None):
            return 0
        due = messages.date(row.due_at, self.settings.zone)
        note = f":alarm_clock: Snooze over; still waiting for a reply (due {due})."
        threads.refresh(conn, item_id, self.settings, now=self.clock(), note=note)
        return 1

    def _remind(self, conn: Connection) -> int:
        now = self.clock()
        done = 0
        grouped: dict[str, list[tuple[datetime, int]]] = {}  # incident key -> (deadline, item) in this pass
        for item_id in store.due_for_reminder(conn, now=now, lead=self.settings.reminder_before, limit=BATCH):
            row = store.item(conn, item_id)
            if row is None or not store.change(
                conn, item_id, only_if=(store.OPEN, store.ACKNOWLEDGED), unset=("reminded_at",), reminded_at=now
            ):
                continue
            if row.summary_key:
                grouped.setdefault(row.summary_key, []).append((row.due_at, item_id))
            else:
                outbox.enqueue(
                    conn,
                    messages.reminder(row, key=threads.thread_key(item_id), zone=self.settings.zone, now=now),
                    now=now,
                )
            done += 1
        for key, deadlines in grouped.items():
            channel = self._incident_channel(conn, key)
            message = messages.incident_timer(
                channel,
                key=key,
                kind="reminder",
                count=len(deadlines),
                first=min(deadlines),
                page=(),
                zone=self.settings.zone,
            )
            outbox.enqueue(conn, message, now=now)
        return done

    def _escalate(self, conn: Connection) -> int:
        now = self.clock()
        done = 0
        grouped: dict[str, list[tuple[datetime, int]]] = {}  # incident key -> (deadline, item) in this pass
        for item_id in store.due_for_escalation(conn, now=now, limit=BATCH):
            row = store.item(conn, item_id)
            values = {"escalated_at": now}
            if row is None:
                continue
            if row.reminded_at is None:
                values["reminded_at"] = now  # past the deadline already: the escalation says it all
            active = (store.OPEN, store.ACKNOWLEDGED)
            if not store.change(conn, item_id, only_if=active, unset=("escalated_at",), **values):
                continue
            if row.summary_key:
                grouped.setdefault(row.summary_key, []).append((row.due_at, item_id))
                done += 1
                continue
            covered_by = sla.cover(now, self.settings.hours.get(row.channel))
            if paging.pages_on_call(priority=row.priority, incident_key=row.incident_key):
                page = paging.on_call(self.settings, row.channel, now=now, category=row.category)
            else:
                page = paging.category_team(row.category, self.settings)
            key = threads.thread_key(item_id)
            outbox.enqueue(
                conn,
                messages.escalation(row, key=key, page=page, cover=covered_by, zone=self.settings.zone, now=now),
                now=now,
            )
            threads.refresh(conn, item_id, self.settings, now=now)  # the status line shows "escalated"
            done += 1
        for key, deadlines in grouped.items():
            channel = self._incident_channel(conn, key)
            record = incidents.get(conn, key)
            page = paging.on_call(self.settings, channel, now=now, category=record.category if record else None)
            message = messages.incident_timer(
                channel,
                key=key,
                kind="escalation",
                count=len(deadlines),
                first=min(deadlines),
                page=page,
                zone=self.settings.zone,
            )
            outbox.enqueue(conn, message, now=now)
        return done

    def _incident_channel(self, conn: Connection, key: str) -> str:
        record = incidents.get(conn, key)
        if record is not None:
            return record.channel
        row = conn.execute(select(reply_items.c.channel).where(reply_items.c.summary_key == key).limit(1)).first()
        return str(row[0]) if row else ""
