"""Where the recorded real data lives: $BRAND_MONITOR_SHARED_DATA, the checkout's ../shared/data, /work/shared/data."""

from __future__ import annotations

import lzma
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path | None:
    """The first of the candidate directories that exists, or None."""
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
    """A recorded file's bytes (``.xz`` decompressed); skips the test where the data is absent."""
    base = shared_data_dir()
    path = base / relative if base is not None else None
    if path is None or not path.is_file():
        pytest.skip(f"recorded data {relative} not found (set BRAND_MONITOR_SHARED_DATA)")
    return lzma.open(path).read() if path.suffix == ".xz" else path.read_bytes()
