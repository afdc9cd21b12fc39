"""What each job of the daemon last did: its last success, its last failure and how many failed in a row.

The job guard records every run here; /healthz shows it, so a job that keeps
failing (while the daemon keeps running) is visible without reading the log.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from monitor.storage.error_text import error_text

ERROR_LIMIT = 300  # characters of an error kept: enough to tell what failed, not a post's whole text


@dataclass(frozen=True, slots=True)
class JobState:
    """One job's record."""

    runs: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None


class JobHealth:
    """Per-job records of one instance, safe to update from the scheduler's worker threads."""

    def __init__(self) -> None:
        self._states: dict[str, JobState] = {}
        self._lock = threading.Lock()

    def succeeded(self, name: str, *, at: datetime) -> None:
        """``name`` ran to the end at ``at``."""
        with self._lock:
            state = self._states.get(name, JobState())
            self._states[name] = replace(
                state, runs=state.runs + 1, consecutive_failures=0, last_run_at=at, last_success_at=at
            )

    def failed(self, name: str, error: BaseException, *, at: datetime) -> None:
        """``name`` raised ``error`` at ``at`` (kept masked and shortened: it may quote a secret or a post)."""
        text = error_text(error, limit=ERROR_LIMIT)
        with self._lock:
            state = self._states.get(name, JobState())
            self._states[name] = replace(
                state,
                runs=state.runs + 1,
                failures=state.failures + 1,
                consecutive_failures=state.consecutive_failures + 1,
                last_run_at=at,
                last_error=text,
                last_error_at=at,
            )

    def state(self, name: str) -> JobState:
        """The record of ``name`` (empty if it never ran)."""
        with self._lock:
            return self._states.get(name, JobState())

    def report(self) -> dict[str, dict[str, Any]]:
        """Every job's record as JSON-ready values, for /healthz."""
        with self._lock:
            states = dict(self._states)
        return {
            name: {
                "runs": s.runs,
                "failures": s.failures,
                "consecutive_failures": s.consecutive_failures,
                "last_success_at": _iso(s.last_success_at),
                "last_error": s.last_error,
                "last_error_at": _iso(s.last_error_at),
            }
            for name, s in sorted(states.items())
        }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None
