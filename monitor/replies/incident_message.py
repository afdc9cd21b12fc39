"""The Slack message of an incident: what happened, its posts rolled up, one answer, buttons for all of them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, tzinfo
from typing import Any

from monitor.alerts.messages import platform_name
from monitor.alerts.outbox import Message
from monitor.alerts.slack_text import HEADER_LIMIT, clean, date, escape, inline, link, plain, truncate
from monitor.replies.incidents import BURST, Incident
from monitor.replies.messages import PRIORITY_MARK, STATUS_TEXT, bulk_buttons, mention, thread_message
from monitor.replies.priority import reach
from monitor.replies.store import ACTIVE, Item

TOP_BY_REACH = 5
OWN_THREADS_SHOWN = 10


def incident(
    record: Incident,
    members: Sequence[Item],
    *,
    playbook: str,
    page: Sequence[str],
    threads: Mapping[int, str],
    update_rev: int = 0,
    zone: tzinfo = UTC,
) -> Message:
    """The incident's message (``update_rev``: a chat.update of it). ``threads``: item id -> its thread's URL."""
    key = record.incident_key
    total = len(members)
    title = _headline(record, total)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(title, HEADER_LIMIT)}},
    ]
    explanation = _explanation(record.explanation)
    if explanation:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate(explanation, 2900)}})
    rollup = truncate(_rollup(record, members, zone), 2900)
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": rollup}})
    top = sorted(members, key=lambda m: (-(reach(m.post_metrics) or 0), m.id))[:TOP_BY_REACH]
    if top:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Top {len(top)} by reach:*"}})
    for row in top:
        who = reach(row.post_metrics)
        body = (
            f"{PRIORITY_MARK.get(row.priority, row.priority)} · {inline(row.post_author or 'unknown', 60)} · "
            f"{platform_name(row.platform)} · " + (f"reach {who:,} · " if who is not None else "")
            + f"{STATUS_TEXT.get(row.status, row.status).split(':')[0].lower()} · {link(row.post_url, 'open')}"
            + (f" · {link(threads[row.id], 'its thread')}" if row.id in threads else "")
            + f"\n{inline(row.post_text or '', 280)}"
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate(body, 2900)}})
    own = [m for m in members if m.summary_key is None]
    if own:
        lines = [f"*With a thread of their own ({len(own)}, high priority):*"]
        for row in own[:OWN_THREADS_SHOWN]:
            where = link(threads.get(row.id), "thread") if row.id in threads else "thread pending"
            lines.append(f"• {inline(row.post_author or 'unknown', 60)} ({platform_name(row.platform)}): {where}")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate("\n".join(lines), 2900)}})
    if any(m.status in ACTIVE for m in members) or not members:
        answer = playbook.replace("{brand}", record.brand or "").replace("{author}", "there")
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "plain_text",
                    "text": "Suggested answer for all: " + escape(truncate(clean(answer), 1500)),
                    "emoji": True,
                },
            }
        )
    if page:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Paged: {mention(page)}"}]})
    blocks.append(bulk_buttons(f"summary:{key}"))
    text = f"{title} ({_counts(members)})"
    if page and not update_rev:
        text += f" {mention(page)}"
    return thread_message(key, "reply_incident", channel=record.channel, text=text, blocks=blocks,
                          update=bool(update_rev), revision=update_rev)


def _headline(record: Incident, total: int) -> str:
    if record.kind == BURST:
        return f"Incident: {total:,} posts due for reply at once"
    who = record.brand or ""
    if record.explanation and not record.title:
        return f"Incident: spike in negative mentions of {who}"
    # The title is a customer's words: escaped (the fallback text is parsed for mentions), never markup.
    return f"Incident: {who}: “{plain(record.title, 120)}”"


def _explanation(explanation: Mapping[str, Any] | None) -> str:
    """The spike's explanation: volume against expectation, what it is, what drives it."""
    if not explanation:
        return ""
    lines = [f"*Spike:* {inline(str(explanation.get('headline') or ''), 400)}"]
    if explanation.get("summary"):
        lines.append(f"*What it is:* {inline(str(explanation['summary']), 300)}")
    terms = explanation.get("terms") or []
    if terms:
        lines.append("*Over-represented:* " + ", ".join(inline(str(t), 40) for t in terms[:8]))
    return "\n".join(lines)


def _rollup(record: Incident, members: Sequence[Item], zone: tzinfo) -> str:
    since = date(record.window_start, zone)
    platforms = Counter(platform_name(m.platform) for m in members)
    languages = Counter(m.post_lang or "unknown" for m in members)
    earliest = min((m.due_at for m in members if m.status in ACTIVE), default=None)
    parts = [
        f"*{len(members):,} posts* due for reply since {since}, every one in the reply queue with its own deadline.",
        f"*Status:* {_counts(members)}" + (f" · earliest deadline {date(earliest, zone)}" if earliest else ""),
        "*Where:* " + (", ".join(f"{p} {n}" for p, n in platforms.most_common(8)) or "none yet"),
        "*Languages:* " + (", ".join(f"{inline(lang, 8)} {n}" for lang, n in languages.most_common(8)) or "none yet"),
    ]
    if record.category:
        parts.append(f"*Category:* {inline(record.category, 64)}")
    return "\n".join(parts)


def _counts(members: Sequence[Item]) -> str:
    by_status = Counter(m.status for m in members)
    by_priority = Counter(m.priority for m in members)
    status = ", ".join(f"{n} {STATUS_TEXT.get(s, s).split(':')[0].lower()}" for s, n in sorted(by_status.items()))
    priority = ", ".join(f"{n} {p}" for p, n in sorted(by_priority.items()))
    return f"{status or 'no posts yet'}; {priority or 'no priority'}"
