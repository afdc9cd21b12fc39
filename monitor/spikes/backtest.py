"""Replay a ``timestamp,value`` CSV through the daemon's detector, one bucket at a time."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterator
from datetime import UTC, datetime

from monitor.spikes.detector import SpikeDetector
from monitor.spikes.settings import SpikeSettings


class BacktestInputError(ValueError):
    """The CSV cannot be replayed; the message names the line."""


def read_series(csv_path: str | os.PathLike[str]) -> Iterator[tuple[str, datetime, float]]:
    """Yield ``(timestamp as written, aware datetime, value)`` per row; naive timestamps are UTC."""
    with open(csv_path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header[:2]] != ["timestamp", "value"]:
            raise BacktestInputError(f"{csv_path}: line 1: expected the header 'timestamp,value', got {header!r}")
        for line, row in enumerate(reader, start=2):
            if not row or not "".join(row).strip():
                continue
            if len(row) < 2:
                raise BacktestInputError(f"{csv_path}: line {line}: expected 'timestamp,value', got {row!r}")
            text = row[0].strip()
            try:
                at = datetime.fromisoformat(text)
            except ValueError:
                raise BacktestInputError(f"{csv_path}: line {line}: bad timestamp {text!r}") from None
            try:
                value = float(row[1])
            except ValueError:
                raise BacktestInputError(f"{csv_path}: line {line}: bad value {row[1]!r}") from None
            if not math.isfinite(value) or value < 0:
                raise BacktestInputError(f"{csv_path}: line {line}: value must be a count >= 0, got {row[1]!r}")
            yield text, (at if at.tzinfo else at.replace(tzinfo=UTC)), value


def run_backtest(csv_path: str | os.PathLike[str], settings: SpikeSettings | None = None) -> list[str]:
    """Timestamps (as written in the CSV) at which a spike alert would open."""
    detector = SpikeDetector(settings)
    alarms = []
    previous: datetime | None = None
    for text, at, value in read_series(csv_path):
        if previous is not None and at <= previous:
            raise BacktestInputError(f"{csv_path}: rows must be oldest first; {text!r} is not after the row before")
        previous = at
        if any(event.kind == "opened" for event in detector.observe(at, value)):
            alarms.append(text)
    return alarms


def backtest_command(input_path: str, settings: SpikeSettings) -> dict:
    """What ``brand-monitor backtest`` prints: ``{"alarms": [...]}``."""
    return {"alarms": run_backtest(input_path, settings)}
