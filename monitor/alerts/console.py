"""Alerts printed to the console: the sink when no Slack token is configured."""

from __future__ import annotations

import itertools
import sys
from datetime import UTC, datetime, tzinfo
from typing import Protocol

from monitor.alerts.outbox import Message
from monitor.alerts.sink import Delivered
from monitor.alerts.terminal import mrkdwn, render_blocks


class Stream(Protocol):
    """Where the console writes: a terminal, a file, or the demo's timeline."""

    def write(self, text: str, /) -> int:
        """Write ``text``."""
        ...

    def flush(self) -> None:
        """Flush what was written."""
        ...


class ConsoleSink:
    """Prints each alert as its Slack blocks read in a terminal (times in ``zone``, the team's).

    Cannot look back, so a crash mid-print may repeat one.
    """

    name = "console"
    paced = False  # a terminal has no rate limit: the demo prints its alerts at once

    def __init__(self, stream: Stream | None = None, *, zone: tzinfo = UTC) -> None:
        self._stream = stream
        self._zone = zone
        self._ids = itertools.count(1)
        self._shown: dict[str, list[str]] = {}  # what each message printed, so an edit shows only what changed

    def check_auth(self) -> None:
        """The console needs no credentials."""

    def post(self, message: Message, *, thread: Delivered | None) -> Delivered:
        """Print ``message`` (indented when it belongs to a thread)."""
        delivered = Delivered("console", f"{next(self._ids)}")
        body = self._body(message)
        self._shown[delivered.ts] = body
        self._print(message.channel, body, first="    ↳ " if thread else "", indent="      " if thread else "")
        return delivered

    def update(self, message: Message, *, target: Delivered) -> Delivered:
        """Print an edit of an earlier message: its first line, then the lines that changed."""
        body = self._body(message)
        before = self._shown.get(target.ts)
        self._shown[target.ts] = body
        if before is not None and body:
            body = [body[0], *(line for line in body[1:] if line not in before)]
        self._print(message.channel, body, first="    ✎ edited: ", indent="      ")
        return target

    def find(self, message: Message, *, thread: Delivered | None, since: datetime) -> Delivered | None:
        """The console keeps no history."""
        return None

    def _body(self, message: Message) -> list[str]:
        if message.blocks:
            return render_blocks(message.blocks, zone=self._zone, buttons=False)
        return mrkdwn(message.text, zone=self._zone).splitlines()

    def _print(self, channel: str, body: list[str], *, first: str, indent: str) -> None:
        lines = [f"{first}[{channel}] {body[0] if body else ''}"]
        lines.extend(f"{indent}{line}" for line in body[1:])
        stream = self._stream or sys.stdout
        print("\n".join(lines), file=stream, flush=True)
