"""A detector event becomes a spike row, and (when it is news) outbox messages, in the watch's transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, select, update

from monitor.alerts import outbox
from monitor.spikes import alerts as spike_alerts
from monitor.spikes.detector import SpikeEvent
from monitor.spikes.settings import SpikeSettings
from monitor.storage.schema import spikes


class IncidentHook(Protocol):
    """Opens (or joins) the incident a spike belongs to; its (thread key, channel), or None to keep its own."""

    def __call__(
        self, conn: Connection, *, brand: str, spike_key: str, explanation: dict[str, Any], now: datetime
    ) -> tuple[str, str] | None: ...


def record(
    conn: Connection,
    *,
    brand: str,
    metric: str,
    event: SpikeEvent,
    live: bool,
    now: datetime,
    settings: SpikeSettings,
    channel: str,
    incidents: IncidentHook | None = None,
) -> None:
    """Store ``event`` on its spike's row; with ``live``, queue its Slack messages (a late opening says how late).

    A spike first recorded while not live (found during a catch-up, already over) has
    ``drivers.notified`` false and no thread; its first live event opens the thread.
    """
    key = f"{brand}:{metric}:{event.spike_id}"
    row = conn.execute(select(spikes).where(spikes.c.spike_key == key)).mappings().first()
    if row is None:
        row = _open(conn, key=key, brand=brand, metric=metric, event=event, live=live, now=now, settings=settings)
    else:
        values: dict[str, Any] = {"updated_at": now}
        if event.kind == "resolved":
            values.update(status="resolved", resolved_at=event.at + settings.bucket)
        else:
            values.update(status="open", resolved_at=None, updates=row["updates"] + 1)
            if event.count >= row["peak_count"]:
                values.update(peak_count=event.count, peak_at=event.at)
        conn.execute(update(spikes).where(spikes.c.id == row["id"]).values(**values))
        row = conn.execute(select(spikes).where(spikes.c.id == row["id"])).mappings().one()
    if not live:
        return
    spike = dict(row)
    drivers = dict(spike["drivers"] or {})
    if not drivers.get("notified"):
        if event.kind == "resolved":
            return  # over before anyone was told: the digest reports it
        # A spike that began during a catch-up (or whose posts came late) and is still going: open its thread now.
        late = now - (spike["opened_at"] + settings.bucket)
        drivers.update(notified=True, seen_late_minutes=max(int(late / timedelta(minutes=1)), 0))
        conn.execute(update(spikes).where(spikes.c.id == spike["id"]).values(drivers=drivers))
        spike["drivers"] = drivers
        event = replace(event, kind="opened")
    if event.kind == "opened" and incidents is not None and metric != "volume" and "incident" not in drivers:
        found = incidents(
            conn,
            brand=brand,
            spike_key=key,
            explanation=spike_alerts.explanation(spike, event, settings=settings),
            now=now,
        )
        if found is not None:
            drivers["incident"], drivers["incident_channel"] = found
            conn.execute(update(spikes).where(spikes.c.id == spike["id"]).values(drivers=drivers))
            spike["drivers"] = drivers
    for message in spike_alerts.messages_for(
        event,
        spike,
        channel=drivers.get("incident_channel") or channel,
        settings=settings,
        thread=drivers.get("incident"),
    ):
        outbox.enqueue(conn, message, now=now)


def _open(
    conn: Connection,
    *,
    key: str,
    brand: str,
    metric: str,
    event: SpikeEvent,
    live: bool,
    now: datetime,
    settings: SpikeSettings,
) -> Any:
    window_start = event.at - settings.bucket * (max(event.window, 1) - 1)
    drivers = spike_alerts.drivers(
        conn,
        brand=brand,
        metric=metric,
        start=window_start,
        end=event.at + settings.bucket,
        count=event.window_count,
        expected=event.window_expected,
    )
    drivers["notified"] = live
    drivers["seen_late_minutes"] = _late_minutes(event, now, settings)
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
    return conn.execute(select(spikes).where(spikes.c.spike_key == key)).mappings().one()


def _late_minutes(event: SpikeEvent, now: datetime, settings: SpikeSettings) -> int:
    """Minutes between the end of the bucket that decided and the moment it was seen (0 when on time)."""
    late = now - (event.at + settings.bucket)
    return max(int(late / timedelta(minutes=1)), 0)
