"""How queued posts reach Slack: a thread each, grouped into an incident, or held while a cluster forms.

- In an incident: no thread of its own, except high priority (while the channel can take threads).
- Outside one: a thread, while the channel has had fewer than ``burst_threshold`` threads (plus
  ``burst_high`` for high priority) in ``burst_window``; beyond that, the window's ``burst`` incident.
- Held: a normal or low priority post similar to a recent one (a cluster may be forming, short of an
  incident) waits up to ``[replies.incidents] hold`` for its thread, so that the posts of a crisis that
  trickles in join its incident without a thread each; the reply check opens it if none forms.
  A held post is queued like any other (deadline, reminders, closing); it only has no message yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection

from monitor.alerts import outbox
from monitor.replies import incidents, messages, store, threads
from monitor.replies.settings import ReplySettings


@dataclass(frozen=True, slots=True)
class Placement:
    """One queued post to place: its item, priority and channel."""

    item_id: int
    level: str
    channel: str


@dataclass
class Announcer:
    """Places posts (thread, incident, burst or held) in the caller's transaction and queues their messages."""

    settings: ReplySettings
    _touched: dict[str, int] = field(default_factory=dict)

    def place(
        self,
        conn: Connection,
        entries: Sequence[Placement],
        *,
        incident_of: dict[int, str],
        hold: Iterable[int] = (),
        now: datetime,
        exclude: Sequence[int] = (),
    ) -> None:
        """Place ``entries``: into their incident (``incident_of``), held (``hold``), or a thread / the burst."""
        settings = self.settings
        held = set(hold)
        budget = ThreadBudget(conn, settings, since=now - settings.burst_window, exclude=exclude)
        for entry in entries:
            key = threads.thread_key(entry.item_id)
            incident_key = incident_of.get(entry.item_id)
            if incident_key is not None:
                own = entry.level == "high" and budget.take(entry.channel, high=True)
                store.set_alert_key(conn, entry.item_id, key, summary_key=None if own else incident_key)
                store.group_into(conn, entry.item_id, incident_key, own_thread=own)
                self._touch(incident_key)
                if own:
                    threads.open_thread(conn, entry.item_id, settings, now=now)
                continue
            if entry.item_id in held and entry.level != "high":
                continue  # alert_key stays empty: the reply check opens its thread after the hold
            if budget.take(entry.channel, high=entry.level == "high"):
                store.set_alert_key(conn, entry.item_id, key, summary_key=None)
                threads.open_thread(conn, entry.item_id, settings, now=now)
                continue
            # More than a channel can read as threads at once: one incident for the rest of the window.
            burst = self._burst(conn, entry.channel, now=now)
            store.set_alert_key(conn, entry.item_id, key, summary_key=burst)
            store.group_into(conn, entry.item_id, burst, own_thread=False)
            self._touch(burst)

    def move_into(self, conn: Connection, earlier: store.Item, key: str, *, now: datetime) -> None:
        """A post queued before the incident formed joins it; a thread it has says where to carry on."""
        own = earlier.priority == "high" and bool(earlier.alert_key)
        if not earlier.alert_key:  # held: it never had a message, so it joins without one
            store.set_alert_key(conn, earlier.id, threads.thread_key(earlier.id), summary_key=key)
        store.group_into(conn, earlier.id, key, own_thread=own)
        self._touch(key)
        if not earlier.alert_key:
            return
        if own:
            note = ":link: This post is part of an incident with similar posts; it keeps this thread (high priority)."
        else:
            note = ":link: This post is now part of an incident with similar posts; its timers and buttons are there."
        message = messages.state_note(earlier, key=threads.thread_key(earlier.id), revision=-1, note=note)
        outbox.enqueue(conn, message, now=now)

    def release(self, conn: Connection, *, now: datetime) -> int:
        """Open the threads of posts held past ``hold`` that no incident took in; how many were placed."""
        waited = store.held(conn, before=now - self.settings.incidents.hold)
        self.place(conn, [Placement(r.id, r.priority, r.channel) for r in waited], incident_of={}, now=now)
        return len(waited)

    def finish(self, conn: Connection, *, opened: Iterable[str] = (), now: datetime) -> None:
        """Count the posts that joined incidents; post the message of each incident opened in this batch."""
        for key, count in self._touched.items():
            incidents.joined(conn, key, count=count, now=now)
        first = list(opened) + [k for k in self._touched if k not in opened]
        for key in first:
            current = incidents.get(conn, key)
            if current is not None and current.revision == 0:
                # Its message goes out once, after the whole batch is in it; later growth is an edit.
                threads.render_incident(conn, key, self.settings, now=now)
        self._touched.clear()

    def _touch(self, key: str) -> None:
        self._touched[key] = self._touched.get(key, 0) + 1

    def _burst(self, conn: Connection, channel: str, *, now: datetime) -> str:
        seconds = self.settings.burst_window.total_seconds()
        window = datetime.fromtimestamp((now.timestamp() // seconds) * seconds, UTC)
        key = f"reply-burst:{channel}:{int(window.timestamp())}"[:191]
        incidents.create(
            conn,
            incidents.Incident(
                incident_key=key,
                kind=incidents.BURST,
                channel=channel,
                title="",
                window_start=window,
                created_at=now,
                last_post_at=now,
            ),
        )
        return key


class ThreadBudget:
    """How many more threads each channel can take in the burst window: ``burst_threshold``, then
    ``burst_high`` more for high priority."""

    def __init__(self, conn: Connection, settings: ReplySettings, *, since: datetime, exclude: Sequence[int]) -> None:
        self._conn, self._settings, self._since, self._exclude = conn, settings, since, exclude
        self._used: dict[str, list[int]] = {}

    def take(self, channel: str, *, high: bool) -> bool:
        """Whether one more thread fits in ``channel`` (and count it if so)."""
        if channel not in self._used:
            recent = incidents.recent_threads(self._conn, channel=channel, since=self._since, exclude=self._exclude)
            self._used[channel] = list(recent)
        used = self._used[channel]
        if used[0] < self._settings.burst_threshold or (high and used[1] < self._settings.burst_high):
            used[0] += 1
            used[1] += high
            return True
        return False
