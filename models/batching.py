"""Length-sorted buckets with dynamic padding: similar lengths share a batch, padded only to its longest."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Bucket:
    """One padded batch and the input positions its rows came from."""

    positions: list[int]
    input_ids: np.ndarray  # int64, (rows, longest)
    attention_mask: np.ndarray  # int64, (rows, longest)


def buckets(token_ids: Sequence[Sequence[int]], *, batch_size: int, pad_id: int) -> Iterator[Bucket]:
    """Batches of at most ``batch_size`` rows, longest first, each padded to its own longest row."""
    # Longest first: a batch that does not fit in memory fails at once, not after the easy work.
    order = sorted(range(len(token_ids)), key=lambda i: len(token_ids[i]), reverse=True)
    for start in range(0, len(order), batch_size):
        positions = order[start : start + batch_size]
        longest = max(len(token_ids[i]) for i in positions)
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
) -> np.ndarray:
    """``logits_of(input_ids, attention_mask)`` over all rows, bucket by bucket, back in input order."""
    out = np.zeros((len(token_ids), classes), dtype=np.float32)
    for bucket in buckets(token_ids, batch_size=batch_size, pad_id=pad_id):
        out[bucket.positions] = logits_of(bucket.input_ids, bucket.attention_mask)
    return out
