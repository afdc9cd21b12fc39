"""The pipeline rule that fills the reply queue as posts are classified (in their transaction)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, select

from monitor.alerts import outbox
from monitor.alerts.messages import negative_post
from monitor.config import BrandSettings
from monitor.pipeline import ClassifiedPost
from monitor.replies import messages, priority, routing, rules, sla, store, threads
from monitor.replies.settings import ReplySettings
from monitor.storage.schema import posts, reply_items

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _New:
    item_id: int
    level: str
    score: float
    channel: str


@dataclass
class ReplyRule:
    """Queues every newly classified post that needs a reply, and opens its thread (or a burst summary)."""

    settings: ReplySettings
    brands: Mapping[str, BrandSettings]
    default_channel: str

    def __call__(self, conn: Connection, classified: Sequence[ClassifiedPost], *, now: datetime) -> None:
        """Queue the posts of ``classified`` that need a reply."""
        if not classified:
            return
        details = _details(conn, [c.pk for c in classified])
        new: list[_New] = []
        for post in classified:
            for brand in post.brands:
                created = self._queue(conn, post, brand, details.get(post.pk, {}), now=now)
                if created is not None:
                    new.append(created)
        # High priority jumps the queue: its alerts go into the outbox (and so out to Slack) first.
        new.sort(key=lambda n: (priority.RANK.get(n.level, 9), -n.score, n.item_id))
        self._announce(conn, new, now=now)

    def _queue(
        self, conn: Connection, post: ClassifiedPost, brand: str, detail: Mapping[str, Any], *, now: datetime
    ) -> _New | None:
        settings = self.settings
        config = self.brands.get(brand)
        platform = post.alert.platform
        handles = config.handles_on(platform) if config else ()
        candidate = rules.Candidate(
            text=post.alert.text,
            from_brand=post.from_brand,
            negative=post.sentiment.is_negative,
            negative_score=post.sentiment.negative,
            handles=handles,
            in_brand_thread=store.in_brand_thread(
                conn, platform=platform, reply_to=detail.get("reply_to"), thread_id=detail.get("thread_id")
            ),
        )
        decision = rules.decide(candidate, settings.needs_reply)
        if not decision.needed:
            return None
        if now - post.alert.created_at > settings.max_age:
            log.info("replies: %s post %s is older than max_age; not queued", platform, post.alert.post_id)
            return None
        urgency = priority.score(
            negative=post.sentiment.negative,
            metrics=detail.get("metrics") or {},
            posted_at=post.alert.created_at,
            now=now,
            text=post.alert.text,
            keywords=settings.escalation_keywords,
            settings=settings.priority,
        )
        where = routing.route(
            post.alert.text, priority=urgency.level, settings=settings, default_channel=self.default_channel
        )
        posted_at = post.alert.created_at.astimezone(UTC)
        deadline = sla.due_at(posted_at, settings.sla_for(platform, urgency.level), settings.hours.get(where.channel))
        reason = decision.reason
        if urgency.reasons:
            reason += "; " + ", ".join(urgency.reasons)
        item_id = store.add(
            conn,
            store.NewItem(
                brand=brand,
                post_pk=post.pk,
                platform=platform,
                post_id=post.alert.post_id,
                priority=urgency.level,
                priority_score=urgency.score,
                category=where.category,
                channel=where.channel,
                reason=reason[:2000],
                posted_at=posted_at,
                due_at=deadline,
                created_at=now,
            ),
        )
        if item_id is None:
            return None  # already queued (a re-run of the same batch)
        return _New(item_id, urgency.level, urgency.score, where.channel)

    def _announce(self, conn: Connection, new: Sequence[_New], *, now: datetime) -> None:
        """A thread per post, until a channel gets more than the burst threshold in the burst window."""
        settings = self.settings
        since = now - settings.burst_window
        batch_ids = [n.item_id for n in new]
        # The brand may have answered already (its reply came in the same poll): record it, send nothing.
        answered: dict[int, tuple[str, datetime]] = {}
        if batch_ids:
            for item_id, reply_id, replied_at in store.answered_on_platform(
                conn, item_ids=batch_ids, limit=10 * len(batch_ids) + 10
            ):
                answered[item_id] = (reply_id, replied_at)
        for item_id, (reply_id, replied_at) in answered.items():
            store.set_alert_key(conn, item_id, threads.thread_key(item_id), summary_key=None)
            due = store.item(conn, item_id)
            store.change(
                conn,
                item_id,
                status=store.REPLIED,
                first_reply_at=replied_at,
                first_reply_id=reply_id,
                closed_at=now,
                closed_by="platform",
                within_sla=bool(due and replied_at <= due.due_at),
            )
        new = [n for n in new if n.item_id not in answered]
        counts: dict[str, list[int]] = {}
        opened_bursts: dict[str, str] = {}
        for entry in new:
            if entry.channel not in counts:
                counts[entry.channel] = list(
                    store.recent_threads(conn, channel=entry.channel, since=since, exclude=batch_ids)
                )
            threads_now, high_now = counts[entry.channel]
            own_thread = threads_now < settings.burst_threshold or (
                entry.level == "high" and high_now < settings.burst_high
            )
            key = threads.thread_key(entry.item_id)
            if own_thread:
                store.set_alert_key(conn, entry.item_id, key, summary_key=None)
                threads.open_thread(conn, entry.item_id, settings, now=now)
                counts[entry.channel][0] += 1
                counts[entry.channel][1] += entry.level == "high"
                continue
            window = _window_start(now, settings)
            summary_key = f"reply-burst:{entry.channel}:{int(window.timestamp())}"[:191]
            store.set_alert_key(conn, entry.item_id, key, summary_key=summary_key)
            if store.join_burst(conn, key=summary_key, channel=entry.channel, window_start=window, now=now):
                opened_bursts[summary_key] = entry.channel
        for summary_key in opened_bursts:
            # The summary goes out once, after the whole batch is in it; later growth is an edit.
            burst = store.burst(conn, summary_key)
            if burst is None:
                continue
            store.burst_rendered(conn, summary_key, posts_shown=burst.posts)
            burst = store.burst(conn, summary_key) or burst
            stats = store.burst_stats(conn, summary_key)
            top = store.top_of_burst(conn, summary_key, limit=messages.TOP_IN_SUMMARY)
            outbox.enqueue(conn, messages.summary(burst, stats, top, zone=settings.zone), now=now)
            log.warning("replies: burst in %s; posts beyond the threshold go into one summary", burst.channel)


@dataclass(frozen=True)
class NegativeUnlessQueued:
    """The one-alert-per-negative-post rule, skipping posts the reply queue already alerts on.

    Runs after :class:`ReplyRule` in the same transaction, so it sees the items just queued.
    """

    channel: str
    zone: tzinfo = UTC  # the team's, for times written in the alert's text

    def __call__(self, conn: Connection, classified: Sequence[ClassifiedPost], *, now: datetime) -> None:
        """Alert on negative posts that did not enter the reply queue."""
        pks = [c.pk for c in classified]
        queued = (
            set(conn.execute(select(reply_items.c.post_pk, reply_items.c.brand).where(reply_items.c.post_pk.in_(pks))))
            if pks
            else set()
        )
        for post in classified:
            if post.from_brand or not post.sentiment.is_negative:
                continue
            for brand in post.brands:
                if (post.pk, brand) not in queued:
                    outbox.enqueue(
                        conn, negative_post(brand, post.alert, channel=self.channel, zone=self.zone), now=now
                    )


def _details(conn: Connection, pks: Sequence[int]) -> dict[int, dict[str, Any]]:
    query = select(posts.c.id, posts.c.reply_to, posts.c.thread_id, posts.c.metrics).where(posts.c.id.in_(list(pks)))
    return {
        r.id: {"reply_to": r.reply_to, "thread_id": r.thread_id, "metrics": r.metrics or {}}
        for r in conn.execute(query)
    }


def _window_start(now: datetime, settings: ReplySettings) -> datetime:
    seconds = settings.burst_window.total_seconds()
    return datetime.fromtimestamp((now.timestamp() // seconds) * seconds, UTC)
