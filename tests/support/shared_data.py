"""The project's shared read-only data (recorded API answers, real series), found wherever this checkout is.

Looked up in order: ``$BRAND_MONITOR_SHARED_DATA``, ``../shared/data`` next to
the repository root (a normal checkout), then ``/work/shared/data``. Tests
that need a file call :func:`recorded` and are skipped cleanly where it is absent.
"""

from __future__ import annotations

import lzma
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path | None:
    """The first shared data directory that exists, or None."""
    candidates = [
        os.environ.get("BRAND_MONITOR_SHARED_DATA"),
        ROOT / ".." / "shared" / "data",
        "/work/shared/data",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate).resolve()
    return None


def recorded(relative: str) -> bytes:
    """The bytes of ``recorded-api/<relative>`` (``.xz`` files decompressed); skips the test where absent."""
    base = shared_data_dir()
    path = base / "recorded-api" / relative if base else None
    if path is None or not path.is_file():
        pytest.skip(f"recorded data recorded-api/{relative} is not available here (set BRAND_MONITOR_SHARED_DATA)")
    if path.suffix == ".xz":
        with lzma.open(path) as handle:
            return handle.read()
    return path.read_bytes()
