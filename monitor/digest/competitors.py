"""The digest's competitor comparison: every brand's share of voice and negative share, side by side.

Share of voice is a brand's mentions among all the compared brands' mentions of
the day (the same weekday a week before for the change); negative share is the
brand's negative mentions among its classified ones. A competitor appears only
here: it is monitored for comparison and pages no one, so it has no section of
its own (no reply queue, no spikes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.alerts.slack_text import SECTION_LIMIT, escape, truncate
from monitor.digest import formatting as fmt
from monitor.digest.model import Digest, Volume

NAME_WIDTH = 18


@dataclass(frozen=True, slots=True)
class Standing:
    """One brand's figures in the comparison."""

    brand: str
    competitor: bool
    mentions: int
    share_of_voice: float | None
    share_of_voice_week_ago: float | None
    negative_share: float | None
    negative_share_week_ago: float | None


def standings(digest: Digest) -> tuple[Standing, ...]:
    """Each brand of the digest, most mentioned first (the digest's own brands first on a tie)."""
    today = {b.brand: b.today.volume for b in digest.brands}
    before = {b.brand: b.week_ago.volume for b in digest.brands}
    out = [
        Standing(
            brand=name,
            competitor=name in digest.competitors,
            mentions=today[name].total,
            share_of_voice=_share(today, name),
            share_of_voice_week_ago=_share(before, name),
            negative_share=today[name].negative_share,
            negative_share_week_ago=before[name].negative_share,
        )
        for name in today
    ]
    return tuple(sorted(out, key=lambda s: (-s.mentions, s.competitor, s.brand)))


def _share(volumes: dict[str, Volume], brand: str) -> float | None:
    total = sum(v.total for v in volumes.values())
    return volumes[brand].total / total if total else None


def competitor_blocks(digest: Digest) -> list[dict[str, Any]]:
    """The comparison as Slack blocks; none when no brand is marked ``competitor``."""
    if not digest.competitors:
        return []
    rows = [f"{'brand':<{NAME_WIDTH}}  mentions  share of voice (week)  negative (week)"]
    for s in standings(digest):
        # A brand name is config, not post text, but it goes inside a code block: keep it to one plain line.
        name = (s.brand + (" *" if s.competitor else ""))[:NAME_WIDTH].replace("`", "'")
        voice = f"{fmt.share(s.share_of_voice)} ({fmt.points(s.share_of_voice, s.share_of_voice_week_ago)})"
        negative = f"{fmt.share(s.negative_share)} ({fmt.points(s.negative_share, s.negative_share_week_ago)})"
        rows.append(f"{name:<{NAME_WIDTH}}  {s.mentions:>8,}  {voice:>21}  {negative:>15}")
    table = "```\n" + escape("\n".join(rows)) + "\n```"
    return [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": truncate("*Competitors side by side*\n" + table, SECTION_LIMIT),
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "* competitor: monitored for comparison, never alerted on. Changes are against the "
                    "same weekday last week, in percentage points.",
                }
            ],
        },
    ]
