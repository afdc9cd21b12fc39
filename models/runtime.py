"""Where the model runs: device choice, thread count, and the process memory figures we log."""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import sys
from collections.abc import Callable, Iterator

# glibc's mallopt parameters; the size from which freed buffers go straight back to the OS, and how much
# free memory the heap may keep at its top before it is given back.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
LARGE_BUFFER_BYTES = 16 << 20
HEAP_KEEP_BYTES = 2 * LARGE_BUFFER_BYTES
# The threshold while a long batch runs (``map_long_batch_buffers``).
LONG_BATCH_BUFFER_BYTES = 1 << 20


def machine_threads() -> int:
    """CPU cores this process may use (its affinity mask, which containers and taskset narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def threads_for(configured: int) -> int:
    """``configured`` threads, or one per usable core when it is 0."""
    return configured or machine_threads()


def torch_device(configured: str) -> str:
    """``auto`` → "cuda" when PyTorch sees a GPU, else "cpu"; anything else as given, if it exists."""
    import torch

    if configured == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if configured.startswith("cuda") and not torch.cuda.is_available():
        from models.base import ModelLoadError

        raise ModelLoadError(f'[classifier] device = "{configured}" but PyTorch sees no GPU: use "auto" or "cpu"')
    return configured


def rss_mb() -> float:
    """Resident memory of this process now, in MiB (peak RSS where /proc is absent)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB elsewhere


# glibc's mallopt once return_large_buffers() has set its thresholds in this process; None otherwise.
_mallopt: Callable[[int, int], int] | None = None


def return_large_buffers() -> bool:
    """Have glibc map every buffer of 16 MiB or more, so a long batch's activations leave RSS when freed.

    glibc's own threshold rises to the largest buffer freed so far (up to 32 MiB), and from then on
    activation buffers come from the heap, which keeps them resident after the batch: an int8 session
    peaked at 537 MiB that way against 305 with this (docs/classifier.md, "Memory"). 16 MiB rather than
    1 MiB: smaller buffers reused from the heap made int8 about 13 % faster for 24 MiB more peak RSS, int8
    still at 0.47 of fp32 (docs/classifier.md, "The heap threshold, measured idle").

    Fixing the mmap threshold also stops glibc from moving its trim threshold, which it otherwise keeps at
    twice the mmap threshold: left at its 128 KiB start, every batch gave the top of the heap back to the OS
    and faulted it in again on the next one (0.56-0.76 M page faults and 1.3-1.6 s of kernel time per 300
    posts on int8). So the trim threshold is set as glibc itself would, to twice the mmap threshold.
    ``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` set in the environment wins (neither is then
    touched). Returns whether the settings were applied.
    """
    if not sys.platform.startswith("linux"):
        return False
    global _mallopt
    _mallopt = None
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    if mallopt(_M_MMAP_THRESHOLD, LARGE_BUFFER_BYTES) and mallopt(_M_TRIM_THRESHOLD, HEAP_KEEP_BYTES):
        _mallopt = mallopt
    return _mallopt is not None


@contextlib.contextmanager
def map_long_batch_buffers(long: bool) -> Iterator[None]:
    """While a long batch runs, map every buffer of 1 MiB or more that the heap's free space cannot hold, and go
    back to 16 MiB after it.

    A long batch's activations (Reddit-length posts: a feed-forward buffer of 6 MiB, attention scores of
    12 MiB at 512 tokens) are bigger than anything a batch of short posts needs; taken from the heap, they
    left it fragmented and the int8 peak 50 MiB above its level after the short posts (256-258 against
    205-208 MiB). Mapped, they leave RSS when freed: peak 219-224 MiB. A 1 MiB threshold for every batch
    cost short posts about a tenth of their speed in page faults; switched only for batches over
    ``onnx_backend.long_batch_tokens``, it cost them nothing measurable (docs/classifier.md, "Figures on an
    AMX machine"). Only where ``return_large_buffers`` applied its settings: a threshold from the
    environment is left alone.
    """
    mallopt = _mallopt
    if not long or mallopt is None:
        yield
        return
    mallopt(_M_MMAP_THRESHOLD, LONG_BATCH_BUFFER_BYTES)
    try:
        yield
    finally:
        mallopt(_M_MMAP_THRESHOLD, LARGE_BUFFER_BYTES)
