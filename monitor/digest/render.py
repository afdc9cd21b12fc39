"""The digest as Slack Block Kit messages, within Slack's limits; every post text through slack_text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from monitor.alerts.messages import platform_name as _platform_name
from monitor.alerts.slack_text import (
    FALLBACK_LIMIT,
    HEADER_LIMIT,
    MAX_BLOCKS,
    SECTION_LIMIT,
    escape,
    inline,
    link,
    truncate,
)
from monitor.digest import formatting as fmt
from monitor.digest.competitors import competitor_blocks
from monitor.digest.days import local_day
from monitor.digest.model import BrandDigest, Digest, HourRow, ReplyItemView, SpikeItem, Volume
from monitor.spikes.alerts import METRIC_NAMES


@dataclass(frozen=True, slots=True)
class Part:
    """One Slack message of the digest (the first is the digest; any others go in its thread)."""

    text: str
    blocks: list[dict[str, Any]]


def render(digest: Digest) -> list[Part]:
    """The digest as one message, or several when it has more blocks than Slack allows in one."""
    tz = ZoneInfo(digest.timezone)
    so_far = digest.built_at < local_day(digest.day, tz).end
    title = "Digest so far" if so_far else "Daily digest"
    blocks: list[dict[str, Any]] = [
        _header(f"{title}: {fmt.weekday(digest.day)} {digest.day.year}"),
        _context(
            (
                f"Up to {fmt.local_time(digest.built_at, tz)} {escape(digest.timezone)}"
                if so_far
                else f"Local day in {escape(digest.timezone)}"
            )
            + f"; changes are against {fmt.weekday(_week_ago(digest))}"
            + ("." if so_far else f". Replies as of {fmt.local_time(digest.built_at, tz)}.")
        ),
    ]
    for brand in digest.brands:
        if brand.brand in digest.competitors:  # compared side by side below, nothing of its own to act on
            continue
        blocks.append({"type": "divider"})
        blocks.extend(_brand_blocks(brand, digest, tz))
    if digest.competitors:
        blocks.append({"type": "divider"})
        blocks.extend(competitor_blocks(digest))
    blocks.append({"type": "divider"})
    blocks.extend(_staffing_blocks(digest.staffing))
    if digest.accuracy:
        blocks.append(_context(_accuracy(digest.accuracy)))
    fallback = truncate(_fallback(digest), FALLBACK_LIMIT)
    chunks = [blocks[i : i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)]
    parts = [Part(fallback, chunks[0])]
    for n, chunk in enumerate(chunks[1:], start=2):
        parts.append(Part(f"Daily digest {digest.day.isoformat()} (part {n} of {len(chunks)})", chunk))
    return parts


def as_text(parts: list[Part]) -> str:
    """What the messages say, for ``digest --dry-run`` (the same mrkdwn that Slack receives)."""
    lines: list[str] = []
    for part in parts:
        for block in part.blocks:
            if block["type"] == "divider":
                lines.append("-" * 40)
            elif block["type"] == "context":
                lines.extend(e["text"] for e in block["elements"])
            else:
                lines.append(block["text"]["text"])
    return "\n".join(lines) + "\n"


def platform_name(platform: str) -> str:
    """The platform's display name, escaped (a replayed post can carry any platform string)."""
    return escape(_platform_name(platform))


def _week_ago(digest: Digest) -> date:
    return digest.day - timedelta(days=7)


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(text, HEADER_LIMIT)}}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}]}


def _brand_blocks(b: BrandDigest, digest: Digest, tz: ZoneInfo) -> list[dict[str, Any]]:
    blocks = [_header(b.brand), _section(_overview(b))]
    if b.today.spikes:
        blocks.append(_section(_spikes(b.today.spikes, digest, tz)))
    if b.top_negative:
        blocks.append(_section(_top_negative(b, tz)))
    complaints = _complaints(b)
    if complaints:
        blocks.append(_section(complaints))
    blocks.append(_section(_replies(b, digest, tz)))
    return blocks


def _overview(b: BrandDigest) -> str:
    now, before = b.today.volume, b.week_ago.volume
    if now.total == 0:
        lines = [f"*No mentions* (last week: {fmt.count(before.total)})."]
    else:
        # Nothing a week before (a new install): changes against zero say nothing, so none are shown.
        compare = before.total > 0
        against = (
            f"{fmt.change(now.total, before.total)} vs last week's {fmt.count(before.total)}"
            if compare
            else "none the same day last week"
        )
        lines = [f"*{fmt.count(now.total)} mentions* ({against}) · {_negative(now, before)}"]
        if 0 < now.classified < now.total:
            lines.append(f"{fmt.count(now.total - now.classified)} not classified yet.")
        platforms = {p for p, _, _ in now.by_platform} | {p for p, _, _ in before.by_platform}
        ordered = sorted(platforms, key=lambda p: (-now.platform(p), p))
        lines.append(
            "By platform: "
            + " · ".join(
                f"{platform_name(p)} {fmt.count(now.platform(p))}"
                + (f" ({fmt.change(now.platform(p), before.platform(p))})" if compare else "")
                for p in ordered
            )
        )
        lines.append(
            "By language: "
            + " · ".join(
                f"{inline(lang, 16)} {fmt.count(n)}" + (f" ({fmt.change(n, before.language(lang))})" if compare else "")
                for lang, n in now.by_language[:8]
            )
        )
    spikes_before = len(b.week_ago.spikes)
    lines.append(f"Spikes: {len(b.today.spikes)} (last week {spikes_before}).")
    return "\n".join(lines)


def _negative(now: Volume, before: Volume) -> str:
    """The negative share, only where something was classified, with what it is a share of."""
    if now.classified == 0:
        return "sentiment: *not classified yet*"
    text = (
        f"*{fmt.share(now.negative_share)} negative* ({fmt.count(now.negative)} of {fmt.count(now.classified)} "
        "classified"
    )
    if before.classified == 0:
        return text + "; nothing classified last week to compare)"
    return text + f"; {fmt.points(now.negative_share, before.negative_share)} vs last week)"


def _spikes(items: tuple[SpikeItem, ...], digest: Digest, tz: ZoneInfo) -> str:
    lines = [f"*Spikes ({len(items)})*"]
    for s in items[:10]:
        metric = METRIC_NAMES.get(s.metric, s.metric)
        state = f"resolved {fmt.local_time(s.resolved_at, tz, day=digest.day)}" if s.resolved_at else "still open"
        line = (
            f"• {escape(metric)}: opened {fmt.local_time(s.opened_at, tz, day=digest.day)}, peak "
            f"{s.peak_count:,.0f} per {digest.spike_bucket_minutes} min at "
            f"{fmt.local_time(s.peak_at, tz, day=digest.day)} (expected {s.expected:,.1f}), {state}."
        )
        if s.terms:
            line += " Drivers: " + ", ".join(inline(t, 40) for t in s.terms[:5]) + "."
        if s.summary:
            line += " " + inline(s.summary, 200)
        if s.top_url:
            line += " " + link(s.top_url, "top post")
        lines.append(line)
    if len(items) > 10:
        lines.append(f"… and {len(items) - 10} more.")
    return "\n".join(lines)


def _top_negative(b: BrandDigest, tz: ZoneInfo) -> str:
    lines = ["*Top negative posts by reach*"]
    for n, p in enumerate(b.top_negative, start=1):
        who = f"{inline(p.author or 'unknown', 60)} ({fmt.count(p.reach)} reach)"
        lines.append(
            f"{n}. {platform_name(p.platform)} · {who} · {fmt.local_time(p.created_at, tz)}: "
            f"{inline(p.text, 200)} {link(p.url, 'open')}".rstrip()
        )
    return "\n".join(lines)


def _complaints(b: BrandDigest) -> str:
    lines = []
    if b.categories:
        lines.append(
            "Categories: "
            + " · ".join(
                f"{inline(c.category, 40)} {c.day} (last week {c.week_ago}; {c.days_seen} of 7 days)"
                for c in b.categories[:8]
            )
        )
    if b.terms:
        lines.append(
            "Terms: " + " · ".join(f"{inline(t.term, 40)} ({t.posts} posts; {t.days_seen} of 7 days)" for t in b.terms)
        )
    return "*Recurring complaints*\n" + "\n".join(lines) if lines else ""


def _replies(b: BrandDigest, digest: Digest, tz: ZoneInfo) -> str:
    now, before = b.today.replies, b.week_ago.replies
    if now.needed == 0:
        lines = [f"*No posts needed a reply* (last week: {before.needed})."]
    else:
        median_before = f" (last week {fmt.duration(before.median_seconds)})" if before.median_seconds else ""
        within_before = f"; last week {fmt.share(before.within_share)}" if before.within_share is not None else ""
        lines = [
            f"*{now.needed} posts needed a reply* (last week {before.needed}): replied {now.replied}, "
            f"median first reply {fmt.duration(now.median_seconds)}{median_before}, "
            f"90th percentile {fmt.duration(now.p90_seconds)}.",
            f"Within SLA: {fmt.share(now.within_share)} ({now.within} of {now.within + now.breached}{within_before})"
            + (f"; {now.pending} not yet due." if now.pending else "."),
        ]
    if b.breaches:
        lines.append(f"*Breaches ({now.breached})*")
        lines.extend(_item(i, tz, digest) for i in b.breaches)
    if b.open_count:
        # A breach still open is listed once, above.
        listed = {(i.post.platform, i.post.url, i.posted_at) for i in b.breaches}
        rest = [i for i in b.open_items if (i.post.platform, i.post.url, i.posted_at) not in listed]
        above = len(b.open_items) - len(rest)
        note = f"{b.open_overdue} overdue" + (f"; {above} listed under breaches" if above else "")
        lines.append(f"*Still open: {b.open_count}* ({note})")
        lines.extend(_item(i, tz, digest) for i in rest)
    return "\n".join(lines)


def _item(item: ReplyItemView, tz: ZoneInfo, digest: Digest) -> str:
    answered = item.answered_at
    if answered is None:
        late = digest.built_at - item.due_at
        state = (
            f"no reply, {fmt.duration(late.total_seconds())} overdue"
            if late.total_seconds() > 0
            else (f"due {fmt.local_time(item.due_at, tz)}")
        )
    else:
        state = f"answered {fmt.duration((answered - item.due_at).total_seconds())} late"
    label = f"{platform_name(item.post.platform)} post by {inline(item.post.author or 'unknown', 40)}"
    category = f" [{inline(item.category, 30)}]" if item.category else ""
    return (
        f"• {link(item.post.url, label)}{category}, posted {fmt.local_time(item.posted_at, tz)}: {state}. "
        f"{inline(item.post.text, 120)}"
    )


def _staffing_blocks(rows: tuple[HourRow, ...]) -> list[dict[str, Any]]:
    peak = max((r.mentions for r in rows), default=0) or 1
    busy = [r for r in rows if r.mentions or r.needing_reply or r.breached]
    if not busy:
        return [_section("*Staffing: the last 7 days by local hour, all brands*\nNo mentions in the last 7 days.")]
    table = ["hour    mentions  need reply  breached"]
    quiet = len(rows) - len(busy)
    for r in busy:
        bar = "█" * round(10 * r.mentions / peak)
        table.append(
            f"{r.hour:02d}-{(r.hour + 1) % 24:02d}  {r.mentions:>8,}  {r.needing_reply:>10,}  {r.breached:>8,}  {bar}"
        )
    worst = sorted((r for r in rows if r.breached), key=lambda r: (-r.breached, r.hour))[:3]
    note = (
        "Most SLA breaches among posts written at " + ", ".join(f"{r.hour:02d}:00 ({r.breached})" for r in worst) + "."
        if worst
        else "No SLA breaches this week."
    )
    if quiet:
        note += f" The other {quiet} hours had no mentions."
    return [
        _section("*Staffing: the last 7 days by local hour, all brands*\n```" + "\n".join(table) + "```"),
        _context(note),
    ]


def _accuracy(rows: tuple[tuple[str, int, int], ...]) -> str:
    """How far to trust the negative share: the model's agreement with the team's checks, per language."""
    parts = [f"{escape(lang)} {fmt.share(agreed / checked)} of {fmt.count(checked)}" for lang, agreed, checked in rows]
    return ("Sentiment checked by the team (Slack corrections, answered posts), last 30 days, model right in: "
            + ", ".join(parts) + ".")


def _fallback(digest: Digest) -> str:
    items = []
    for b in digest.brands:
        v = b.today.volume
        negative = f"{fmt.share(v.negative_share)} negative" if v.classified else "not classified yet"
        items.append(
            f"{escape(b.brand)}: {fmt.count(v.total)} mentions, {negative}, "
            f"{len(b.today.spikes)} spikes, {b.today.replies.needed} needed a reply"
        )
    return f"Daily digest {digest.day.isoformat()}: " + "; ".join(items)
