"""The one place everything is wired together; tests call it with fakes at the edges."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from connectors.base import Connector
from connectors.registry import SOURCES
from connectors.settings import ListingSettings, SourceSettings
from models.base import Classifier
from monitor import health
from monitor.alerts.console import ConsoleSink
from monitor.alerts.delivery import Delivery, worker_id
from monitor.alerts.sink import Sink
from monitor.alerts.slack import SlackSink
from monitor.app import App
from monitor.clock import utc_now
from monitor.config import Config, ConfigError
from monitor.digest.service import DigestService
from monitor.digest.upload import FileChartUploader, SlackChartUploader
from monitor.ops import preflight
from monitor.ops.coordination import Coordinator, migration_lock
from monitor.ops.job_health import JobHealth
from monitor.ops.metrics import InstrumentedClassifier, InstrumentedConnector, InstrumentedSink, Metrics
from monitor.ops.runtime import Heartbeat
from monitor.pipeline import FreshOnly, NegativePostRule, Pipeline, Rule
from monitor.replies.intake import NegativeUnlessQueued, ReplyRule
from monitor.replies.socket import InteractionListener
from monitor.replies.spike_incidents import SpikeIncidents
from monitor.replies.timers import ReplyCheck
from monitor.spikes.watch import SpikeWatch
from monitor.storage import migrate
from monitor.storage.engine import make_engine
from values import redaction

log = logging.getLogger(__name__)


class _LazyClassifier:
    """Loads the model on first use, once, so start-up and `check-config` stay fast."""

    def __init__(self, load: Callable[[], Classifier]) -> None:
        self._load = load
        self._model: Classifier | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Classifier:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model


def make_sink(config: Config) -> Sink:
    """The console when ``[slack] console`` is on, else Slack with the bot token the config read."""
    if config.slack.console:
        log.info("alerts are printed to the console ([slack] console = true)")
        return ConsoleSink(zone=config.schedule.tz)
    token = config.slack.token
    if token is None:
        raise ConfigError("[slack]", [str(preflight.slack_token_problem(config))])
    return SlackSink(token, base_url=config.slack.base_url, timeout=config.slack.timeout)


def warm_start_reads(settings: SourceSettings, warm_start: timedelta) -> SourceSettings:
    """A source that pages back through time (Reddit, Hacker News, Bluesky, Mastodon) reads a new brand's last
    ``[spikes] warm_start`` on its first poll, so the spike baseline learns from it before alerting live.

    Bounded as every read is (``max_pages`` requests per stream per poll, the source's request budget). A
    ``first_read_window`` set in the config wins. X keeps its own (1 hour): it is charged per post read against a
    monthly cap, and its reads are paced by it, so a week's backfill would starve live reads for days.
    """
    if not isinstance(settings, ListingSettings) or "first_read_window" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"first_read_window": max(settings.first_read_window, warm_start)})


def bootstrap(
    config: Config,
    *,
    clock: Callable[[], datetime] = utc_now,
    sink: Sink | None = None,
    classifier: Classifier | Callable[[], Classifier] | None = None,
    connectors: dict[str, Connector] | None = None,
    migrate_schema: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> App:
    """Build the app from ``config``; any edge can be replaced (sink, classifier, connectors, clock, sleep).

    Secrets come from ``config`` (read from the environment when it was loaded), and the redactor built
    from them is installed here, before anything can fail and log.
    """
    redaction.install(redaction.Redactor.for_config(config))
    engine = make_engine(config.storage.url, echo=config.storage.echo)
    if migrate_schema:
        with migration_lock(engine):  # instances starting together on one PostgreSQL database
            migrate.upgrade(engine)
        with engine.begin() as conn:
            health.enable_all(conn)
    if connectors is None:
        connectors = {
            name: SOURCES[name].build(warm_start_reads(settings, config.spikes.warm_start), clock=clock)
            for name, settings in config.enabled_sources().items()
        }
    if classifier is None:
        from models.loading import load_classifier

        classifier_factory: Callable[[], Classifier] = _LazyClassifier(lambda: load_classifier(config.classifier))
    elif callable(classifier) and not hasattr(classifier, "classify"):
        classifier_factory = _LazyClassifier(classifier)
    else:
        fixed = classifier
        classifier_factory = lambda: fixed  # noqa: E731
    # Metrics are counted at the edges, so the core stays unaware of them.
    metrics = Metrics()
    metrics.watch_database(engine, clock)
    connectors = {name: InstrumentedConnector(c, source=name, metrics=metrics) for name, c in connectors.items()}
    plain_factory = classifier_factory
    classifier_factory = lambda: InstrumentedClassifier(plain_factory(), metrics=metrics)  # noqa: E731
    rules: list[Rule] = []
    replies = config.replies
    if replies.enabled:
        brands = {b.name: b for b in config.brands}
        rules.append(ReplyRule(settings=replies, brands=brands, default_channel=config.slack.alerts_channel))
    # A post more than [replies] max_age older than its brand's newest mention (a warm start's history) is not news.
    if config.alerts.negative_posts and replies.enabled and replies.replaces_negative_alerts:
        # The reply alert replaces the plain one for posts in the reply queue; other negatives still alert.
        rules.append(
            FreshOnly(
                NegativeUnlessQueued(channel=config.slack.alerts_channel, zone=config.schedule.tz),
                max_age=replies.max_age,
            )
        )
    elif config.alerts.negative_posts:
        rules.append(
            FreshOnly(
                NegativePostRule(channel=config.slack.alerts_channel, zone=config.schedule.tz),
                max_age=replies.max_age,
            )
        )
    pipeline = Pipeline(engine=engine, config=config, clock=clock, classifier=classifier_factory, rules=rules)
    sink = sink or make_sink(config)
    worker = worker_id()
    delivery = Delivery(
        engine,
        InstrumentedSink(sink, metrics=metrics),
        clock=clock,
        min_interval=config.slack.min_interval,
        worker=worker,
        sleep=sleep,
    )
    # The digest's chart goes where its message goes: Slack, or a file when alerts print to the console.
    uploader = SlackChartUploader(sink.client) if isinstance(sink, SlackSink) else FileChartUploader()
    digest = DigestService(engine, config, clock=clock, uploader=uploader)
    intervals = [s.interval for s in config.enabled_sources().values()]
    spike_incidents = None
    if replies.enabled:
        spike_incidents = SpikeIncidents(
            settings=replies, brands={b.name: b for b in config.brands}, default_channel=config.slack.alerts_channel
        )
    spike_watch = SpikeWatch(
        engine,
        brands=[b.name for b in config.brands if not b.competitor],  # a competitor's spike pages no one
        settings=config.spikes,
        channel=config.slack.alerts_channel,
        clock=clock,
        # Spikes open on counts as they stand and are re-evaluated as late posts arrive (up to
        # [spikes] lateness); only an all-clear waits until every source has polled past its buckets.
        settle=max(intervals, default=config.spikes.bucket),
        incidents=spike_incidents,
        zone=config.schedule.tz,
    )
    reply_check, listener = None, None
    if replies.enabled:
        reply_check = ReplyCheck(engine, replies, clock=clock)
        if replies.socket_mode and replies.has_secret("app_token_env"):
            listener = InteractionListener(
                engine,
                replies,
                app_token=replies.secret("app_token_env"),
                base_url=config.slack.base_url,
                clock=clock,
            )
        elif replies.socket_mode:
            log.warning(
                "$%s is not set: Slack buttons and reactions on reply alerts are off "
                "(the brand's own replies still close posts)",
                replies.app_token_env,
            )
    coordinator = Coordinator(engine, holder=worker, clock=clock)
    return App(
        config=config,
        engine=engine,
        connectors=connectors,
        pipeline=pipeline,
        delivery=delivery,
        clock=clock,
        spikes=spike_watch,
        coordinator=coordinator,
        heartbeat=Heartbeat(coordinator),
        replies=reply_check,
        interactions=listener,
        digest=digest,
        metrics=metrics,
        sleep=sleep,
        job_health=JobHealth(),
    )
