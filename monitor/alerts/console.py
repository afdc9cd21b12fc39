"""Alerts printed to the console: the sink when no Slack token is configured."""

from __future__ import annotations

import itertools
import sys
from datetime import UTC, datetime, tzinfo
from typing import TextIO

from monitor.alerts.outbox import Message
from monitor.alerts.sink import Delivered
from monitor.alerts.terminal import mrkdwn, render_blocks


class ConsoleSink:
    """Prints each alert as its Slack blocks read in a terminal (times in ``zone``, the team's).

    Cannot look back, so a crash mid-print may repeat one.
    """

    name = "console"
    paced = False  # a terminal has no rate limit: the demo prints its alerts at once

    def __init__(self, stream: TextIO | None = None, *, zone: tzinfo = UTC) -> None:
        self._stream = stream
        self._zone = zone
        self._ids = itertools.count(1)

    def check_auth(self) -> None:
        """The console needs no credentials."""

    def post(self, message: Message, *, thread: Delivered | None) -> Delivered:
        """Print ``message`` (indented when it belongs to a thread)."""
        self._print(message, first="    ↳ " if thread else "", indent="      " if thread else "")
        return Delivered("console", f"{next(self._ids)}")

    def update(self, message: Message, *, target: Delivered) -> Delivered:
        """Print the new content of an earlier message."""
        self._print(message, first="    ✎ (update) ", indent="      ")
        return target

    def find(self, message: Message, *, thread: Delivered | None, since: datetime) -> Delivered | None:
        """The console keeps no history."""
        return None

    def _print(self, message: Message, *, first: str, indent: str) -> None:
        if message.blocks:
            body = render_blocks(message.blocks, zone=self._zone, buttons=False)
        else:
            body = mrkdwn(message.text, zone=self._zone).splitlines()
        lines = [f"{first}[{message.channel}] {body[0] if body else ''}"]
        lines.extend(f"{indent}{line}" for line in body[1:])
        stream = self._stream or sys.stdout
        print("\n".join(lines), file=stream, flush=True)
