"""The daemon's core steps: poll a source into storage, classify stored posts, raise alerts.

Every step is at-least-once and idempotent. Posts and the cursor that covers
them commit together; labels and the alerts they cause commit together; the
outbox's unique keys make a repeated step enqueue nothing new.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import StatementError

from connectors.base import AuthError, Connector, Page, RateLimited, SourceError
from models.base import Classifier, Sentiment
from models.language import LanguageDetector
from monitor import health
from monitor.alerts import messages, outbox
from monitor.brand_filter import BrandFilter, Detect
from monitor.config import BrandSettings, Config
from monitor.storage import ingest
from monitor.storage import posts as post_store
from monitor.storage.error_text import error_text
from monitor.storage.schema import mentions, posts
from values.phrases import Hit, PhraseMatcher

log = logging.getLogger(__name__)
# posts.complaint_phrase: the words found as written (a prefix phrase can match a word of any length).
COMPLAINT_MAX: int = getattr(posts.c.complaint_phrase.type, "length", None) or 191


@dataclass(frozen=True, slots=True)
class ClassifiedPost:
    """A post that just got its label, with the brands it mentions that page people (competitors never do)."""

    pk: int
    brands: tuple[str, ...]
    sentiment: Sentiment
    alert: messages.AlertPost
    from_brand: bool
    complaint: Hit | None = None  # a complaint phrase or escalation keyword found (the safety net)


class Rule(Protocol):
    """Something that reacts to newly classified posts (inside their transaction)."""

    def __call__(self, conn: Connection, classified: Sequence[ClassifiedPost], *, now: datetime) -> None: ...


@dataclass
class PollResult:
    """What one poll of (source, brand) did."""

    source: str
    brand: str
    pages: int = 0
    fetched: int = 0
    new_posts: int = 0
    skipped: int = 0  # items the connector could not read
    left_out: int = 0  # posts fetched that are not the brand's mentions (its query, its exclusions)
    quarantined: int = 0  # items newly quarantined (unreadable, or refused at storage)
    error: str | None = None
    skipped_reason: str | None = None  # why the poll did not run (backing off, disabled)


@dataclass
class Pipeline:
    """Poll → store → classify → alert, against one database."""

    engine: Engine
    config: Config
    clock: Callable[[], datetime]
    classifier: Callable[[], Classifier]  # loaded lazily, once
    rules: list[Rule] = field(default_factory=list)
    # The safety net's phrases ([replies] escalation_keywords and complaint_phrases); None: built from config.
    complaints: PhraseMatcher | None = None
    _filters: dict[tuple[str, str], BrandFilter] = field(default_factory=dict, init=False, repr=False)
    _detector: LanguageDetector | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.complaints is None and self.config.replies.needs_reply.complaints:
            self.complaints = self.config.replies.complaint_matcher

    def poll(self, source: str, connector: Connector, brand: BrandSettings, *, force: bool = False) -> PollResult:
        """Fetch new posts for one brand from one source and store them page by page; never raises.

        Whatever goes wrong is recorded in the source's health (back-off, ops alert after
        repeated failures) and in ``PollResult.error``: one broken source must not stop
        the other jobs, nor a ``run --once``.
        """
        result = PollResult(source, brand.name)
        try:
            self._poll(result, source, connector, brand, force=force)
        except Exception as exc:  # noqa: BLE001 - recording the failure failed too (database down): log it
            result.error = result.error or error_text(exc)
            log.error("source %s (%s): poll failed and could not be recorded: %s", source, brand.name, error_text(exc))
        return result

    def _poll(
        self, result: PollResult, source: str, connector: Connector, brand: BrandSettings, *, force: bool
    ) -> None:
        now = self.clock()
        with self.engine.connect() as conn:
            state = health.read(conn, source=source, brand=brand.name)
        if state.disabled_reason:
            result.skipped_reason = f"disabled: {state.disabled_reason}"
            return
        if not force and state.next_poll_at is not None and state.next_poll_at > now:
            result.skipped_reason = f"backing off until {state.next_poll_at.isoformat()}"
            return
        platform = getattr(connector, "platform", source)
        # A source that mixes platforms (a replay file) looks for the brand's accounts on all of them,
        # and its unreadable items belong to no one platform.
        mixed = bool(getattr(connector, "mixes_platforms", False))
        handles = all_handles(brand) if mixed else brand.handles_on(platform)
        query = brand.search_query(platform, handles)
        with self.engine.connect() as conn:
            cursor = post_store.load_cursor(conn, source=source, brand=brand.name)
        started = time.monotonic()
        try:
            for page in connector.fetch(query, cursor):
                self._store(result, source, brand, page, platform=None if mixed else platform)
        except AuthError as exc:
            self._disable(result, source, brand, exc)
            return
        except SourceError as exc:
            retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
            self._failed(result, source, brand, str(exc), retry_after=retry_after)
            return
        except Exception as exc:
            log.error(
                "source %s (%s): poll failed unexpectedly: %s",
                source,
                brand.name,
                error_text(exc),
                exc_info=_traceback_is_safe(exc),
            )
            self._failed(result, source, brand, error_text(exc), retry_after=None)
            return
        with self.engine.begin() as conn:
            health.succeeded(
                conn,
                source=source,
                brand=brand.name,
                now=self.clock(),
                new_posts=result.new_posts,
                quarantined=result.quarantined,
                ops_channel=self.config.slack.ops_channel,
            )
        log.info(
            "source %s (%s): %d fetched, %d new, %d not the brand's, %d quarantined (%d unreadable) in %.2fs",
            source,
            brand.name,
            result.fetched,
            result.new_posts,
            result.left_out,
            result.quarantined,
            result.skipped,
            time.monotonic() - started,
        )

    def _store(
        self, result: PollResult, source: str, brand: BrandSettings, page: Page, *, platform: str | None
    ) -> None:
        """One page, its quarantined items and its cursor in one transaction (with the ops alert they raise)."""
        with self.engine.begin() as conn:
            now = self.clock()
            outcome = ingest.store_page(
                conn,
                source=source,
                brand=brand.name,
                page=page,
                platform=platform,
                brand_handles=all_handles(brand),
                now=now,
                keep=self.brand_filter(brand).keeps,
            )
            if outcome.quarantined:
                health.quarantined(
                    conn,
                    source=source,
                    brand=brand.name,
                    now=now,
                    count=outcome.quarantined,
                    reason=outcome.first_reason or "",
                    ops_channel=self.config.slack.ops_channel,
                )
        result.pages += 1
        result.fetched += len(page.posts)
        result.new_posts += outcome.new_posts
        result.skipped += page.skipped
        result.quarantined += outcome.quarantined
        result.left_out += outcome.left_out

    def brand_filter(self, brand: BrandSettings) -> BrandFilter:
        """The check every post fetched for ``brand`` passes before it is stored (one per brand, reused)."""
        key = (brand.name, brand.model_dump_json())  # the same brand, configured the same
        if key not in self._filters:
            self._filters[key] = BrandFilter(brand, all_handles(brand), detect=self._languages)
        return self._filters[key]

    def _languages(self) -> Detect:
        if self._detector is None:
            self._detector = LanguageDetector()
        return self._detector.detect

    def _disable(self, result: PollResult, source: str, brand: BrandSettings, exc: AuthError) -> None:
        result.error = f"credentials rejected: {error_text(exc)}"
        with self.engine.begin() as conn:
            health.disable(
                conn,
                source=source,
                brand=brand.name,
                now=self.clock(),
                reason=str(exc),
                ops_channel=self.config.slack.ops_channel,
            )
        log.error("source %s (%s) disabled: %s", source, brand.name, error_text(exc))

    def _failed(
        self, result: PollResult, source: str, brand: BrandSettings, error: str, *, retry_after: float | None
    ) -> None:
        result.error = error_text(error)
        with self.engine.begin() as conn:
            wait = health.failed(
                conn,
                source=source,
                brand=brand.name,
                now=self.clock(),
                error=error,
                retry_after=retry_after,
                ops_channel=self.config.slack.ops_channel,
            )
        log.warning(
            "source %s (%s): %s; next try in %.0fs (%d new posts kept)",
            source,
            brand.name,
            result.error,
            wait.total_seconds(),
            result.new_posts,
        )

    def classify_pending(self, *, should_stop: Callable[[], bool] = lambda: False) -> int:
        """Classify stored posts without a label, in batches, until none are left; returns how many."""
        batch_size = self.config.classifier.batch_size
        if self.engine.dialect.name == "postgresql":
            return self._classify_claimed(batch_size, should_stop)
        done = 0
        while not should_stop():
            with self.engine.connect() as conn:
                pending = post_store.unclassified(conn, limit=batch_size)
            if not pending:
                break
            sentiments = self._classify_texts(pending)
            with self.engine.begin() as conn:
                self._save_labels(conn, pending, sentiments)
            done += len(pending)
        return done

    def _classify_claimed(self, batch_size: int, should_stop: Callable[[], bool]) -> int:
        """PostgreSQL: each batch is row-locked while it is classified, so instances share the queue."""
        with self.engine.connect() as conn:
            if not post_store.unclassified(conn, limit=1):
                return 0  # nothing to label: a run with nothing new does not load the model
        self.classifier()  # load the model before any rows are locked
        done = 0
        while not should_stop():
            with self.engine.begin() as conn:
                pending = post_store.claim_unclassified(conn, limit=batch_size)
                if not pending:
                    break
                self._save_labels(conn, pending, self._classify_texts(pending))
            done += len(pending)
        return done

    def _classify_texts(self, pending: Sequence[post_store.PendingPost]) -> list[Sentiment]:
        sentiments = self.classifier().classify([p.text for p in pending])
        if len(sentiments) != len(pending):
            raise RuntimeError(f"classifier returned {len(sentiments)} results for {len(pending)} posts")
        return list(sentiments)

    def _save_labels(
        self, conn: Connection, pending: Sequence[post_store.PendingPost], sentiments: Sequence[Sentiment]
    ) -> None:
        """Labels and the alerts they cause, in the caller's transaction."""
        now = self.clock()
        labelled = list(zip((p.pk for p in pending), sentiments, strict=True))
        # Test doubles and other Classifier implementations may have no version.
        version = getattr(self.classifier(), "version", None) or None
        hits: dict[int, Hit] = {}
        if self.complaints is not None:
            for post in pending:
                if (hit := self.complaints.find(post.text)) is not None:
                    hits[post.pk] = hit
        flags = {pk: hit.found[:COMPLAINT_MAX] for pk, hit in hits.items()}
        post_store.save_sentiments(conn, labelled, now=now, complaints=flags, model_version=version)
        # Competitors are monitored, never paged: the rules (alerts, reply queue) see only the brands that page.
        paging = {b.name for b in self.config.brands if not b.competitor}
        classified = [
            replace(c, brands=tuple(b for b in c.brands if b in paging)) for c in _classified(conn, labelled, hits)
        ]
        for rule in self.rules:
            rule(conn, classified, now=now)


def _traceback_is_safe(exc: BaseException) -> bool:
    """A database error's text holds the statement's parameters (post text): log its one-line description only."""
    return not isinstance(exc, StatementError)


def all_handles(brand: BrandSettings) -> tuple[str, ...]:
    """The brand's own account names on every platform (a post by one of them is ``from_brand``)."""
    out: list[str] = []
    for platform in brand.handles:
        out.extend(brand.handles_on(platform))
    return tuple(out)


def _classified(
    conn: Connection, labelled: Sequence[tuple[int, Sentiment]], hits: Mapping[int, Hit]
) -> list[ClassifiedPost]:
    by_pk = dict(labelled)
    brands: dict[int, list[str]] = {}
    for pk, brand in conn.execute(select(mentions.c.post_pk, mentions.c.brand).where(mentions.c.post_pk.in_(by_pk))):
        brands.setdefault(pk, []).append(brand)
    rows = conn.execute(
        select(
            posts.c.id,
            posts.c.platform,
            posts.c.post_id,
            posts.c.author,
            posts.c.text,
            posts.c.url,
            posts.c.created_at,
            posts.c.metrics,
            posts.c.lang,
            posts.c.from_brand,
        ).where(posts.c.id.in_(by_pk))
    )
    out = []
    for row in rows:
        sentiment = by_pk[row.id]
        followers = (row.metrics or {}).get("followers")
        alert = messages.AlertPost(
            pk=row.id,
            platform=row.platform,
            post_id=row.post_id,
            author=row.author,
            text=row.text,
            url=row.url,
            created_at=row.created_at,
            followers=followers,
            negative=sentiment.negative,
            lang=row.lang,
        )
        post = ClassifiedPost(
            row.id, tuple(sorted(brands.get(row.id, []))), sentiment, alert, row.from_brand, hits.get(row.id)
        )
        out.append(post)
    out.sort(key=lambda c: c.pk)
    return out


@dataclass(frozen=True)
class NegativePostRule:
    """The first alert rule: each new negative post (not by the brand itself) → one alert per brand."""

    channel: str
    zone: tzinfo = UTC  # the team's, for times written in the alert's text

    def __call__(self, conn: Connection, classified: Sequence[ClassifiedPost], *, now: datetime) -> None:
        """Enqueue an alert for every negative post in ``classified``."""
        for post in classified:
            if post.from_brand or not post.sentiment.is_negative:
                continue
            for brand in post.brands:
                outbox.enqueue(
                    conn, messages.negative_post(brand, post.alert, channel=self.channel, zone=self.zone), now=now
                )


@dataclass(frozen=True)
class FreshOnly:
    """Runs ``rule`` on the posts that are news: written within ``max_age`` of the brand's newest mention (or of
    now, if that is earlier). Older ones (a warm-start backfill, a catch-up after downtime) teach the spike
    baseline and reach the digest, but raise no alert each. Measured from the brand's newest mention rather than
    the clock alone, so a replay of recorded posts (the demo, tests) still alerts as if they arrived live."""

    rule: Rule
    max_age: timedelta

    def __call__(self, conn: Connection, classified: Sequence[ClassifiedPost], *, now: datetime) -> None:
        """Pass on the posts no older than ``max_age`` before their brand's newest mention."""
        brands = sorted({b for post in classified for b in post.brands})
        newest = dict(
            conn.execute(
                select(mentions.c.brand, func.max(mentions.c.created_at))
                .where(mentions.c.brand.in_(brands))
                .group_by(mentions.c.brand)
            ).all()
        )
        fresh = [post for post in classified if any(self._news(post, newest.get(b), now) for b in post.brands)]
        if fresh:
            self.rule(conn, fresh, now=now)

    def _news(self, post: ClassifiedPost, newest: datetime | str | None, now: datetime) -> bool:
        # func.max bypasses the column type: SQLite hands back its stored text (naive UTC).
        if isinstance(newest, str):
            newest = datetime.fromisoformat(newest).replace(tzinfo=UTC)
        reference = now if newest is None else min(newest, now)
        return reference - post.alert.created_at <= self.max_age
