"""Slack messages as people read them outside Slack: plain text for a terminal, or Markdown.

The blocks are the ones sent to Slack, so the console shows the same facts (score, language, link, reason).
Slack renders ``<!date^…>`` tokens in each reader's zone; here they are written in the team's zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal

Style = Literal["text", "markdown"]

# Slack emoji codes our own messages use, as the characters a terminal shows.
EMOJI = {
    "red_circle": "🔴",
    "large_yellow_circle": "🟡",
    "white_circle": "⚪",
    "warning": "⚠️",
    "rotating_light": "🚨",
    "hourglass_flowing_sand": "⏳",
    "alarm_clock": "⏰",
    "zzz": "💤",
    "white_check_mark": "✅",
    "chart_with_upwards_trend": "📈",
    "speech_balloon": "💬",
}
RULE = "─" * 60

_DATE = re.compile(r"<!date\^(\d+)\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|([^>]*))?>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)>")
_GROUP = re.compile(r"<!subteam\^([A-Z0-9]+)>")
_EMOJI = re.compile(r":([a-z_]+):")
# Our own bold (an untrusted "*" is followed by a zero-width space, so it never opens one).
_BOLD = re.compile(r"(?<![\w*])\*(?!\u200b)([^*\n]+?)\*(?!\w)")
_INVISIBLE = str.maketrans("", "", "\u200b\u2068\u2069")


def local_time(when: datetime, zone: tzinfo) -> str:
    """``Fri 20 Nov 09:15`` in ``zone``."""
    local = when.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def mrkdwn(text: str, *, zone: tzinfo, style: Style = "text") -> str:
    """Slack mrkdwn as plain text (or Markdown): dates in ``zone``, links spelled out, no escapes or markers."""

    def when(m: re.Match[str]) -> str:
        return local_time(datetime.fromtimestamp(int(m.group(1)), UTC), zone)

    def link(m: re.Match[str]) -> str:
        url, label = m.group(1), m.group(2)
        if style == "markdown":
            return f"[{label or url}]({url})"
        return f"{label} ({url})" if label and label != url else url

    text = _DATE.sub(when, text)
    text = _LINK.sub(link, text)
    text = _USER.sub(r"@\1", text)
    text = _GROUP.sub(r"@\1", text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    text = _BOLD.sub(r"**\1**" if style == "markdown" else r"\1", text)
    text = text.replace("```", "\n" if style == "text" else "\n```\n").replace("\n\n", "\n")
    return unescape(text)


def unescape(text: str) -> str:
    """Slack's three escapes undone and the invisible characters that only guard Slack's markup removed."""
    text = text.translate(_INVISIBLE)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_blocks(
    blocks: Sequence[Mapping[str, Any]], *, zone: tzinfo, style: Style = "text", buttons: bool = True
) -> list[str]:
    """Block Kit blocks as lines: headers, sections, context and (with ``buttons``) the buttons offered."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = unescape(block["text"]["text"])
            lines.append(f"## {title}" if style == "markdown" else f"▌ {title}")
        elif kind == "section" and "text" in block:
            lines.extend(_text(block["text"], zone=zone, style=style).splitlines())
        elif kind == "context":
            parts = [_text(e, zone=zone, style=style) for e in block.get("elements", ()) if "text" in e]
            lines.extend(("  " if style == "text" else "") + p for p in " · ".join(parts).splitlines())
        elif kind == "divider":
            lines.append("---" if style == "markdown" else RULE)
        elif kind == "actions" and buttons:
            labels = [unescape(e["text"]["text"]) for e in block.get("elements", ()) if "text" in e]
            lines.append("  " + " ".join(f"[{label}]" for label in labels))
    return lines


def _text(obj: Mapping[str, Any], *, zone: tzinfo, style: Style) -> str:
    if obj.get("type") == "mrkdwn":
        return mrkdwn(str(obj.get("text", "")), zone=zone, style=style)
    return unescape(str(obj.get("text", "")))
