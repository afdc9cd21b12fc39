"""``brand-monitor``: the command line (commands in README.md). Exit 0 ok, 1 runtime failure, 2 bad usage/config."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from models.base import ModelLoadError
from monitor import logs
from monitor.clock import utc_now
from monitor.config import Config, ConfigError, load_config, resolve_path

log = logging.getLogger("brand-monitor")

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def _load(args: argparse.Namespace) -> Config:
    """Load the config and install the redactor for every secret it read, before anything can log them."""
    from values import redaction

    config = load_config(resolve_path(args.config))
    redaction.install(redaction.Redactor.for_config(config))
    return config


def _fail(message: str, code: int) -> int:
    """Report a fatal problem on stderr (a JSON line when logs are JSON) and return the exit code."""
    from values.redaction import redact

    if logs.json_lines():
        log.error("%s", message)
    else:
        print(f"brand-monitor: {redact(message)}", file=sys.stderr)
    return code


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate the config, then check offline what it points at (storage, files, secrets); ``--online`` more."""
    from monitor.ops import preflight

    config = _load(args)
    problems = preflight.offline_problems(config)
    if args.online:
        from monitor.ops.online_check import online_problems

        problems += online_problems(config, timeout=args.timeout)
    path = resolve_path(args.config)
    if problems:
        return _fail(ConfigError(str(path), [str(p) for p in problems]).args[0], EXIT_USAGE)
    sources = ", ".join(config.enabled_sources()) or "none"
    alerts = "console" if config.slack.console else f"Slack (${config.slack.token_env})"
    checked = " (online checks passed)" if args.online else ""
    print(f"{path}: OK — {len(config.brands)} brand(s), sources: {sources}, alerts: {alerts}{checked}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """The daemon, or one pass of every due job with ``--once``."""
    from monitor.ops import instance_lock, preflight

    config = _load(args)
    # Before importing the daemon: some libraries log at import time.
    logs.configure(
        level=config.logging.level if args.log_level == "INFO" else args.log_level,
        json_lines=args.log_json or config.logging.format == "json",
    )
    # Storage that cannot be opened: a config problem (exit 2), or a server that does not answer (exit 1, so a
    # service manager tries again); a short message naming [storage] url either way, not a traceback.
    storage = preflight.storage_problems(config.storage.url)
    if storage:
        return _fail(str(storage[0]), EXIT_FAILURE if storage[0].transient else EXIT_USAGE)
    from monitor.bootstrap import bootstrap
    from monitor.daemon import Daemon, install_stop_handlers
    from monitor.once import run_once

    lock = instance_lock.for_url(config.storage.url)
    if lock is not None:
        try:
            lock.acquire()
        except instance_lock.InstanceLockError as exc:
            return _fail(str(exc), EXIT_FAILURE)
    try:
        app = bootstrap(config, clock=args.clock, sleep=args.sleep)
        if args.once:
            install_stop_handlers(app)
            totals = run_once(app)
            log.info("run --once: %s", ", ".join(f"{k} {v}" for k, v in totals.items()))
            refused = app.delivery.auth_error
            if refused and totals.get("undelivered"):
                return _fail(
                    f"{totals['undelivered']} alert(s) not delivered: Slack refuses the bot token ({refused}). Put a"
                    f" valid bot token (xoxb-…) in ${config.slack.token_env} ([slack] token_env) and run again;"
                    " the alerts are kept and go out then.",
                    EXIT_FAILURE,
                )
            return EXIT_OK
        Daemon(app).run()
        return EXIT_OK
    finally:
        if lock is not None:
            lock.release()


def cmd_demo(args: argparse.Namespace) -> int:
    """The whole pipeline on the sample posts shipped with the package."""
    from monitor.demo import run_demo

    if args.log_level == "INFO":  # the default: the demo's own output tells the story, routine logs would bury it
        logging.getLogger().setLevel(logging.WARNING)
    return run_demo(config_path=args.config, model=args.model)


def cmd_classify(args: argparse.Namespace) -> int:
    """Classify posts from stdin, one JSON object per line out."""
    from models.loading import load_classifier

    config = _load(args)
    classifier = load_classifier(config.classifier)
    batch: list[str] = []

    def flush() -> None:
        for sentiment in classifier.classify(batch):
            out = {
                "label": sentiment.label,
                "score": round(sentiment.score, 4),
                "negative": round(sentiment.negative, 4),
                "low_confidence": sentiment.low_confidence,
                "lang": sentiment.lang,
            }
            print(json.dumps(out, ensure_ascii=False), flush=True)
        batch.clear()

    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        text = line
        if line.lstrip().startswith("{"):
            try:
                data = json.loads(line)
                text = str(data.get("text", "")) if isinstance(data, dict) else line
            except json.JSONDecodeError:
                text = line
        batch.append(text)
        if len(batch) >= config.classifier.batch_size:
            flush()
    if batch:
        flush()
    return EXIT_OK


def cmd_model_export(args: argparse.Namespace) -> int:
    """Export the model to ONNX (fp32 + int8) and check that int8 agrees with fp32."""
    from pathlib import Path

    from models.export_command import run_export

    path = resolve_path(args.config)
    model = args.model or (load_config(path).classifier.model if (args.config or path.exists()) else None)
    if not model:
        print("brand-monitor model export: give --model or a config with [classifier] model", file=sys.stderr)
        return EXIT_USAGE
    heldout = Path(args.heldout) if args.heldout else None
    report, ok = run_export(model=model, output=Path(args.output), heldout=heldout, min_agreement=args.min_agreement)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return EXIT_OK if ok else EXIT_FAILURE


def cmd_backtest(args: argparse.Namespace) -> int:
    """Run the spike detector over a count series, bucket by bucket, as the daemon would."""
    from monitor.spikes.backtest import BacktestInputError, backtest_command
    from monitor.spikes.settings import SpikeSettings

    path = resolve_path(args.config)
    settings = load_config(path).spikes if (args.config or path.exists()) else SpikeSettings()
    try:
        result = backtest_command(args.input, settings)
    except (BacktestInputError, OSError) as exc:
        print(f"brand-monitor backtest: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(result))
    return EXIT_OK


def cmd_spikes_explain(args: argparse.Namespace) -> int:
    """Why the spike detector did or did not fire for a brand (its latest check, or recomputed at ``--at``)."""
    from monitor.spikes.why import explain_command
    from monitor.storage.engine import make_engine

    config = _load(args)
    engine = make_engine(config.storage.url)
    try:
        known = explain_command(
            engine,
            brand=args.brand,
            brands=[b.name for b in config.brands],
            settings=config.spikes,
            at=args.at,
            clock=args.clock,
            write=print,
        )
    finally:
        engine.dispose()
    return EXIT_OK if known else EXIT_USAGE


def _moment(text: str) -> datetime:
    """An ISO 8601 time for ``--at``; without a zone it is UTC."""
    from datetime import UTC

    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r} (e.g. 2026-11-20T09:15Z)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def cmd_digest(args: argparse.Namespace) -> int:
    """Build the daily digest; print it with ``--dry-run``, else send it (once per day and channel)."""
    from monitor.alerts.console import ConsoleSink
    from monitor.bootstrap import bootstrap
    from monitor.digest.command import run_digest

    # A dry run only reads: it neither migrates the database nor needs Slack (nor its token).
    sink = ConsoleSink() if args.dry_run else None
    app = bootstrap(_load(args), migrate_schema=not args.dry_run, sink=sink, clock=args.clock, sleep=args.sleep)
    assert app.digest is not None
    try:
        deliver = app.delivery.run_once
        return run_digest(
            app.digest,
            deliver=deliver,
            day=args.date,
            dry_run=args.dry_run,
            chart_path=args.chart,
            output_format=args.format,
        )
    finally:
        app.engine.dispose()


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply schema migrations."""
    from monitor.storage import migrate
    from monitor.storage.engine import make_engine

    config = _load(args)
    engine = make_engine(config.storage.url)
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    after = migrate.current_revision(engine)
    print(f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})"))
    return EXIT_OK


def cmd_query_test(args: argparse.Namespace) -> int:
    """Show which stored posts of the last days the configured query would match, and which no longer."""
    from monitor.query_command import QueryTestUsageError, run
    from monitor.storage.engine import make_engine

    config = _load(args)
    engine = make_engine(config.storage.url)
    try:
        return run(
            config, brand=args.brand, days=args.days, engine=engine, clock=args.clock, write=print, as_json=args.json
        )
    except QueryTestUsageError as exc:
        return _fail(str(exc), EXIT_USAGE)
    finally:
        engine.dispose()


def cmd_quarantine(args: argparse.Namespace) -> int:
    """List quarantined items, or retry them after a fix (exit 1 while some still fail)."""
    from monitor.quarantine_command import run
    from monitor.storage.engine import make_engine

    config = _load(args)
    engine = make_engine(config.storage.url)
    try:
        return run(
            config,
            action=args.action,
            source=args.source,
            engine=engine,
            clock=args.clock,
            write=print,
            warn=lambda line: print(line, file=sys.stderr),
        )
    finally:
        engine.dispose()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(
        prog="brand-monitor",
        description="Social-media monitoring and early warning: mentions in, sentiment, crisis spikes and posts due"
        " for a reply, alerts in Slack. Start with `brand-monitor demo`. Exit codes: 0 ok, 1 runtime failure,"
        " 2 bad usage or bad config.",
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default INFO)")
    parser.add_argument("--log-json", action="store_true", help="log JSON lines instead of text")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--config", help="config file (default ./config.toml, then $BRAND_MONITOR_CONFIG)")
        p.set_defaults(func=func)
        return p

    run = command("run", cmd_run, "run the daemon")
    run.add_argument("--once", action="store_true", help="run every due job once, deliver its alerts, and exit")
    demo = command("demo", cmd_demo, "run the whole pipeline on shipped sample posts, no credentials needed")
    demo.add_argument("--model", help="sentiment model id or local directory (default: the configured one)")
    check = command("check-config", cmd_check_config, "validate the config and check what it points at")
    check.add_argument(
        "--online",
        action="store_true",
        help="also ask Slack (auth.test) and each enabled source (one cheap request) whether they accept us",
    )
    check.add_argument(
        "--timeout", type=float, default=20.0, help="with --online: seconds to wait for each answer (default 20)"
    )
    command("classify", cmd_classify, 'classify posts read from stdin (JSON {"text": ...} or plain text per line)')
    backtest = command(
        "backtest", cmd_backtest, "run the spike detector over a timestamp,value CSV, never looking ahead"
    )
    backtest.add_argument("--input", required=True, help="CSV with a header 'timestamp,value', oldest row first")
    from monitor.digest.command import parse_day

    digest = command("digest", cmd_digest, "build the daily digest and send it (or print it with --dry-run)")
    digest.add_argument(
        "--date",
        type=parse_day,
        help="the local day YYYY-MM-DD (default: yesterday; with --dry-run, today so far when yesterday is empty)",
    )
    digest.add_argument("--dry-run", action="store_true", help="print the digest and write its chart; send nothing")
    digest.add_argument("--chart", help="with --dry-run: where to write the chart PNG (default: a temp file)")
    digest.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="with --dry-run: plain text (default), Markdown to paste elsewhere, or JSON (figures and Slack blocks)",
    )

    model = sub.add_parser("model", help="sentiment model commands")
    model_sub = model.add_subparsers(dest="model_command", required=True, metavar="MODEL_COMMAND")
    export = model_sub.add_parser(
        "export", help="export the model to ONNX fp32 + int8 and check int8 against fp32 on held-out posts"
    )
    export.add_argument("--config", help="config file (its [classifier] model is exported unless --model)")
    export.add_argument("--model", help="HuggingFace model id or local directory (default: the configured one)")
    export.add_argument("--output", required=True, help="directory to write model.onnx, model.int8.onnx, tokenizer")
    export.add_argument("--heldout", help="held-out posts, one text or JSON per line (default: built-in)")
    export.add_argument("--min-agreement", type=float, default=0.95, help="least share of same labels (default 0.95)")
    export.set_defaults(func=cmd_model_export)
    queries = sub.add_parser("query", help="brand query commands")
    queries_sub = queries.add_subparsers(dest="query_command", required=True, metavar="QUERY_COMMAND")
    test = queries_sub.add_parser(
        "test",
        help="check the stored posts of the last days against the brand's configured query: + would match, - no longer",
    )
    test.add_argument("--brand", required=True, help="the brand's name, as in [[brands]] name")
    test.add_argument("--days", type=int, default=7, help="posts stored with a time in the last N days (default 7)")
    test.add_argument("--json", action="store_true", help="one JSON object listing every post, instead of lines")
    test.add_argument("--config", help="config file (default ./config.toml, then $BRAND_MONITOR_CONFIG)")
    test.set_defaults(func=cmd_query_test)
    held = sub.add_parser("quarantine", help="items a source returned that could not be read or stored")
    held_sub = held.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, help_text in (
        ("list", "list quarantined items, one per line, and the total"),
        ("retry", "read quarantined items again and store what now succeeds (exit 1 if some still fail)"),
    ):
        held_action = held_sub.add_parser(action, help=help_text, description=help_text)
        held_action.add_argument("--source", help="only this source's items (e.g. replay, x, reddit)")
        held_action.add_argument("--config", help="config file (default ./config.toml, then $BRAND_MONITOR_CONFIG)")
        held_action.set_defaults(func=cmd_quarantine)
    spikes = sub.add_parser("spikes", help="spike detector commands")
    spikes_sub = spikes.add_subparsers(dest="spikes_command", required=True, metavar="SPIKES_COMMAND")
    explain = spikes_sub.add_parser(
        "explain",
        help="why the detector did or did not fire for a brand",
        description="why the detector did or did not fire for a brand: observed vs expected, the deciding window,"
        " p-value and threshold (its latest check, or recomputed from stored posts at --at)",
    )
    explain.add_argument("--brand", required=True, help="a brand's name as in the config")
    explain.add_argument("--at", type=_moment, help="the time to explain, ISO 8601 (default: the latest check)")
    explain.add_argument("--config", help="config file (default ./config.toml, then $BRAND_MONITOR_CONFIG)")
    explain.set_defaults(func=cmd_spikes_explain)
    db = sub.add_parser("db", help="database commands")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    upgrade = db_sub.add_parser("upgrade", help="apply schema migrations")
    upgrade.add_argument("--config", help="config file")
    upgrade.set_defaults(func=cmd_db_upgrade)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Entry point of the ``brand-monitor`` console script (tests pass a manual ``clock`` and its ``sleep``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.clock, args.sleep = clock, sleep  # what the commands read the time from and wait with
    logs.configure(level=args.log_level, json_lines=args.log_json)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except ModelLoadError as exc:
        return _fail(str(exc), EXIT_FAILURE)
    except KeyboardInterrupt:
        return EXIT_OK
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
