"""What a spike alert says: volume against expectation and what drives it, in one Slack thread."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select

from monitor.alerts.messages import platform_name
from monitor.alerts.outbox import Message
from monitor.alerts.slack_text import HEADER_LIMIT, date, inline, link, truncate
from monitor.spikes.detector import SpikeEvent
from monitor.spikes.settings import SpikeSettings
from monitor.storage.schema import mentions, posts

METRIC_NAMES = {"negative": "negative mentions", "volume": "mentions", "share": "share of negative mentions"}
TOP_POSTS = 5
MAX_POSTS_READ = 2000


def drivers(
    conn: Connection,
    *,
    brand: str,
    metric: str,
    start: datetime,
    end: datetime,
    count: float | None = None,
    expected: float | None = None,
) -> dict[str, Any]:
    """Why the spike is happening: volume vs expected, over-represented terms, top posts, platforms, copies."""
    conditions = [
        mentions.c.brand == brand,
        mentions.c.created_at >= start,
        mentions.c.created_at < end,
        mentions.c.from_brand.is_(False),
    ]
    if metric != "volume":
        conditions.append(mentions.c.negative.is_(True))
    rows = conn.execute(
        select(
            posts.c.platform,
            posts.c.post_id,
            posts.c.author,
            posts.c.text,
            posts.c.url,
            posts.c.lang,
            posts.c.metrics,
            posts.c.created_at,
        )
        .join(mentions, mentions.c.post_pk == posts.c.id)
        .where(and_(*conditions))
        .order_by(posts.c.id.desc())
        .limit(MAX_POSTS_READ)
    ).all()
    records = [
        {
            "platform": r.platform,
            "author": r.author,
            "text": r.text,
            "url": r.url,
            "lang": r.lang,
            "metrics": dict(r.metrics or {}),
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]
    from monitor.spikes.explain_bridge import explain_records

    return explain_records(
        records,
        baseline=_baseline_records(conn, brand=brand, metric=metric, before=start),
        brand=brand,
        count=count,
        expected=expected,
        minutes=int((end - start).total_seconds() // 60),
    )


def _baseline_records(conn: Connection, *, brand: str, metric: str, before: datetime) -> list[dict[str, Any]]:
    conditions = [mentions.c.brand == brand, mentions.c.created_at < before, mentions.c.from_brand.is_(False)]
    if metric != "volume":
        conditions.append(mentions.c.negative.is_(True))
    rows = conn.execute(
        select(posts.c.platform, posts.c.text, posts.c.lang, posts.c.author, posts.c.url, posts.c.metrics)
        .join(mentions, mentions.c.post_pk == posts.c.id)
        .where(and_(*conditions))
        .order_by(mentions.c.created_at.desc())
        .limit(MAX_POSTS_READ)
    ).all()
    return [
        {
            "platform": r.platform,
            "author": r.author,
            "text": r.text,
            "url": r.url,
            "lang": r.lang,
            "metrics": dict(r.metrics or {}),
        }
        for r in rows
    ]


def messages_for(
    event: SpikeEvent, spike: dict[str, Any], *, channel: str, settings: SpikeSettings, thread: str | None = None
) -> Iterator[Message]:
    """The outbox messages for one event: the thread's first message, then replies and an edited summary.

    With ``thread`` (an incident's key) the spike lives in that thread instead of starting its own.
    """
    key = f"spike:{spike['spike_key']}"
    if event.kind == "opened":
        yield _summary(spike, event, channel=channel, key=key, settings=settings, thread=thread)
        return
    n = spike["updates"]
    if event.kind == "resolved":
        text = (
            f"Resolved: back to baseline since {date(event.at)}. Peak {spike['peak_count']:.0f} per "
            f"{_bucket(settings)} at {date(spike['peak_at'])}."
        )
        yield Message(
            dedup_key=f"{key}:resolved:{spike['resolved_at'].isoformat()}",
            kind="spike_update",
            channel=channel,
            text=text,
            thread_key=thread or key,
        )
    else:
        verb = "Flaring up again" if event.reopened else "Still growing"
        text = (
            f"{verb}: {event.count:.0f} in the last {_bucket(settings)} (expected {event.expected:.1f}); "
            f"peak so far {spike['peak_count']:.0f}."
        )
        yield Message(
            dedup_key=f"{key}:update:{n}", kind="spike_update", channel=channel, text=text, thread_key=thread or key
        )
    yield _summary(spike, event, channel=channel, key=f"{key}:edit:{event.kind}:{n}", update_key=key, settings=settings)


def _summary(
    spike: dict[str, Any],
    event: SpikeEvent,
    *,
    channel: str,
    key: str,
    settings: SpikeSettings,
    update_key: str | None = None,
    thread: str | None = None,
) -> Message:
    brand, metric = spike["brand"], spike["metric"]
    what = METRIC_NAMES.get(metric, metric)
    status = "resolved" if spike["status"] == "resolved" else "ongoing"
    d = spike.get("drivers") or {}
    span = settings.bucket * max(event.window, 1)
    ratio = event.window_count / event.window_expected if event.window_expected > 0 else float("inf")
    headline = (
        f"*{event.window_count:.0f}* {what} in {_duration(span)} vs *{event.window_expected:.1f}* expected "
        f"({'∞' if ratio == float('inf') else f'{ratio:.1f}×'}) · started {date(spike['opened_at'])} · "
        f"peak {spike['peak_count']:.0f} per {_bucket(settings)} · {status}"
    )
    late = int(d.get("seen_late_minutes") or 0)
    if late >= 2 * settings.bucket.total_seconds() // 60:
        # Its posts came in late (a slow source, a catch-up): say so, so nobody reads it as a new wave.
        headline += f"\n_seen {late} min late: its posts arrived after the fact_"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(f"Spike in {what} of {brand}", HEADER_LIMIT)},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
    ]
    lines = []
    if d.get("summary") or d.get("nature"):
        lines.append(f"*What it is:* {inline(str(d.get('summary') or d['nature']), 300)}")
    if d.get("terms"):
        lines.append("*Over-represented:* " + ", ".join(inline(str(t), 40) for t in d["terms"][:8]))
    if d.get("platforms"):
        lines.append("*Where:* " + ", ".join(f"{platform_name(str(p))} {n}" for p, n in d["platforms"][:5]))
    if d.get("languages"):
        lines.append("*Languages:* " + ", ".join(f"{inline(str(lang), 8)} {n}" for lang, n in d["languages"][:6]))
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate("\n".join(lines), 2900)}})
    for post in (d.get("top_posts") or [])[:TOP_POSTS]:
        reach, engaged, copies = post.get("reach"), post.get("engagement"), post.get("copies") or 1
        facts = f"{inline(post.get('author') or 'unknown', 60)} · {platform_name(str(post.get('platform')))}"
        if reach:
            facts += f" · reach {int(reach):,}"
        if engaged:
            facts += f" · engagement {int(engaged):,}"
        if int(copies) > 1:
            facts += f" · {int(copies):,} copies"
        body = f"{facts} · {link(post.get('url'), 'open')}\n{inline(post.get('text') or '', 280)}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body}})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": (
                        f"sensitivity {settings.sensitivity} · p={event.p_value:.1e} · updates follow in this thread"
                    ),
                }
            ],
        }
    )
    text = (
        f"Spike in {what} of {brand}: {event.window_count:.0f} in {_duration(span)} vs "
        f"{event.window_expected:.1f} expected ({status})"
    )
    return Message(
        dedup_key=key,
        kind="spike",
        channel=channel,
        text=text,
        blocks=blocks[:50],
        update_key=update_key,
        thread_key=thread if update_key is None else None,
    )


def explanation(spike: dict[str, Any], event: SpikeEvent, *, settings: SpikeSettings) -> dict[str, Any]:
    """The spike in a few plain sentences, for the incident it opens: volume vs expected, what it is, terms."""
    what = METRIC_NAMES.get(spike["metric"], spike["metric"])
    span = settings.bucket * max(event.window, 1)
    d = spike.get("drivers") or {}
    return {
        "headline": (
            f"{event.window_count:.0f} {what} in {_duration(span)} vs {event.window_expected:.1f} expected "
            f"(p={event.p_value:.1e}), since {spike['opened_at']:%Y-%m-%d %H:%M} UTC"
        ),
        "summary": str(d.get("summary") or d.get("nature") or ""),
        "terms": [str(t) for t in (d.get("terms") or [])[:8]],
    }


def _bucket(settings: SpikeSettings) -> str:
    return _duration(settings.bucket)


def _duration(span: Any) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 60 == 0 and minutes >= 60:
        return f"{minutes // 60} h"
    return f"{minutes} min"
