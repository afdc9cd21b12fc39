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
from monitor.replies import announce, grouping, incidents, priority, routing, rules, similarity, sla, store, threads
from monitor.replies.settings import ReplySettings
from monitor.storage.schema import posts, reply_items

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _New:
    item_id: int
    level: str
    score: float
    channel: str
    brand: str
    category: str | None
    text: str


@dataclass
class ReplyRule:
    """Queues every newly classified post that needs a reply; its thread opens, or it joins an incident."""

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
            complaint=post.complaint.found if post.complaint else None,
            model_label=post.sentiment.label,
            model_score=post.sentiment.score,
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
        return _New(item_id, urgency.level, urgency.score, where.channel, brand, where.category, post.alert.text)

    def _announce(self, conn: Connection, new: Sequence[_New], *, now: datetime) -> None:
        """Group the new posts into incidents, then a thread for each post outside one (and for high priority)."""
        settings = self.settings
        batch_ids = [n.item_id for n in new]
        # The brand may have answered already (its reply came in the same poll): record it, send nothing.
        answered = self._answered(conn, batch_ids, now=now)
        new = [n for n in new if n.item_id not in answered]
        plan = grouping.plan(
            conn,
            [grouping.Newcomer(n.item_id, n.brand, n.channel, n.category, n.level, n.text) for n in new],
            settings.incidents,
            brand_words=self._brand_words,
            now=now,
        )
        for record in plan.opened:
            incidents.create(conn, record)
            log.warning(
                "replies: incident %s opened: similar posts about %s close together", record.incident_key, record.brand
            )
        announcer = announce.Announcer(settings)
        for earlier, key in plan.earlier:
            announcer.move_into(conn, earlier, key, now=now)
        announcer.place(
            conn,
            [announce.Placement(n.item_id, n.level, n.channel) for n in new],
            incident_of=plan.of_item,
            hold=plan.forming if settings.incidents.hold else (),
            now=now,
            exclude=batch_ids,
        )
        announcer.finish(conn, opened=[r.incident_key for r in plan.opened], now=now)

    def _answered(self, conn: Connection, batch_ids: Sequence[int], *, now: datetime) -> set[int]:
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
        return set(answered)

    @property
    def _brand_words(self) -> dict[str, frozenset[str]]:
        return {name: similarity.brand_words((name, *b.search_terms)) for name, b in self.brands.items()}


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
