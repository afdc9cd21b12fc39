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
from typing import TYPE_CHECKING

from models.base import ModelLoadError
from models.settings import ClassifierSettings, with_model
from monitor import logs
from monitor.clock import utc_now
from monitor.config import (
    Config,
    ConfigError,
    has_section,
    load_classifier_settings,
    load_config,
    resolve_path,
)

if TYPE_CHECKING:
    from models.labelled import LabelledFile, LabelledPost

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


def _classifier_settings(args: argparse.Namespace) -> ClassifierSettings:
    """``[classifier]`` of the config when there is one (nothing else of it is needed), ``--model`` applied."""
    path = resolve_path(args.config)
    settings = load_classifier_settings(path if (args.config or path.exists()) else None)
    return with_model(settings, args.model) if getattr(args, "model", None) else settings


def cmd_classify(args: argparse.Namespace) -> int:
    """Classify posts from stdin, one JSON object per input line out, each batch as soon as input pauses."""
    from models.loading import load_classifier
    from models.stream import classify_stream

    settings = _classifier_settings(args)
    classifier = load_classifier(settings)
    classified, errors = classify_stream(
        sys.stdin, classifier, lambda line: print(line, flush=True), batch_size=settings.batch_size
    )
    if errors:
        log.warning("classify: %d line(s) classified, %d could not be (see their \"error\")", classified, errors)
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
    report, ok = run_export(
        model=model, output=Path(args.output), heldout=heldout, min_agreement=args.min_agreement,
        min_correlation=args.min_correlation, min_median_agreement=args.min_median_agreement,
    )
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return EXIT_OK if ok else EXIT_FAILURE


def cmd_model_evaluate(args: argparse.Namespace) -> int:
    """Score the model on labelled posts and on the team's feedback, per language."""
    from pathlib import Path

    from models.assess import assess
    from models.evaluation import table
    from models.labelled import LabelledFileError, read_labelled
    from models.loading import load_classifier

    if not args.labelled and not args.from_feedback:
        return _fail("model evaluate: give --labelled FILE, --from-feedback, or both", EXIT_USAGE)
    if not 0 < args.precision <= 1:
        return _fail(f"model evaluate: --precision {args.precision} must be in (0, 1], e.g. 0.8", EXIT_USAGE)
    try:
        labelled = read_labelled(Path(args.labelled)) if args.labelled else None
    except LabelledFileError as exc:
        return _fail(str(exc), EXIT_USAGE)
    posts = _usable(labelled)
    if args.from_feedback:
        posts += _feedback_posts(_load(args))
        if not posts:
            return _fail("model evaluate --from-feedback: no feedback stored yet (\"not negative\" in Slack, or "
                         "negative posts the brand answered)", EXIT_FAILURE)
    settings = _classifier_settings(args)
    classifier = load_classifier(settings)
    figures = assess(classifier, posts, precision=args.precision)
    if args.json:
        version = getattr(classifier, "version", None) or settings.onnx_model or settings.model
        skipped = [{"line": x.line, "reason": x.reason} for x in labelled.skipped] if labelled else []
        print(json.dumps({"model": version, "languages": figures, "skipped": skipped}, ensure_ascii=False))
    else:
        print(table(figures))
    return EXIT_OK


def _usable(labelled: LabelledFile | None) -> list[LabelledPost]:
    """The posts of a labelled file, saying on stderr which records were skipped."""
    if labelled is None:
        return []
    if labelled.skipped:
        log.warning("%s", labelled.skipped_summary())
    return list(labelled.posts)


def cmd_model_tune(args: argparse.Namespace) -> int:
    """Fine-tune on the team's feedback and labelled posts; switch to the result only if it is better."""
    from pathlib import Path

    from models.evaluation import table
    from models.labelled import LabelledFileError, read_labelled
    from models.tune_command import TuneError, run_tune
    from models.tuning import TuneOptions

    if not 0 < args.heldout < 1:
        return _fail(f"model tune: --heldout {args.heldout} must be between 0 and 1, e.g. 0.2", EXIT_USAGE)
    try:
        posts = _usable(read_labelled(Path(args.labelled)) if args.labelled else None)
    except LabelledFileError as exc:
        return _fail(str(exc), EXIT_USAGE)
    path = resolve_path(args.config)
    if not args.no_feedback and (args.config or path.exists()):
        if has_section(path, "storage"):
            posts += _feedback_posts(_load(args))
        else:
            log.info("%s has no [storage]: tuning on the labelled file only, without the team's feedback", path)
    options = TuneOptions(epochs=args.epochs, learning_rate=args.learning_rate, layers=args.layers,
                          heldout=args.heldout, seed=args.seed)
    try:
        result = run_tune(settings=_classifier_settings(args), posts=posts, home=Path(args.output), options=options,
                          now=args.clock(), precision=args.precision, export=not args.no_onnx)
    except TuneError as exc:
        return _fail(str(exc), EXIT_USAGE)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return EXIT_OK
    print(f"held-out split ({result['heldout_posts']} posts), before:\n{table(result['before'])}\n")
    print(f"after ({result['version']}, trained on {result['train_posts']} posts):\n{table(result['after'])}\n")
    verdict = "better: now active" if result["activated"] else "not better: the current model stays active"
    print(f"{result['directory']}: {verdict} ({result['heldout_score_before']} -> {result['heldout_score_after']})")
    return EXIT_OK


def _feedback_posts(config: Config) -> list[LabelledPost]:
    """The team's feedback in the configured database, as labelled posts."""
    from models.labelled import LabelledPost
    from monitor.storage import migrate
    from monitor.storage.engine import make_engine
    from monitor.storage.feedback import feedback

    engine = make_engine(config.storage.url)
    try:
        if migrate.current_revision(engine) is None:  # read-only: a database the daemon never used holds nothing
            log.warning("the database at [storage] url has no tables yet: no feedback to read")
            return []
        with engine.connect() as conn:
            return [LabelledPost(f.text, f.label, f.lang) for f in feedback(conn)]
    finally:
        engine.dispose()


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
    classify = command(
        "classify", cmd_classify, 'classify posts read from stdin (JSON {"text": ..., "id": ...} or plain text a line)'
    )
    classify.add_argument("--model", help="model id, local model directory or .onnx file (default: the configured one)")
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
    export.add_argument("--min-correlation", type=float, default=0.95,
                        help="least correlation of int8's and fp32's P(negative) (default 0.95)")
    export.add_argument("--min-median-agreement", type=float, default=0.85,
                        help="least share of posts both put on the same side of their median P(negative) (0.85)")
    export.set_defaults(func=cmd_model_export)
    evaluate = model_sub.add_parser(
        "evaluate", help="how right the model is per language, on labelled posts and the team's feedback"
    )
    evaluate.add_argument("--config", help="config file (its [classifier] and, with --from-feedback, its storage)")
    evaluate.add_argument("--model", help="model id, directory or .onnx file to evaluate (default: the configured one)")
    evaluate.add_argument("--labelled", help="CSV (header text,label[,lang]) or JSON Lines with text, label, lang")
    evaluate.add_argument("--from-feedback", action="store_true",
                          help="also the labels the team gave in Slack and negative posts the brand answered")
    evaluate.add_argument("--precision", type=float, default=0.8,
                          help="the precision of 'negative' to find each language's threshold for (default 0.8)")
    evaluate.add_argument("--json", action="store_true", help="JSON for CI instead of a table")
    evaluate.set_defaults(func=cmd_model_evaluate)
    tune = model_sub.add_parser(
        "tune", help="fine-tune on the team's feedback and labelled posts; switch only to a better model"
    )
    tune.add_argument("--config", help="config file (its [classifier] model is the start; its storage the feedback)")
    tune.add_argument("--model", help="model id or directory to start from (default: the configured, active one)")
    tune.add_argument("--labelled", help="CSV (header text,label[,lang]) or JSON Lines with text, label, lang")
    tune.add_argument("--no-feedback", action="store_true", help="leave out the feedback stored in the database")
    tune.add_argument("--output", required=True,
                      help="versions directory: each tune writes DIR/tuned-<time>/, DIR/ACTIVE names the one in use")
    tune.add_argument("--epochs", type=int, default=3, help="passes over the training split (default 3)")
    tune.add_argument("--learning-rate", type=float, default=5e-5, help="AdamW learning rate (default 5e-5)")
    tune.add_argument("--layers", type=int, default=2,
                      help="top encoder layers trained with the classification head (default 2; -1: all)")
    tune.add_argument("--heldout", type=float, default=0.2, help="share held out per language and label (0.2)")
    tune.add_argument("--seed", type=int, default=0, help="seed of the split and the training order")
    tune.add_argument("--precision", type=float, default=0.8, help="precision for the per-language thresholds")
    tune.add_argument("--no-onnx", action="store_true", help="skip the ONNX export of the tuned model")
    tune.add_argument("--json", action="store_true", help="JSON instead of the tables")
    tune.set_defaults(func=cmd_model_tune)
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
