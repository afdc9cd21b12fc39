"""SQLite runs one instance: a second `brand-monitor run` on the same file refuses with a clear message."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url


class InstanceLockError(Exception):
    """Another instance already runs on this SQLite database."""


class InstanceLock:
    """An exclusive ``flock`` on ``<database>.lock`` for the life of the process (released by the kernel on death)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`InstanceLockError`."""
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held open on purpose
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            other = handle.read().strip() or "another process"
            handle.close()
            raise InstanceLockError(
                f"{self.path.with_suffix('')} is already used by a running brand-monitor ({other}). SQLite supports"
                " one instance: stop the other one, or move [storage] url to PostgreSQL to run several."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Let another instance start."""
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def for_url(url: str) -> InstanceLock | None:
    """The lock guarding a SQLite file URL; None for PostgreSQL and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return InstanceLock(Path(parsed.database + ".lock"))
