"""Untrusted text made safe for Slack: no pings, no injected markup, within Slack's limits."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, tzinfo

SECTION_LIMIT = 3000  # characters in a section block's text
HEADER_LIMIT = 150
FALLBACK_LIMIT = 3500  # chat.postMessage "text": Slack truncates past 40k; keep notifications short
MAX_BLOCKS = 50

_URL = re.compile(r"^https?://[^\s<>|\"']+$")
# Zero-width space: stops *bold*, _italic_, ~strike~, `code` and > quotes from forming.
_ZWSP = "\u200b"
# A * _ ~ between two letters or digits (mike_r, a*b) can neither open nor close formatting in Slack, so it
# is left alone: names read as written. Anywhere else (and every ` and >) it gets a zero-width space.
_MARKUP = re.compile(r"[*_~`>]")


def escape(text: str) -> str:
    """Escape Slack's control characters, so ``<!channel>`` or ``<@U123>`` show as text and never ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clean(text: str) -> str:
    """Drop control characters (keeping newlines and tabs) that can break a message's layout."""
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cf"} or ch in "\u200d\u200c"
    )


def isolate(text: str) -> str:
    """Wrap in Unicode bidi isolates so right-to-left text cannot reorder what follows it."""
    return f"\u2068{text}\u2069"


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    note = f" … [{len(text) - limit + 40:,} more characters]"
    return text[: max(0, limit - len(note))] + note


def plain(text: str, limit: int = SECTION_LIMIT) -> str:
    """Untrusted text for a ``plain_text`` object: escaped, cleaned, isolated, truncated."""
    cleaned = clean(text)
    budget = limit - 8
    safe = escape(isolate(truncate(cleaned, budget)))
    while len(safe) > limit:  # escaping grew it ("<" is 4 characters as "&lt;"): cut more
        budget -= len(safe) - limit
        safe = escape(isolate(truncate(cleaned, budget)))
    return safe


def inline(text: str, limit: int = 200) -> str:
    """Untrusted text for the inside of a ``mrkdwn`` string: escaped and stripped of markup."""
    safe = escape(truncate(clean(text).replace("\n", " "), limit))
    return isolate(_MARKUP.sub(_defuse, safe))


def _defuse(m: re.Match[str]) -> str:
    text, at, char = m.string, m.start(), m.group(0)
    if char in "*_~" and 0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum():
        return char
    return char + _ZWSP


def link(url: str | None, label: str) -> str:
    """A mrkdwn link if ``url`` is a plain http(s) URL, else the bare (safe) label."""
    if url and _URL.match(url):
        return f"<{escape(url)}|{label}>"
    return label


def date(when: datetime, zone: tzinfo | None = None) -> str:
    """A Slack date token: each reader sees it in their own time zone; where Slack cannot render it
    (notifications, old clients), the fallback is in ``zone``, the team's."""
    epoch = int(when.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{clock_text(when, zone)}>"


def clock_text(when: datetime, zone: tzinfo | None = None) -> str:
    """``2026-11-20 09:15 CET``: a time for plain text (notifications, fallbacks), in ``zone`` (default UTC)."""
    local = when.astimezone(zone or UTC)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
