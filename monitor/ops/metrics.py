"""Prometheus metrics: counters fed by thin wrappers around the edges, gauges read from the database at scrape."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from connectors.base import AuthError, Cursor, Page, Query, RateLimited, SourceError, Unavailable
from models.base import Sentiment
from monitor.alerts.outbox import Message
from monitor.alerts.sink import Delivered, DeliveryError
from monitor.ops import spike_state
from monitor.storage import quarantine
from monitor.storage.schema import outbox, posts, source_health

log = logging.getLogger(__name__)

# Transformer batches take from milliseconds (tiny test models) to seconds (a base model on CPU).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Every metric of one process, in its own registry (tests build several apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.posts_fetched = Counter("brand_monitor_posts_fetched", "Posts read from a source", ["source"], registry=r)
        self.polls = Counter("brand_monitor_polls", "Polls of a source by outcome", ["source", "outcome"], registry=r)
        self.classify_seconds = Histogram(
            "brand_monitor_classify_batch_seconds", "Time to classify one batch", buckets=LATENCY_BUCKETS, registry=r
        )
        self.classified = Counter("brand_monitor_posts_classified", "Posts given a sentiment", registry=r)
        self.alerts_sent = Counter("brand_monitor_alerts_sent", "Alerts delivered, by kind", ["kind"], registry=r)
        self.rate_limit_waits = Counter(
            "brand_monitor_rate_limit_waits", "Times a platform or Slack asked us to wait", ["target"], registry=r
        )
        self.rate_limit_wait_seconds = Counter(
            "brand_monitor_rate_limit_wait_seconds", "Seconds we were asked to wait", ["target"], registry=r
        )
        self.errors = Counter("brand_monitor_errors", "Errors by kind", ["kind"], registry=r)

    def watch_database(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        """Report queue depths and backlog age from the database at every scrape."""
        self.registry.register(DatabaseCollector(engine, clock))

    def error(self, kind: str) -> None:
        """Count one error of ``kind`` (e.g. ``source_unavailable``, ``job_failed``)."""
        self.errors.labels(kind=kind).inc()

    def rate_limited(self, target: str, seconds: float) -> None:
        """Count one request to wait ``seconds`` from ``target``."""
        self.rate_limit_waits.labels(target=target).inc()
        self.rate_limit_wait_seconds.labels(target=target).inc(max(seconds, 0.0))


class DatabaseCollector(Collector):
    """Gauges computed by queries when Prometheus scrapes: they are true for all instances together."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("brand_monitor_database_up", "1 when the database answered this scrape")
        try:
            families = list(self._queries())
        except Exception as exc:  # noqa: BLE001 - a scrape must answer even when the database does not
            log.warning("metrics: database query failed: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _queries(self) -> Iterator[GaugeMetricFamily]:
        now = self.clock()
        with self.engine.connect() as conn:
            unclassified = conn.execute(
                select(func.count()).select_from(posts).where(posts.c.classified_at.is_(None))
            ).scalar_one()
            by_status: dict[str, int] = {
                status: count
                for status, count in conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
            }
            oldest = conn.execute(
                select(func.min(outbox.c.created_at)).where(outbox.c.status.in_(["pending", "sending"]))
            ).scalar()
            health_rows = conn.execute(
                select(source_health.c.source, source_health.c.brand, source_health.c.last_success_at)
            ).all()
            held = quarantine.counts(conn)
            detectors = spike_state.read(conn)
        queue = GaugeMetricFamily("brand_monitor_unclassified_posts", "Stored posts waiting for a sentiment")
        queue.add_metric([], unclassified)
        yield queue
        rows = GaugeMetricFamily("brand_monitor_outbox_rows", "Outbox rows by status", labels=["status"])
        for status in ("pending", "sending", "sent", "dead"):
            rows.add_metric([status], by_status.get(status, 0))
        yield rows
        age = GaugeMetricFamily("brand_monitor_outbox_backlog_age_seconds", "Age of the oldest undelivered alert")
        # func.min bypasses the column type: SQLite hands back its stored text.
        age.add_metric([], max(0.0, (now - _aware(oldest)).total_seconds()) if oldest is not None else 0.0)
        yield age
        last = GaugeMetricFamily(
            "brand_monitor_source_last_success_timestamp_seconds",
            "Unix time of the last successful poll",
            labels=["source", "brand"],
        )
        for source, brand, at in health_rows:
            if at is not None:
                last.add_metric([source, brand], at.timestamp())
        yield last
        quarantined = GaugeMetricFamily(
            "brand_monitor_quarantined_items",
            "Items a source returned that could not be read or stored, not yet released by a retry",
            labels=["source", "brand"],
        )
        for (source, brand), count in sorted(held.items()):
            quarantined.add_metric([source, brand], count)
        yield quarantined
        yield from spike_state.gauges(detectors, now=now)


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class InstrumentedConnector:
    """Counts what a connector yields and how it fails; otherwise it is the connector."""

    def __init__(self, inner: Any, *, source: str, metrics: Metrics) -> None:
        self._inner = inner
        self._source = source
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def fetch(self, query: Query, cursor: Cursor) -> Iterator[Page]:
        """The inner connector's pages, counted."""
        m = self._metrics
        try:
            for page in self._inner.fetch(query, cursor):
                m.posts_fetched.labels(source=self._source).inc(len(page.posts))
                if page.skipped:
                    m.errors.labels(kind="source_malformed_item").inc(page.skipped)
                yield page
        except RateLimited as exc:
            m.rate_limited(self._source, exc.retry_after)
            self._failed("source_rate_limited")
            raise
        except AuthError:
            self._failed("source_auth")
            raise
        except Unavailable:
            self._failed("source_unavailable")
            raise
        except SourceError:
            self._failed("source_error")
            raise
        except Exception:
            self._failed("source_unexpected")  # a bug in a parser, anything not classified at the API edge
            raise
        m.polls.labels(source=self._source, outcome="ok").inc()

    def _failed(self, kind: str) -> None:
        self._metrics.error(kind)
        self._metrics.polls.labels(source=self._source, outcome=kind.removeprefix("source_")).inc()


class InstrumentedClassifier:
    """Times each batch and counts the posts."""

    def __init__(self, inner: Any, *, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        """The inner classifier's results, timed."""
        started = time.perf_counter()
        try:
            out = self._inner.classify(texts)
        except Exception:
            self._metrics.error("classifier")
            raise
        self._metrics.classify_seconds.observe(time.perf_counter() - started)
        self._metrics.classified.inc(len(texts))
        return out


class InstrumentedSink:
    """Counts alerts delivered by kind, delivery failures, and Slack's requests to wait."""

    def __init__(self, inner: Any, *, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def post(self, message: Message, *, thread: Delivered | None) -> Delivered:
        """Post through the inner sink, counted."""
        delivered = self._counted(lambda: self._inner.post(message, thread=thread))
        self._metrics.alerts_sent.labels(kind=message.kind).inc()
        return delivered

    def update(self, message: Message, *, target: Delivered) -> Delivered:
        """Update through the inner sink, counted."""
        delivered = self._counted(lambda: self._inner.update(message, target=target))
        self._metrics.alerts_sent.labels(kind=message.kind).inc()
        return delivered

    def find(self, message: Message, *, thread: Delivered | None, since: datetime) -> Delivered | None:
        """Look up through the inner sink, counted on failure."""
        return self._counted(lambda: self._inner.find(message, thread=thread, since=since))

    def _counted(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except DeliveryError as exc:
            if exc.retry_after is not None:
                self._metrics.rate_limited("slack", exc.retry_after)
            kind = "permanent" if exc.permanent else "ambiguous" if exc.ambiguous else "transient"
            self._metrics.error(f"delivery_{kind}")
            raise
