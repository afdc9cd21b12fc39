"""The demo's configuration: one brand, the shipped posts replayed live, every feature on."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

SAMPLE_POSTS = "sample_posts.jsonl"
ZONE = "Europe/Warsaw"
BRAND: dict[str, Any] = {
    "name": "Acme",
    "terms": ["acme"],
    "handles": {"x": "AcmeSupport", "reddit": "acme_support", "mastodon": "acme@mastodon.social"},
}
CHANNELS = {"alerts": "#brand-alerts", "replies": "#brand-replies", "digest": "#brand-digest"}


def sample_posts_path() -> Path:
    """Where the shipped sample posts live."""
    return Path(str(resources.files("monitor.demo").joinpath(SAMPLE_POSTS)))


def demo_config(base: dict[str, Any], *, database: Path) -> dict[str, Any]:
    """The raw config of the demo; ``base`` carries the user's ``[classifier]`` and ``[slack]``, if any."""
    slack = {**base.get("slack", {}), "alerts_channel": CHANNELS["alerts"], "digest_channel": CHANNELS["digest"]}
    return {
        **base,
        "slack": slack,
        "storage": {"url": f"sqlite:///{database}"},
        "schedule": {
            "timezone": ZONE,
            "classify_interval": "2m",
            "deliver_interval": "1m",  # and at once whenever a job queued an alert
            "spike_check_interval": "5m",
            "reply_check_interval": "5m",
        },
        # The reply queue and the spike alerts tell the story; one alert per negative post would bury it.
        "alerts": {"negative_posts": False},
        "replies": {
            "enabled": True,
            "channel": CHANNELS["replies"],
            "socket_mode": False,
            "sla": {"default": "1h"},
            "reminder_before": "15m",
            # Only posts addressed to the brand (its handle, or its thread) wait for an answer; an outage's
            # crowd of posts is the spike alert's job.
            "needs_reply": {"addressed_only": True},
            "categories": [
                {
                    "name": "billing",
                    "keywords": ["refund", "charged", "invoice", "zwrot", "faktura", "возврат", "بازپرداخت"],
                    "playbook": "Hi {author}, sorry about the charge. Please DM us your account number and we will"
                    " sort it out today.",
                },
                {
                    "name": "outage",
                    "keywords": ["down", "outage", "nie działa", "awaria", "не работает", "сбой", "قطع"],
                    "playbook": "Hi {author}, we are sorry, we know and are working on it. Live status:"
                    " https://status.example.com",
                },
            ],
        },
        # A morning is all the history the demo has: 10-minute buckets and two hours of learning (the
        # detector's sensitivity and thresholds are the shipped defaults).
        "spikes": {"bucket": "10m", "warmup": "2h", "min_history": 12, "resolve_after": "20m"},
        "digest": {"enabled": True, "chart_days": 1},
        "brands": [BRAND],
        "sources": {"replay": {"path": str(sample_posts_path()), "mode": "live", "interval": "1m"}},
    }
