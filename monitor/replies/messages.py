"""The Slack messages of a post due for reply: the alert (edited as its state changes), and its thread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from monitor.alerts.messages import platform_name
from monitor.alerts.outbox import Message
from monitor.alerts.slack_text import (
    HEADER_LIMIT,
    MAX_BLOCKS,
    clean,
    clock_text,
    date,
    escape,
    inline,
    link,
    plain,
    truncate,
)
from monitor.replies.priority import reach
from monitor.replies.store import CLOSED, History, Item
from values.durations import spoken

ACTION_PREFIX = "reply_"  # action_id of our buttons: reply_acknowledge, reply_handled, ...
BUTTONS = (
    ("acknowledge", "Acknowledge", "primary"),
    ("handled", "Handled", None),
    ("not_negative", "Not negative", None),
    ("snooze", "Snooze", None),
)
PRIORITY_MARK = {
    "high": ":red_circle: High priority",
    "normal": ":large_yellow_circle: Normal",
    "low": ":white_circle: Low",
}
STATUS_TEXT = {
    "open": "Open: waiting for a reply",
    "acknowledged": "Acknowledged",
    "snoozed": "Snoozed",
    "handled": "Handled",
    "replied": "Replied on the platform",
    "not_negative": "Marked not negative",
}


def mention(ids: Sequence[str]) -> str:
    """Slack mentions for user (U…/W…) and user group (S…) ids (validated in config)."""
    return " ".join(f"<!subteam^{i}>" if i.startswith("S") else f"<@{i}>" for i in ids)


def alert(
    row: Item,
    *,
    brand_history: History,
    playbook: str,
    mentions: Sequence[str],
    key: str,
    update: bool = False,
    revision: int = 0,
    zone: tzinfo = UTC,
    now: datetime | None = None,
) -> Message:
    """The thread's first message; with ``update`` it is a chat.update of it showing the new state.

    Times in text are in ``zone`` (the team's); an open post past its deadline at ``now`` says by how much.
    """
    where = platform_name(row.platform)
    author = row.post_author or "unknown"
    status = row.status
    closed = status in CLOSED
    overdue = now - row.due_at if now is not None and not closed and now > row.due_at else None
    headline = f"Reply due: {row.brand} on {where}"
    if closed:
        headline = f"Closed: {row.brand} on {where}"
    who = reach(row.post_metrics or {})
    facts = [
        f"by *{inline(author, 80)}*",
        f"reach {who:,}" if who is not None else "reach unknown",
        f"sentiment {inline(row.post_sentiment or 'unclassified', 16)} ({float(row.post_negative or 0):.0%} negative)",
        f"language {inline(row.post_lang, 8)}" if row.post_lang else "language unknown",
        f"category *{inline(row.category, 64)}*" if row.category else "no category",
        f"posted {date(row.posted_at, zone)}",
        link(row.post_url, "open the post"),
    ]
    due = f"*Due {date(row.due_at, zone)}*" + (f" · *overdue by {spoken(overdue)}*" if overdue else "")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(headline, HEADER_LIMIT)}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": truncate(
                    f"{PRIORITY_MARK.get(row.priority, row.priority)} · {due}\n*Why:* {inline(row.reason, 600)}",
                    2900,
                ),
            },
        },
        {"type": "section", "text": {"type": "plain_text", "text": plain(row.post_text or ""), "emoji": False}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(" · ".join(facts), 2900)}]},
    ]
    if brand_history.total:
        lines = [
            f"*Earlier posts about {inline(row.brand, 60)} by this author:* {brand_history.total} "
            f"({brand_history.negative} negative)"
        ]
        for earlier in brand_history.latest:
            lines.append(
                f"• {date(earlier.created_at, zone)} {inline(earlier.sentiment or '', 10)}: "
                f"{link(earlier.url, inline(earlier.text or '', 160))}"
            )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate("\n".join(lines), 2900)}})
    else:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "First post by this author"}]})
    if not closed:
        suggestion = playbook.replace("{author}", author).replace("{brand}", row.brand)
        suggestion = suggestion.replace("{category}", row.category or "")
        # plain_text, so nothing needs defusing and the answer can be copied exactly as shown.
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "plain_text",
                    "text": "Suggested first response: " + escape(truncate(clean(suggestion), 1500)),
                    "emoji": True,
                },
            }
        )
    if mentions and not closed:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"For {mention(mentions)}"}]})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": status_line(row, zone=zone)}]})
    if not closed:
        blocks.append(_buttons(f"item:{row.id}"))
    when = f"overdue by {spoken(overdue)}" if overdue else f"due {clock_text(row.due_at, zone)}"
    fallback = (
        f"Reply {when}: {row.brand} on {where}, {inline(author, 80)} ({row.priority}): "
        f"{plain(row.post_text or '', 300)}"
    )
    if closed:
        fallback = f"{row.brand} on {where}, {inline(author, 80)}: {_closed_sentence(row, zone=zone, slack=False)}"
    return thread_message(key, "reply", channel=row.channel, text=fallback, blocks=blocks, update=update,
                          revision=revision)


def thread_message(
    key: str, kind: str, *, channel: str, text: str, blocks: list[dict[str, Any]], update: bool, revision: int
) -> Message:
    """A thread's first message, posted under ``key``; with ``update``, a chat.update of it showing state
    ``revision``: an outbox row of its own (``<key>:state:<revision>``, kind ``<kind>_update``) that edits the
    message posted under ``key``."""
    return Message(
        dedup_key=f"{key}:state:{revision}" if update else key,
        kind=f"{kind}_update" if update else kind,
        channel=channel,
        text=text,
        blocks=blocks[:MAX_BLOCKS],
        update_key=key if update else None,
    )


def reminder(row: Item, *, key: str, zone: tzinfo = UTC, now: datetime | None = None) -> Message:
    """In the thread, before the deadline."""
    who = f" {mention([row.acknowledged_by])}" if row.acknowledged_by else ""
    left = f", in {spoken(row.due_at - now)}" if now is not None and now < row.due_at else ""
    text = f":hourglass_flowing_sand: Reminder: a reply is due {date(row.due_at, zone)}{left}.{who}"
    return Message(dedup_key=f"{key}:reminder", kind="reply_reminder", channel=row.channel, text=text, thread_key=key)


def escalation(
    row: Item, *, key: str, page: Sequence[str], cover: str, zone: tzinfo = UTC, now: datetime | None = None
) -> Message:
    """In the thread, at the deadline: pages whoever covers the time."""
    late = f"overdue by {spoken(now - row.due_at)}" if now is not None and now > row.due_at else "the deadline passed"
    if page:
        who = f"{mention(page)}: " + ("you are on call now." if cover == "on_call" else "please take it.")
    elif row.priority != "high" and row.incident_key is None:
        who = "On-call is paged for high priority and incidents only."
    else:
        who = "Nobody is set to be paged ([replies] on_call)."
    text = (
        f":rotating_light: No reply yet, {late} (due {date(row.due_at, zone)}): {row.priority} priority post by "
        f"{inline(row.post_author or 'unknown', 80)}. {who}"
    )
    return Message(
        dedup_key=f"{key}:escalation",
        kind="reply_escalation",
        channel=row.channel,
        text=text,
        thread_key=key,
    )


def state_note(row: Item, *, key: str, revision: int, note: str) -> Message:
    """A line in the thread saying what changed and who did it."""
    return Message(
        dedup_key=f"{key}:note:{revision}", kind="reply_note", channel=row.channel, text=note, thread_key=key
    )


def incident_timer(
    channel: str,
    *,
    key: str,
    kind: str,
    count: int,
    first: tuple[datetime, int],
    page: Sequence[str],
    zone: tzinfo = UTC,
) -> Message:
    """One reminder or escalation line, per check, for all the incident's grouped posts that reached it.

    ``first`` is (deadline, item id) of the post with the earliest deadline; the id keys the message,
    since each item is reminded and escalated only once.
    """
    due, first_item = first
    if kind == "reminder":
        text = (
            f":hourglass_flowing_sand: Reminder: {count:,} posts of this incident are due, "
            f"the first {date(due, zone)}."
        )
    else:
        who = mention(page) if page else "nobody is configured to page ([replies] on_call)"
        text = (
            f":rotating_light: {count:,} posts of this incident passed their deadline (the first {date(due, zone)}) "
            f"unanswered. {who}"
        )
    return Message(
        dedup_key=f"{key}:{kind}:{first_item}",
        kind=f"reply_{kind}",
        channel=channel,
        text=text,
        thread_key=key,
    )


def bulk_buttons(value: str) -> dict[str, Any]:
    """Acknowledge all / Handled all / Not negative all: for every post of an incident."""
    return _buttons(value, bulk=True)


def _buttons(value: str, *, bulk: bool = False) -> dict[str, Any]:
    elements = []
    for action, label, style in BUTTONS:
        if bulk and action == "snooze":
            continue
        button: dict[str, Any] = {
            "type": "button",
            "action_id": f"{ACTION_PREFIX}{action}",
            "text": {"type": "plain_text", "text": f"{label} all" if bulk else label},
            "value": value,
        }
        if style:
            button["style"] = style
        elements.append(button)
    return {"type": "actions", "block_id": "reply_actions", "elements": elements}


def status_line(row: Item, *, zone: tzinfo = UTC) -> str:
    """The item's state as one sentence: who did what, when, and how that compares with the deadline."""
    status = row.status
    if status in CLOSED:
        return f"*Status:* {_closed_sentence(row, zone=zone, slack=True)}"
    if status == "snoozed":
        text = "snoozed"
        if row.snoozed_by:
            text += f" by {mention([row.snoozed_by])}"
        if row.snoozed_until:
            text += f" until {date(row.snoozed_until, zone)}"
    elif status == "acknowledged":
        who = f" by {mention([row.acknowledged_by])}" if row.acknowledged_by else ""
        text = f"acknowledged{who}, waiting for a reply"
    else:
        text = "open, waiting for a reply"
    if row.escalated_at:
        text += f"; escalated {date(row.escalated_at, zone)}"
    return f"*Status:* {text}."


def _closed_sentence(row: Item, *, zone: tzinfo, slack: bool) -> str:
    """``closed: the brand replied on the platform <time>, 12 min before the deadline.``"""

    def at(when: datetime) -> str:
        return date(when, zone) if slack else clock_text(when, zone)

    def who(user: str | None) -> str:
        if not user:
            return ""
        return f" by {mention([user])}" if slack else f" by {user}"

    status = row.status
    if status == "replied":
        when = row.first_reply_at or row.closed_at
        done = "closed: the brand replied on the platform" + (f" {at(when)}" if when else "")
    elif status == "handled":
        when = row.closed_at
        done = f"closed: handled in Slack{who(row.closed_by)}" + (f" {at(when)}" if when else "")
    else:
        return f"closed: marked not negative{who(row.closed_by)}" + (f" {at(row.closed_at)}." if row.closed_at else ".")
    if when is None:
        return done + "."
    if when <= row.due_at:
        return f"{done}, {spoken(row.due_at - when)} before the deadline."
    return f"{done}, {spoken(when - row.due_at)} after the deadline."
