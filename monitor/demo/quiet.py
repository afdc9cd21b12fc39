"""Warnings while the model loads, shown once each and briefly: a first-time user should read the one that matters.

Offline, the HuggingFace libraries retry and warn many times (each with a traceback) before the load fails
with our own clear message; the demo shows each distinct warning once, on one line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

MAX_CHARS = 160
DECIDED = "_brief_warning_shown"  # set on a record once it was judged: every handler sees the same record


class OnceBriefly(logging.Filter):
    """Lets each distinct warning through once, cut to its first line, without its traceback."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, str]] = set()
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        """Shorten ``record`` in place; False for a repeat. Decided once per record, whatever the handlers."""
        decided = getattr(record, DECIDED, None)
        if decided is not None:
            return bool(decided)
        shown = self._decide(record)
        setattr(record, DECIDED, shown)
        return shown

    def _decide(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or record.levelno >= logging.ERROR:
            return True
        first = record.getMessage().strip().splitlines()[0] if record.getMessage().strip() else ""
        if len(first) > MAX_CHARS:
            first = first[: MAX_CHARS - 1] + "…"
        # Retries differ only in their numbers ("attempt 3 of 5"): those are the same warning.
        key = (record.name, "".join("#" if ch.isdigit() else ch for ch in first))
        if key in self.seen:
            self.dropped += 1
            return False
        self.seen.add(key)
        record.msg, record.args, record.exc_info, record.exc_text, record.stack_info = first, None, None, None, None
        return True


@contextmanager
def brief_warnings(err: TextIO) -> Iterator[OnceBriefly]:
    """While the block runs, every log handler shows each warning once, briefly; says how many repeats it hid."""
    handlers = logging.getLogger().handlers
    once = OnceBriefly()
    for handler in handlers:
        handler.addFilter(once)
    try:
        yield once
    finally:
        for handler in handlers:
            handler.removeFilter(once)
        if once.dropped:
            print(f"({once.dropped} repeated warning(s) not shown)", file=err, flush=True)
