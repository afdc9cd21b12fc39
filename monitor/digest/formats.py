"""The digest outside Slack (``digest --dry-run --format``): plain text, Markdown, or JSON for other tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from monitor.alerts.terminal import render_blocks
from monitor.digest.model import Digest
from monitor.digest.render import Part

Format = Literal["text", "markdown", "json"]
FORMATS: tuple[Format, ...] = ("text", "markdown", "json")


def export(digest: Digest, parts: list[Part], *, form: Format, chart: Path | None) -> str:
    """The digest as ``form``: what Slack shows, with times in the digest's zone and no Slack markup."""
    zone = ZoneInfo(digest.timezone)
    if form == "json":
        return json.dumps(_data(digest, parts, chart), ensure_ascii=False, indent=2) + "\n"
    style: Literal["text", "markdown"] = "markdown" if form == "markdown" else "text"
    lines: list[str] = []
    for part in parts:
        lines.extend(render_blocks(part.blocks, zone=zone, style=style))
    if chart is not None:
        lines.append(f"![chart]({chart.as_uri()})" if style == "markdown" else f"Chart: {chart}")
    if style == "markdown":  # a blank line between blocks keeps Markdown paragraphs apart
        return "\n\n".join(line for line in lines if line.strip()) + "\n"
    return "\n".join(lines) + "\n"


def _data(digest: Digest, parts: list[Part], chart: Path | None) -> dict[str, Any]:
    brands = []
    for b in digest.brands:
        v, r = b.today.volume, b.today.replies
        brands.append(
            {
                "brand": b.brand,
                "mentions": v.total,
                "classified": v.classified,
                "negative": v.negative,
                "negative_share": v.negative_share if v.classified else None,
                "by_platform": {p: n for p, n, _ in v.by_platform},
                "by_language": dict(v.by_language),
                "spikes": len(b.today.spikes),
                "replies": {
                    "needed": r.needed,
                    "replied": r.replied,
                    "within_sla": r.within,
                    "breached": r.breached,
                    "open": b.open_count,
                    "open_overdue": b.open_overdue,
                    "median_first_reply_seconds": r.median_seconds,
                },
            }
        )
    return {
        "day": digest.day.isoformat(),
        "timezone": digest.timezone,
        "built_at": digest.built_at.isoformat(),
        "brands": brands,
        "chart": str(chart) if chart else None,
        "slack_messages": [{"text": p.text, "blocks": p.blocks} for p in parts],
    }
