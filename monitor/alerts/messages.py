"""The alert messages the core sends (Block Kit with a plain-text fallback)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from monitor.alerts.outbox import Message
from monitor.alerts.slack_text import HEADER_LIMIT, date, inline, link, plain, truncate
from values.redaction import redact

PLATFORM_NAMES = {
    "x": "X",
    "reddit": "Reddit",
    "hn": "Hacker News",
    "hackernews": "Hacker News",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "rss": "News/RSS",
}


@dataclass(frozen=True, slots=True)
class AlertPost:
    """What an alert needs to know about a post."""

    pk: int
    platform: str
    post_id: str
    author: str
    text: str
    url: str | None
    created_at: datetime
    followers: int | None
    negative: float
    lang: str | None


def platform_name(platform: str) -> str:
    """The platform's display name."""
    return PLATFORM_NAMES.get(platform, platform)


def negative_post(brand: str, post: AlertPost, *, channel: str, zone: tzinfo = UTC) -> Message:
    """One alert for one new negative post about ``brand`` (times in ``zone``, the team's, where Slack
    cannot show them in the reader's own)."""
    where = platform_name(post.platform)
    reach = f"{post.followers:,} followers" if post.followers is not None else "reach unknown"
    facts = [
        f"by {inline(post.author or 'unknown', 80)}",
        reach,
        f"negative {post.negative:.0%}",
        f"language {inline(post.lang, 8)}" if post.lang else "language unknown",
        f"posted {date(post.created_at, zone)}",
        link(post.url, "open the post"),
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(f"Negative mention of {brand} on {where}", HEADER_LIMIT)},
        },
        {"type": "section", "text": {"type": "plain_text", "text": plain(post.text), "emoji": True}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(facts)}]},
    ]
    fallback = (
        f"Negative mention of {brand} on {where} by {plain(post.author or 'unknown', 80)}: {plain(post.text, 300)}"
    )
    return Message(
        dedup_key=f"negative:{brand}:{post.platform}:{post.post_id}",
        kind="negative_post",
        channel=channel,
        text=fallback,
        blocks=blocks,
    )


def source_problem(source: str, brand: str, problem: str, *, channel: str, key: str) -> Message:
    """An operations alert: a source needs attention. ``problem`` is error text: secrets in it are masked."""
    text = redact(f"Source {source} ({brand}): {problem}")
    return Message(
        dedup_key=key,
        kind="ops",
        channel=channel,
        text=plain(text, 1000),
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f":warning: {inline(text, 1000)}"}}],
    )
