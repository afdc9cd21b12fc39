"""Alerts printed to the console: the sink when no Slack token is configured."""

from __future__ import annotations

import itertools
import sys
from datetime import datetime
from typing import TextIO

from monitor.alerts.outbox import Message
from monitor.alerts.sink import Delivered


class ConsoleSink:
    """Prints each alert's plain-text form. Cannot look back, so a crash mid-print may repeat one."""

    name = "console"
    paced = False  # a terminal has no rate limit: the demo prints its alerts at once

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._ids = itertools.count(1)

    def check_auth(self) -> None:
        """The console needs no credentials."""

    def post(self, message: Message, *, thread: Delivered | None) -> Delivered:
        """Print ``message`` (indented when it belongs to a thread)."""
        prefix = "    ↳ " if thread else ""
        self._write(f"{prefix}[{message.channel}] {message.text}")
        return Delivered("console", f"{next(self._ids)}")

    def update(self, message: Message, *, target: Delivered) -> Delivered:
        """Print the new content of an earlier message."""
        self._write(f"    ✎ [{message.channel}] (update) {message.text}")
        return target

    def find(self, message: Message, *, thread: Delivered | None, since: datetime) -> Delivered | None:
        """The console keeps no history."""
        return None

    def _write(self, line: str) -> None:
        # Slack escapes and bidi isolates are for Slack; a terminal wants the text as written.
        for escaped, raw in (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"), ("\u2068", ""), ("\u2069", "")):
            line = line.replace(escaped, raw)
        stream = self._stream or sys.stdout
        print(line, file=stream, flush=True)
