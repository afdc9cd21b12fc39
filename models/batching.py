"""Length-sorted buckets with dynamic padding: similar lengths share a batch, padded only to its longest."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from models.settings import ClassifierSettings

# What one more batch costs, in padded tokens: ONNX Runtime's fixed cost per run (about 2.5 ms for
# XLM-R base int8 on 2 cores, against 0.3 ms per token; docs/classifier.md, "Figures on a VNNI
# machine"). The split below weighs it against padding.
BATCH_OVERHEAD_TOKENS = 8
# The most padded tokens one batch may hold ([classifier] batch_tokens): it bounds activation memory
# (attention scores grow with rows x length^2) whatever batch_size says.
MAX_BATCH_TOKENS: int = ClassifierSettings.model_fields["batch_tokens"].default


@dataclass(frozen=True, slots=True)
class Bucket:
    """One padded batch and the input positions its rows came from."""

    positions: list[int]
    input_ids: np.ndarray  # int64, (rows, longest)
    attention_mask: np.ndarray  # int64, (rows, longest)


def _groups(lengths: Sequence[int], *, batch_size: int, max_tokens: int, overhead: float) -> list[list[int]]:
    """The split of the rows, sorted longest first, into runs of neighbours that costs least in all:
    padded tokens (rows x the run's longest) plus ``overhead`` per batch, no run over ``batch_size`` rows
    or ``max_tokens`` padded tokens (a single row longer than that runs alone).

    On 32 tweet-length posts, closing a batch greedily once it was a quarter padding left 17 % of the
    tokens run as padding; this split leaves a few per cent, in smaller batches, which cost no more per
    token (docs/classifier.md).
    """
    # Longest first: a batch that does not fit in memory fails at once, not after the easy work.
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    longest = [lengths[i] for i in order]
    cost = [0.0] + [float("inf")] * len(order)  # cost[j]: the cheapest split of the first j rows
    start = [0] * (len(order) + 1)  # where the last run of that split starts
    for end in range(1, len(order) + 1):
        for first in range(end - 1, max(end - batch_size, 0) - 1, -1):
            rows = end - first
            padded = rows * longest[first]
            if rows > 1 and padded > max_tokens:
                break  # earlier starts only add rows and length
            if (total := cost[first] + padded + overhead) < cost[end]:
                cost[end], start[end] = total, first
    runs: list[list[int]] = []
    end = len(order)
    while end:
        runs.append(order[start[end] : end])
        end = start[end]
    return runs[::-1]


def buckets(
    token_ids: Sequence[Sequence[int]],
    *,
    batch_size: int,
    pad_id: int,
    max_tokens: int = MAX_BATCH_TOKENS,
    overhead: float = BATCH_OVERHEAD_TOKENS,
) -> Iterator[Bucket]:
    """Batches of at most ``batch_size`` rows, longest first, each padded to its own longest row."""
    lengths = [len(seq) for seq in token_ids]
    for positions in _groups(lengths, batch_size=batch_size, max_tokens=max_tokens, overhead=overhead):
        longest = lengths[positions[0]]
        ids = np.full((len(positions), longest), pad_id, dtype=np.int64)
        mask = np.zeros((len(positions), longest), dtype=np.int64)
        for row, i in enumerate(positions):
            seq = token_ids[i]
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        yield Bucket(positions, ids, mask)
def run_in_buckets(
    token_ids: Sequence[Sequence[int]],
    logits_of: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    batch_size: int,
    pad_id: int,
    classes: int,
    max_tokens: int = MAX_BATCH_TOKENS,
) -> np.ndarray:
    """``logits_of(input_ids, attention_mask)`` over all rows, bucket by bucket, back in input order."""
    out = np.zeros((len(token_ids), classes), dtype=np.float32)
    for bucket in buckets(token_ids, batch_size=batch_size, pad_id=pad_id, max_tokens=max_tokens):
        out[bucket.positions] = logits_of(bucket.input_ids, bucket.attention_mask)
    return out
