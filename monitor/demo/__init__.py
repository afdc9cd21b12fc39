"""``brand-monitor demo``: a scripted morning of sample posts through the whole product, with no credentials.

The shipped posts (en, pl, ru, fa) are replayed live on a manual clock through the daemon's own job table:
ordinary chatter, a question and complaints due for a reply (one answered by the brand's account, which
closes it), a growing outage that becomes a spike, then the digest of the day so far with its chart.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from models.base import Classifier, ModelLoadError
from monitor.config import Config, ConfigError, load_config, parse_config, resolve_path
from monitor.demo import report, story
from monitor.demo.quiet import brief_warnings
from monitor.demo.setup import BRAND, sample_posts_path

__all__ = ["run_demo", "sample_posts_path"]


def run_demo(
    *,
    config_path: str | None = None,
    model: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    chart_dir: Path | None = None,
    classifier: Classifier | None = None,
) -> int:
    """Play the morning; print (or post to Slack) what a team would see. Exit 0, 1 (model), 2 (config).

    ``classifier`` replaces the configured model (tests); by default the model is loaded as the daemon loads it.
    """
    out, err = out or sys.stdout, err or sys.stderr
    base: dict[str, Any] = {}
    path = resolve_path(config_path)
    if config_path or path.exists():
        user = load_config(path)  # reuse the user's model and Slack settings
        base = {"classifier": user.classifier.model_dump(mode="json"), "slack": user.slack.model_dump(mode="json")}
    if model:
        base.setdefault("classifier", {})["model"] = model
    with tempfile.TemporaryDirectory(prefix="brand-monitor-demo-") as tmp:
        try:
            config = _config(base, database=Path(tmp) / "demo.db")
        except ConfigError as exc:
            print(f"brand-monitor demo: {exc}", file=err)
            return 2
        morning = story.Morning.of(sample_posts_path())
        _intro(config, morning, out)
        try:
            classifier = classifier or _load_model(config, out, err)
        except ModelLoadError as exc:
            print(f"\nbrand-monitor demo: {exc}", file=err)
            print("Try: brand-monitor demo --model /path/to/a/local/model", file=err)
            return 1
        return _play(config, classifier, morning, out, chart_dir=chart_dir)


def _config(base: dict[str, Any], *, database: Path) -> Config:
    from monitor.demo.setup import demo_config

    raw = demo_config(base, database=database)
    config = parse_config(raw, source="demo")
    if config.slack.token is None and not config.slack.console:
        # No credentials needed: without a bot token the demo prints its alerts ([slack] console).
        raw["slack"] = {**raw["slack"], "console": True}
        config = parse_config(raw, source="demo")
    return config


def _intro(config: Config, morning: story.Morning, out: TextIO) -> None:
    zone = config.schedule.tz
    lines = sum(1 for line in sample_posts_path().read_text(encoding="utf-8").splitlines() if line.strip())
    print(
        f"brand-monitor demo: {lines} sample posts about {BRAND['name']} (en, pl, ru, fa) replayed as one morning,"
        f" {morning.start.astimezone(zone):%H:%M}–{morning.end.astimezone(zone):%H:%M} {zone.key}, on a fast clock.",
        file=out,
    )
    where = (
        "printed here (no $" + config.slack.token_env + ")"
        if config.slack.console
        else f"posted to Slack: {config.slack.alerts_channel}, {config.replies.channel}, {config.slack.digest_channel}"
    )
    print(f"Alerts: {where}. Times are in {zone.key}.", file=out, flush=True)


def _load_model(config: Config, out: TextIO, err: TextIO) -> Classifier:
    from models.loading import load_classifier

    print(f"Loading the sentiment model {config.classifier.model} …", file=out, flush=True)
    if Path(config.classifier.model).is_dir():
        # Nothing to download: the library's bar for reading weights from disk is noise here (a download
        # keeps its bar: that one tells a first-time user the wait is progress).
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    started = time.monotonic()
    with brief_warnings(err):
        classifier = load_classifier(config.classifier)
    print(f"Model ready in {time.monotonic() - started:.1f} s.", file=out, flush=True)
    return classifier


def _play(
    config: Config, classifier: Classifier, morning: story.Morning, out: TextIO, *, chart_dir: Path | None
) -> int:
    from monitor.alerts.console import ConsoleSink
    from monitor.bootstrap import bootstrap
    from monitor.clock import ManualClock
    from monitor.digest.upload import FileChartUploader

    zone = config.schedule.tz
    clock = ManualClock(morning.start)
    timeline = story.Timeline(out, clock, zone)
    sink = ConsoleSink(timeline, zone=zone) if config.slack.console else None
    # The console waits on the demo's clock; Slack's pace (one message a second per channel) is real.
    app = bootstrap(config, clock=clock, sleep=clock.sleep if sink else time.sleep, sink=sink, classifier=classifier)
    assert app.digest is not None
    charts = chart_dir or Path(tempfile.gettempdir()) / "brand-monitor-demo"
    if sink is not None:
        app.digest.uploader = FileChartUploader(charts)
    try:
        runner = story.play(app, morning)
        print(f"\n\nWhat was stored and how it was labelled ({zone.key}):\n", file=out)
        print("\n".join(report.table(report.stored(app.engine), zone)), file=out)
        print("\n\nThe digest of the day so far, as the PR leads' channel gets it:", file=out, flush=True)
        run = story.digest(app, runner)
        totals = report.totals(app.engine)
    finally:
        app.engine.dispose()
    chart = "not written" if run is None else str(charts / run.filename) if sink else "uploaded to Slack with it"
    print(
        f"\nDone: {totals.posts} posts stored, {totals.classified} classified ({totals.negative} negative);"
        f" {totals.reply_threads} reply threads ({totals.reply_closed} closed); {totals.spikes} spike(s);"
        f" {totals.alerts_sent} alerts sent.\nDigest chart: {chart}",
        file=out,
    )
    return 0
