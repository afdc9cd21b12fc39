"""``brand-monitor digest [--date YYYY-MM-DD] [--dry-run]``: build the digest, print or send it."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.digest.days import last_complete_day

if TYPE_CHECKING:
    from monitor.alerts.delivery import DeliveryReport
    from monitor.digest import runs
    from monitor.digest.service import DigestService

log = logging.getLogger(__name__)

SEND_BUDGET_SECONDS = 60.0


def parse_day(text: str) -> date:
    """``--date`` as a date, with a clear error."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD, e.g. 2026-11-30)") from None


def run_digest(
    service: DigestService,
    *,
    deliver: Callable[[], DeliveryReport],
    day: date | None,
    dry_run: bool,
    chart_path: str | None,
    output_format: str = "text",
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> int:
    """Build the digest for ``day`` (default: yesterday, locally); print it, or queue it and ``deliver`` it.

    A dry run without ``day`` shows today so far when yesterday had no mentions (a new install). Sending
    never does: a day's digest goes out once, so a partial day must not take the place of the full one.
    ``service`` and ``deliver`` come wired from ``monitor.bootstrap`` (the command line builds them).
    """
    # Imported here: the parser imports this module for every command, and these are heavy.
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from monitor.digest import runs
    from monitor.digest.formats import export

    config = service.config
    chosen = day
    day = day or last_complete_day(service.clock(), config.schedule.tz)
    if dry_run:
        try:
            built = service.build(day)
            if chosen is None and not any(b.today.volume.total for b in built.digest.brands):
                today = service.clock().astimezone(config.schedule.tz).date()
                print(f"No mentions on {day} (yesterday); showing today so far.", file=sys.stderr)
                day, built = today, service.build(today)
        except (OperationalError, ProgrammingError) as exc:
            print(
                f"brand-monitor digest: cannot read the database ({exc.orig}); run `brand-monitor db upgrade`",
                file=sys.stderr,
            )
            return 1
        path = Path(chart_path) if chart_path else _temp_chart(day)
        path.write_bytes(built.chart)
        form = output_format if output_format in ("text", "markdown", "json") else "text"
        sys.stdout.write(export(built.digest, built.parts, form=form, chart=path))  # type: ignore[arg-type]
        return 0
    if not service.send(day):
        print(f"digest {day} for {service.channel} was already queued; not sent again")
    deadline = monotonic() + SEND_BUDGET_SECONDS
    run = None
    while monotonic() < deadline:
        refused = deliver().refused
        if refused:  # no use waiting out the budget: nothing goes out until a person fixes the token
            print(
                f"digest {day} is queued but Slack refuses the bot token ({refused}): put a valid one in"
                f" ${config.slack.token_env} ([slack] token_env); the daemon or the next run delivers it",
                file=sys.stderr,
            )
            return 1
        service.upload_charts()
        with service.engine.connect() as conn:
            run = runs.find(conn, day=day, channel=service.channel)
        if run is not None and run.status in (runs.SENT, runs.DEAD):
            failed = " (the chart upload failed; see the log)" if run.status == runs.DEAD else ""
            print(f"digest {day} sent to {service.channel}{failed}")
            return 0
        sleep(1.0)
    if run is not None and _message_out(service, run):
        # The message is out; only its chart is still to come (an upload that keeps failing is retried).
        print(
            f"digest {day} sent to {service.channel}; its chart is not uploaded yet (see the log): the daemon"
            " uploads it",
            file=sys.stderr,
        )
        return 1
    print(f"digest {day} is queued but not delivered yet; the daemon will deliver it", file=sys.stderr)
    return 1


def _message_out(service: DigestService, run: runs.Run) -> bool:
    from monitor.alerts import outbox

    with service.engine.connect() as conn:
        return outbox.location(conn, run.key) is not None


def _temp_chart(day: date) -> Path:
    with tempfile.NamedTemporaryFile(prefix=f"brand-digest-{day.isoformat()}-", suffix=".png", delete=False) as f:
        return Path(f.name)
