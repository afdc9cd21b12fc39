"""The Slack messages of a post due for reply: the alert (edited as its state changes), and its thread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from monitor.alerts.messages import platform_name
from monitor.alerts.outbox import Message
from monitor.alerts.slack_text import HEADER_LIMIT, MAX_BLOCKS, clean, date, escape, inline, link, plain, truncate
from monitor.replies.priority import reach
from monitor.replies.store import History, Item

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
) -> Message:
    """The thread's first message; with ``update`` it is a chat.update of it showing the new state."""
    where = platform_name(row.platform)
    author = row.post_author or "unknown"
    status = row.status
    closed = status in ("handled", "replied", "not_negative")
    headline = f"Reply due: {row.brand} on {where}"
    if closed:
        headline = f"Closed: {row.brand} on {where}"
    who = reach(row.post_metrics or {})
    facts = [
        f"by *{inline(author, 80)}*",
        f"reach {who:,}" if who is not None else "reach unknown",
        f"sentiment {inline(row.post_sentiment or 'unclassified', 16)} "
        f"({float(row.post_negative or 0):.0%} negative)",
        f"language {inline(row.post_lang, 8)}" if row.post_lang else "language unknown",
        f"category *{inline(row.category, 64)}*" if row.category else "no category",
        f"posted {date(row.posted_at)}",
        link(row.post_url, "open the post"),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(headline, HEADER_LIMIT)}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": truncate(
                    f"{PRIORITY_MARK.get(row.priority, row.priority)} · *Due {date(row.due_at)}*\n"
                    f"*Why:* {inline(row.reason, 600)}",
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
                f"• {date(earlier.created_at)} {inline(earlier.sentiment or '', 10)}: "
                f"{link(earlier.url, inline(earlier.text or '', 160))}"
            )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate("\n".join(lines), 2900)}})
    else:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "First post by this author"}]})
    if not closed:
        suggestion = playbook.replace("{author}", author).replace("{brand}", row.brand)
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
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _status_line(row)}]})
    if not closed:
        blocks.append(_buttons(f"item:{row.id}"))
    fallback = (
        f"Reply due {_fallback_time(row.due_at)}: {row.brand} on {where}, "
        f"{inline(author, 80)} ({row.priority}): {plain(row.post_text or '', 300)}"
    )
    if closed:
        fallback = f"{STATUS_TEXT.get(status, status)}: {row.brand} on {where}, {inline(author, 80)}"
    return Message(
        dedup_key=f"{key}:state:{revision}" if update else key,
        kind="reply_update" if update else "reply",
        channel=row.channel,
        text=fallback,
        blocks=blocks[:MAX_BLOCKS],
        update_key=key if update else None,
    )


def reminder(row: Item, *, key: str) -> Message:
    """In the thread, before the deadline."""
    who = f" {mention([row.acknowledged_by])}" if row.acknowledged_by else ""
    text = f":hourglass_flowing_sand: Reminder: a reply is due {date(row.due_at)}.{who}"
    return Message(
        dedup_key=f"{key}:reminder", kind="reply_reminder", channel=row.channel, text=text, thread_key=key
    )


def escalation(row: Item, *, key: str, page: Sequence[str], cover: str) -> Message:
    """In the thread, at the deadline: pages whoever covers the time."""
    if page:
        who = mention(page)
    elif row.priority != "high" and row.incident_key is None:
        who = "on-call is paged for high priority and incidents only"
    else:
        who = "nobody is configured to page ([replies] on_call)"
    when = "on call now" if cover == "on_call" else "escalation"
    text = (
        f":rotating_light: Past the deadline ({date(row.due_at)}) with no reply. {who} ({when}): "
        f"{row.priority} priority post by {inline(row.post_author or 'unknown', 80)}."
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
    channel: str, *, key: str, kind: str, count: int, first: tuple[datetime, int], page: Sequence[str]
) -> Message:
    """One reminder or escalation line, per check, for all the incident's grouped posts that reached it.

    ``first`` is (deadline, item id) of the post with the earliest deadline; the id keys the message,
    since each item is reminded and escalated only once.
    """
    due, first_item = first
    if kind == "reminder":
        text = f":hourglass_flowing_sand: Reminder: {count:,} posts of this incident are due, the first {date(due)}."
    else:
        who = mention(page) if page else "nobody is configured to page ([replies] on_call)"
        text = (
            f":rotating_light: {count:,} posts of this incident passed their deadline (the first {date(due)}) "
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


def _status_line(row: Item) -> str:
    status = row.status
    text = f"*Status:* {STATUS_TEXT.get(status, status)}"
    if status == "acknowledged" and row.acknowledged_by:
        text += f" by {mention([row.acknowledged_by])}"
    if status == "snoozed" and row.snoozed_until:
        text += f" until {date(row.snoozed_until)}"
        if row.snoozed_by:
            text += f" by {mention([row.snoozed_by])}"
    if status in ("handled", "not_negative") and row.closed_by:
        text += f" by {mention([row.closed_by])}"
    if row.escalated_at and status not in ("handled", "replied", "not_negative"):
        text += f" · escalated {date(row.escalated_at)}"
    if row.closed_at:
        text += f" at {date(row.closed_at)}"
        if row.within_sla is not None:
            text += " (within SLA)" if row.within_sla else " (after the deadline)"
    if status == "replied" and row.first_reply_at:
        text += f": the brand answered {date(row.first_reply_at)}"
    return text


def _fallback_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")
