"""``brand-monitor quarantine list|retry [--source S]``: see what was quarantined, and store it after a fix.

``retry`` reads each item again the way it first failed: an item the connector
could not read goes through that source's own parser (the registry's re-parse
hook), an item refused at storage is read back from the post it was kept as.
Both then pass the normalisation boundary. What now succeeds is stored as a
mention of the item's brand, unclassified: the daemon's classify job labels it
like any new post. What still fails stays, with its attempts and new reason.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from connectors.base import Post
from connectors.registry import SOURCES
from connectors.replay import parse_post
from monitor.config import Config
from monitor.pipeline import all_handles
from monitor.storage import posts as post_store
from monitor.storage import quarantine
from monitor.storage.error_text import describe, error_text
from monitor.storage.ingest import is_data_error
from monitor.storage.normalise import InvalidPost, normalise

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
REASON_WIDTH = 120
FIELD_WIDTH = 40


class QuarantineUsageError(ValueError):
    """A bad ``--source``."""


@dataclass
class RetryReport:
    """What a retry did: released item ids, and those still failing with their new reason."""

    released: list[int] = field(default_factory=list)
    failing: list[tuple[quarantine.Quarantined, str]] = field(default_factory=list)


def run(
    config: Config,
    *,
    action: str,
    source: str | None,
    engine: Engine,
    clock: Callable[[], datetime],
    write: Callable[[str], None],
    warn: Callable[[str], None],
) -> int:
    """Run ``list`` or ``retry``; ``write`` prints a line of output, ``warn`` one of error. Returns the exit code."""
    if source is not None and source not in SOURCES:
        warn(f"brand-monitor quarantine: unknown source {source!r} (one of: {', '.join(sorted(SOURCES))})")
        return EXIT_USAGE
    try:
        if action == "list":
            for line in list_lines(engine, source=source):
                write(line)
            return EXIT_OK
        report = retry(engine, config, source=source, now=clock())
    except (OperationalError, ProgrammingError) as exc:
        warn(f"brand-monitor quarantine: cannot use the database ({describe(exc)}); run `brand-monitor db upgrade`?")
        return EXIT_FAILURE
    for item, reason in report.failing:
        write(f"{_item_line(item)}  still failing: {printable(reason, REASON_WIDTH)}")
    write(f"released {len(report.released)}, still failing {len(report.failing)}")
    return EXIT_FAILURE if report.failing else EXIT_OK


def list_lines(engine: Engine, *, source: str | None) -> list[str]:
    """One line per quarantined item (safe to print on a terminal), then the total."""
    with engine.connect() as conn:
        items = quarantine.pending(conn, source=source)
    lines = [f"{_item_line(item)}  {printable(item.reason, REASON_WIDTH)}" for item in items]
    lines.append(f"{len(items)} quarantined" + (f" from {source}" if source else ""))
    return lines


def retry(engine: Engine, config: Config, *, source: str | None, now: datetime) -> RetryReport:
    """Read every quarantined item (of ``source``) again; store and release what succeeds."""
    with engine.connect() as conn:
        items = quarantine.pending(conn, source=source)
    report = RetryReport()
    for item in items:
        reason = _store_again(engine, config, item, now=now)
        if reason is None:
            report.released.append(item.id)
            continue
        with engine.begin() as conn:
            quarantine.still_failing(conn, item.id, reason=reason, now=now)
        report.failing.append((replace(item, attempts=item.attempts + 1), error_text(reason)))
        log.warning("quarantine %d (%s, %s) still fails: %s", item.id, item.source, item.brand, error_text(reason))
    return report


def _store_again(engine: Engine, config: Config, item: quarantine.Quarantined, *, now: datetime) -> str | None:
    """Store the item as a mention of its brand and release it; the reason it fails otherwise."""
    try:
        post = normalise(reread(item, now=now))
    except InvalidPost as exc:
        return str(exc)  # worded as when it was quarantined
    except Exception as exc:  # noqa: BLE001 - any parser failure, expected or a bug, is this item's reason
        return describe(exc)
    handles = all_handles(config.brand(item.brand)) if item.brand in {b.name for b in config.brands} else ()
    try:
        with engine.begin() as conn:
            post_store.store_posts(
                conn, source=item.source, brand=item.brand, posts_in=[post], brand_handles=handles, now=now
            )
            quarantine.release(conn, item.id, now=now)
    except Exception as exc:
        if not is_data_error(exc):
            raise  # the database, not the item: stop, nothing is marked
        return describe(exc)
    return None


def reread(item: quarantine.Quarantined, *, now: datetime) -> Post:
    """The item's raw payload read again: by its source's parser, or as the post it was kept as."""
    payload = json.loads(item.raw)
    if item.stage == quarantine.STORE:
        return parse_post(payload)
    spec = SOURCES.get(item.source)
    if spec is None:
        raise ValueError(f"source {item.source!r} is not known to this version")
    return spec.reparse(payload, now)


def printable(text: str | None, width: int) -> str:
    """``text`` safe to print on a terminal: no control, bidi or other invisible characters, at most ``width``."""
    if text is None:
        return "-"
    safe = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return safe if len(safe) <= width else safe[: width - 3] + "..."


def _item_line(item: quarantine.Quarantined) -> str:
    fields = (
        f"#{item.id}",
        printable(item.source, FIELD_WIDTH),
        printable(item.brand, FIELD_WIDTH),
        printable(item.platform, FIELD_WIDTH),
        printable(item.item_id, FIELD_WIDTH),
        item.created_at.isoformat(timespec="seconds"),
        f"attempts={item.attempts}",
    )
    return "  ".join(fields)
