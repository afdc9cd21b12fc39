"""What a person does in Slack (a button or a reaction) applied to the queue, with the thread updated."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from monitor.alerts import outbox
from monitor.replies import store, threads
from monitor.replies.settings import ReplySettings
from monitor.replies.verbs import ACKNOWLEDGE, ACTIONS, HANDLED, NOT_NEGATIVE, SNOOZE
from monitor.storage.schema import classification_feedback
from values.durations import format_duration

__all__ = ["ACKNOWLEDGE", "ACTIONS", "HANDLED", "NOT_NEGATIVE", "SNOOZE", "Action", "apply"]

log = logging.getLogger(__name__)
_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True, slots=True)
class Action:
    """One thing a person did: ``action`` on the items behind ``target`` (``item:ID`` or ``summary:KEY``).

    ``summary:KEY`` is an incident: the action applies to every post in it. ``channel``/``ts`` are the
    message it was done on: a button's message, or the message a reaction was added to. A button acts
    only when they are where its item's alert (or incident) was delivered.
    """

    action: str
    user: str
    target: str | None = None  # from a button's value
    channel: str | None = None  # the message it came from (channel id, ts)
    ts: str | None = None


def apply(conn: Connection, act: Action, settings: ReplySettings, *, now: datetime) -> int:
    """Apply ``act`` in the caller's transaction; returns how many items changed."""
    if act.action not in ACTIONS:
        log.warning("replies: unknown action %r ignored", act.action)
        return 0
    user = act.user if _USER.match(act.user or "") else "unknown"
    item_ids = _targets(conn, act)
    changed = 0
    grouped: dict[str, int] = {}
    for item_id in item_ids:
        outcome = _apply_one(conn, item_id, act.action, user, settings, now=now)
        if outcome is None:
            continue
        changed += 1
        row, note = outcome
        if row.incident_key:
            grouped[row.incident_key] = grouped.get(row.incident_key, 0) + 1  # one incident edit for the lot
        if not row.summary_key:
            threads.refresh(conn, item_id, settings, now=now, note=note)  # its own thread
    for key, count in grouped.items():
        threads.render_incident(conn, key, settings, now=now, force=True)
        threads.incident_note(conn, key, now=now, note=f"{_VERB[act.action]} {count:,} posts: {_who(user)}.")
    if not item_ids:
        log.info("replies: %s by %s matched no queued post (%s)", act.action, user, act.target or act.ts)
    return changed


def _targets(conn: Connection, act: Action) -> list[int]:
    if act.target:
        kind, _, value = act.target.partition(":")
        if kind == "item" and value.isdigit():
            row = store.item(conn, int(value))
            key = row.alert_key if row else None
            return [int(value)] if key and _clicked_on(conn, key, act) else []
        if kind == "summary" and value:
            return store.for_key(conn, value) if _clicked_on(conn, value, act) else []
        return []
    if act.channel and act.ts:
        key = store.at_message(conn, channel=act.channel, ts=act.ts)
        return store.for_key(conn, key) if key else []
    return []


def _clicked_on(conn: Connection, key: str, act: Action) -> bool:
    """Whether the button was on the message delivered for ``key``: a value copied elsewhere changes nothing."""
    delivered = outbox.location(conn, key)
    if delivered is not None and delivered == (act.channel, act.ts):
        return True
    log.warning(
        "replies: %s on %s ignored: it came from message %s/%s, not from that alert (%s)",
        act.action,
        act.target,
        act.channel,
        act.ts,
        "/".join(delivered) if delivered else "not delivered yet",
    )
    return False


def _apply_one(
    conn: Connection, item_id: int, action: str, user: str, settings: ReplySettings, *, now: datetime
) -> tuple[store.Item, str] | None:
    """Change one item; (the item as it was, a note for its thread) if it changed."""
    row = store.item(conn, item_id)
    if row is None or row.status not in store.ACTIVE:
        return None  # closed already (a double click, or the brand answered meanwhile)
    who = _who(user)
    if action == ACKNOWLEDGE:
        if row.status == store.ACKNOWLEDGED:
            return None
        ok = store.change(conn, item_id, status=store.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=user)
        note = f":eyes: Acknowledged by {who}."
    elif action == SNOOZE:
        until = now + settings.snooze
        ok = store.change(conn, item_id, status=store.SNOOZED, snoozed_until=until, snoozed_by=user)
        note = f":zzz: Snoozed by {who} for {format_duration(settings.snooze)}."
    elif action == HANDLED:
        within = now <= row.due_at
        ok = store.change(conn, item_id, status=store.HANDLED, closed_at=now, closed_by=user, within_sla=within)
        note = f":white_check_mark: Handled by {who}" + (" within the SLA." if within else " after the deadline.")
    else:  # NOT_NEGATIVE: no reply was needed; the correction is kept for evaluation and retraining
        ok = store.change(conn, item_id, status=store.NOT_NEGATIVE, closed_at=now, closed_by=user, within_sla=None)
        if ok:
            conn.execute(
                classification_feedback.insert().values(
                    post_pk=row.post_pk,
                    label="not_negative",
                    model_label=row.post_sentiment,
                    user_id=user,
                    created_at=now,
                )
            )
        note = f":ok_hand: Marked not negative by {who}; kept as feedback on the classifier."
    return (row, note) if ok else None


_VERB = {ACKNOWLEDGE: "Acknowledged", HANDLED: "Handled", NOT_NEGATIVE: "Marked not negative", SNOOZE: "Snoozed"}


def _who(user: str) -> str:
    return f"<@{user}>" if user != "unknown" else "someone"
