"""The wired daemon's parts, as ``monitor.bootstrap`` builds them and the jobs use them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from connectors.base import Connector
from monitor.alerts.delivery import Delivery
from monitor.config import Config
from monitor.digest.service import DigestService
from monitor.ops.coordination import Coordinator
from monitor.ops.job_health import JobHealth
from monitor.ops.metrics import Metrics
from monitor.ops.runtime import Heartbeat
from monitor.pipeline import Pipeline
from monitor.replies.socket import InteractionListener
from monitor.replies.timers import ReplyCheck
from monitor.spikes.watch import SpikeWatch


@dataclass
class App:
    """The wired daemon: configuration, database, sources, pipeline, delivery and the features' services."""

    config: Config
    engine: Engine
    connectors: dict[str, Connector]
    pipeline: Pipeline
    delivery: Delivery
    clock: Callable[[], datetime]
    spikes: SpikeWatch
    coordinator: Coordinator
    heartbeat: Heartbeat
    stop: threading.Event = field(default_factory=threading.Event)
    replies: ReplyCheck | None = None  # the reply queue's timers, when [replies] is enabled
    interactions: InteractionListener | None = None  # Slack Socket Mode, when an app token is set
    digest: DigestService | None = None
    metrics: Metrics = field(default_factory=Metrics)
    sleep: Callable[[float], None] = time.sleep  # how paced work waits (a manual clock's sleep in tests)
    job_health: JobHealth = field(default_factory=JobHealth)

    def polls(self) -> list[tuple[str, str]]:
        """Every (source, brand) pair to poll."""
        pairs = []
        for name, settings in self.config.enabled_sources().items():
            for brand in self.config.brands:
                if settings.brands is None or brand.name in settings.brands:
                    pairs.append((name, brand.name))
        return pairs
