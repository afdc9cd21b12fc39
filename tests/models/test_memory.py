"""glibc hands an inference batch's freed activation buffers back to the OS once the classifier is loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What every probe below starts with: the project on sys.path, and touch_and_free(size), one buffer
# allocated, written and freed through libc itself.
_PRELUDE = """
import ctypes, json, resource, sys
sys.path.insert(0, sys.argv[1])
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def touch_and_free(size):
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    libc.free(block)
"""

# Allocate, touch and free a 24 MiB buffer twice and report RSS growth after the second free. With
# glibc's defaults the first free raises its mmap threshold to 24 MiB, so the second buffer comes from
# the heap and stays resident; with return_large_buffers() both are mapped and unmapped.
_PROBE = _PRELUDE + """
from models.runtime import return_large_buffers, rss_mb
applied = return_large_buffers() if sys.argv[2] == "on" else False
base = rss_mb()
for _ in range(2):
    touch_and_free(24 << 20)
print(json.dumps({"applied": applied, "kept_mib": rss_mb() - base}))
"""


def _probe(mode: str, script: str = _PROBE) -> dict:
    done = subprocess.run([sys.executable, "-c", script, str(ROOT), mode], capture_output=True, text=True, check=True,
                          env={"PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout)


@pytest.mark.e2e  # a fresh process: its malloc state untouched by what the test session allocated
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_large_buffers_leave_rss_once_applied() -> None:
    default, applied = _probe("off"), _probe("on")
    if default["kept_mib"] < 18:
        pytest.skip(f"this libc does not keep freed 24 MiB buffers resident ({default}); nothing to fix")
    assert applied["applied"] is True
    assert applied["kept_mib"] < 2, applied


# A 4 MiB buffer (an activation of a short batch, under the mmap threshold) allocated, touched and freed 20
# times: the page faults it costs after the first time. With the trim threshold left at glibc's 128 KiB the
# freed top of the heap goes back to the OS every time and is faulted in again (about 1,000 faults each).
_REFAULT = _PRELUDE + """
from models.runtime import _M_MMAP_THRESHOLD, LARGE_BUFFER_BYTES, return_large_buffers
applied = return_large_buffers() if sys.argv[2] == "on" else bool(libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BUFFER_BYTES))
touch_and_free(4 << 20)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    touch_and_free(4 << 20)
print(json.dumps({"applied": applied, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}))
"""


@pytest.mark.e2e  # a fresh process, as above
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_heap_keeps_a_batch_sized_buffer_instead_of_faulting_it_in_again() -> None:
    mmap_only = _probe("mmap-threshold-only", _REFAULT)
    if mmap_only["faults"] < 20 * 500:
        pytest.skip(f"this libc does not give the heap's top back after each free ({mmap_only}); nothing to fix")
    applied = _probe("on", _REFAULT)
    assert applied["applied"] is True
    assert applied["faults"] < 20 * 50, (mmap_only, applied)


# The same 4 MiB buffer 5 times inside a long batch's context, in a fresh process (no free heap to serve it
# from): it is mapped afresh each time, a fault per page. After the context the heap serves it again: faulted
# in once, then reused.
_LONG_BATCH = _PRELUDE + """
from models.runtime import map_long_batch_buffers, return_large_buffers
applied = return_large_buffers()
def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        touch_and_free(4 << 20)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
with map_long_batch_buffers(True):
    out = {"applied": applied, "long": faults()}
faults()
out["after"] = faults()
with map_long_batch_buffers(False):
    out["short"] = faults()
print(json.dumps(out))
"""


@pytest.mark.e2e  # a fresh process, as above
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_long_batch_maps_its_buffers_and_the_heap_serves_again_after_it() -> None:
    seen = _probe("on", _LONG_BATCH)
    assert seen["applied"] is True
    assert seen["after"] < 100 and seen["short"] < 100, seen
    assert seen["long"] > 5 * 500, seen  # each 4 MiB buffer mapped and faulted in afresh, then unmapped


def test_an_explicit_malloc_environment_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    from models.runtime import return_large_buffers

    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert return_large_buffers() is False
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert return_large_buffers() is False
    import models.runtime

    assert models.runtime._mallopt is None  # so a long batch leaves the threshold alone too
