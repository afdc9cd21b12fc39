"""Build in-process apps (one per 'instance') on a shared database, with fakes only at the edges."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from models.base import Sentiment
from monitor.alerts.slack import SlackSink
from monitor.bootstrap import App, bootstrap
from monitor.config import parse_config
from tests.conftest import Clock, make_post, write_posts


class KeywordClassifier:
    """Negative when the text says 'broken'; counts every text it sees (and can be slowed down)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.seen: list[str] = []
        self.lock = threading.Lock()
        self.before: Any = None  # called with the texts before classifying (to inject faults)

    def classify(self, texts: list[str]) -> list[Sentiment]:
        if self.before is not None:
            self.before(texts)
        time.sleep(self.delay)
        with self.lock:
            self.seen.extend(texts)
        return [
            Sentiment("negative", 0.9, 0.9) if "broken" in t else Sentiment("positive", 0.9, 0.05) for t in texts
        ]


def replay_file(tmp_path: Path, count: int, *, name: str = "posts.jsonl", start: int = 1) -> Path:
    """``count`` posts mentioning acme; every third one is negative."""
    posts = [
        make_post(i, f"acme order {i} {'is broken' if i % 3 == 0 else 'arrived'}", minutes=i % 600)
        for i in range(start, start + count)
    ]
    return write_posts(tmp_path / name, posts)


def negative_keys(count: int, *, start: int = 1) -> list[str]:
    """The alert keys ``replay_file`` should produce."""
    return sorted(f"negative:Acme:x:{i}" for i in range(start, start + count) if i % 3 == 0)


def config_dict(db_url: str, replay: Path, slack_url: str, **sections: Any) -> dict[str, Any]:
    """A config with one brand, the replay source and the local Slack."""
    raw: dict[str, Any] = {
        "storage": {"url": db_url},
        "classifier": {"batch_size": 8},
        "slack": {"base_url": slack_url, "min_interval": "1ms", "timeout": "2s"},
        "schedule": {"classify_interval": "1s", "deliver_interval": "1s"},
        "brands": [{"name": "Acme", "terms": ["acme"]}],
        "sources": {"replay": {"path": str(replay), "interval": "1s", "page_size": 10}},
    }
    for key, value in sections.items():
        raw[key] = {**raw.get(key, {}), **value}
    return raw


def make_app(
    raw: dict[str, Any], slack: Any, *, classifier: Any = None, clock: Any = None, env: Any = None, **kw: Any
) -> App:
    """One instance: bootstrap with the local Slack and a keyword classifier, on a test clock unless given one."""
    config = parse_config(raw, env=env or {})
    return bootstrap(
        config,
        classifier=classifier or KeywordClassifier(),
        sink=SlackSink(slack.token, base_url=slack.base_url, timeout=config.slack.timeout),
        clock=clock or Clock(),
        **kw,
    )
