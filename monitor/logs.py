"""Logging set-up: human-readable lines on stderr, or JSON lines for log collectors; secrets masked in both."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from types import TracebackType

from values.redaction import RedactingFormatter, redact

# huggingface_hub's switch for its progress bars (and transformers', which follow it): a bar is not a log line.
PROGRESS_BARS_OFF = "HF_HUB_DISABLE_PROGRESS_BARS"


class JsonFormatter(logging.Formatter):
    """One JSON object per record; each field is redacted before it is encoded, so the line stays valid JSON."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            data["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False)


def configure(*, level: str = "INFO", json_lines: bool = False) -> None:
    """Send logs to stderr at ``level``, masking secrets (the installed redactor's) in every line.

    With ``json_lines`` every line on stderr is one JSON object: Python warnings become log records and
    model-download progress bars are switched off; so are they above INFO (a bar is progress, not a problem).
    """
    handler = logging.StreamHandler(sys.stderr)
    if json_lines or logging.getLevelNamesMapping().get(level.upper(), logging.INFO) > logging.INFO:
        os.environ[PROGRESS_BARS_OFF] = "1"
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(RedactingFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.captureWarnings(True)  # warnings.warn(...) from libraries: a log record, formatted like the rest
    # A crash is logged too: masked like every line, and one JSON object with JSON logs.
    sys.excepthook = _log_uncaught
    for noisy in ("apscheduler.executors", "apscheduler.scheduler", "urllib3", "httpx", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def _log_uncaught(kind: type[BaseException], exc: BaseException, trace: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, trace)
        return
    logging.getLogger("brand-monitor").critical("stopped by an unexpected error", exc_info=(kind, exc, trace))


def json_lines() -> bool:
    """Whether the root logger writes JSON lines (for messages the command line writes itself)."""
    return any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers)
