"""``brand-monitor demo``: the whole pipeline on shipped sample posts, with no credentials."""

from __future__ import annotations

import logging
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from models.base import ModelLoadError
from monitor.config import ConfigError, load_config, parse_config, resolve_path

log = logging.getLogger(__name__)

SAMPLE_POSTS = "sample_posts.jsonl"
DEMO_BRAND = {"name": "Acme", "terms": ["acme"], "handles": {"x": "AcmeSupport"}}


def sample_posts_path() -> Path:
    """Where the shipped sample posts live."""
    return Path(str(resources.files("monitor.demo").joinpath(SAMPLE_POSTS)))


def run_demo(*, config_path: str | None = None, model: str | None = None) -> int:
    """Replay the sample posts through storage, classification and alerting; print what was sent."""
    from monitor.bootstrap import bootstrap
    from monitor.once import run_once

    base: dict[str, Any] = {}
    path = resolve_path(config_path)
    if config_path or path.exists():
        user = load_config(path)  # reuse the user's model and Slack settings
        base = {"classifier": user.classifier.model_dump(mode="json"), "slack": user.slack.model_dump(mode="json")}
    if model:
        base.setdefault("classifier", {})["model"] = model
    with tempfile.TemporaryDirectory(prefix="brand-monitor-demo-") as tmp:
        raw = {
            **base,
            "storage": {"url": f"sqlite:///{Path(tmp) / 'demo.db'}"},
            "brands": [DEMO_BRAND],
            "sources": {"replay": {"path": str(sample_posts_path())}},
        }
        try:
            config = parse_config(raw, source="demo")
            if config.slack.token is None and not config.slack.console:
                # No credentials needed: without a bot token the demo prints its alerts ([slack] console).
                raw["slack"] = {**raw.get("slack", {}), "console": True}
                config = parse_config(raw, source="demo")
        except ConfigError as exc:
            print(f"brand-monitor demo: {exc}", file=sys.stderr)
            return 2
        print(
            f"Demo: {sum(1 for _ in sample_posts_path().open(encoding='utf-8'))} sample posts about "
            f"{DEMO_BRAND['name']} (en, pl, ru, fa); sentiment model: {config.classifier.model}",
            flush=True,
        )
        if config.slack.console:
            print(f"No ${config.slack.token_env} (or [slack] console = true): alerts are printed here.\n", flush=True)
        app = bootstrap(config)
        try:
            totals = run_once(app)
        except ModelLoadError as exc:
            print(f"\nbrand-monitor demo: {exc}", file=sys.stderr)
            print("Try: brand-monitor demo --model /path/to/a/local/model", file=sys.stderr)
            return 1
        finally:
            app.engine.dispose()
    print(
        f"\nDone: {totals['new_posts']} posts stored, {totals['classified']} classified, {totals['sent']} alerts sent."
    )
    return 0
