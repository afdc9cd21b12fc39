"""Where the recorded real data lives: $BRAND_MONITOR_SHARED_DATA, the checkout's ../shared/data, /work/shared/data."""

from __future__ import annotations

import lzma
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path | None:
    """``$BRAND_MONITOR_SHARED_DATA`` when set (and then only it, so a run can point elsewhere or skip), else
    ``../shared/data`` beside the repository, else ``/work/shared/data`` (a worktree outside the main checkout)."""
    configured = os.environ.get("BRAND_MONITOR_SHARED_DATA")
    candidates = [Path(configured)] if configured else [ROOT.parent / "shared" / "data", Path("/work/shared/data")]
    return next((c.resolve() for c in candidates if c.is_dir()), None)


def recorded(relative: str) -> bytes:
    """A recorded file's bytes (``.xz`` decompressed); skips the test where the data is absent."""
    base = shared_data_dir()
    path = base / relative if base is not None else None
    if path is None or not path.is_file():
        pytest.skip(f"recorded data {relative} not found (set BRAND_MONITOR_SHARED_DATA)")
    return lzma.open(path).read() if path.suffix == ".xz" else path.read_bytes()
