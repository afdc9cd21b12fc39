"""Length-sorted buckets with dynamic padding: similar lengths share a batch, padded only to its longest."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from models.settings import ClassifierSettings

# A bucket closes before its padding would exceed a quarter of its padded tokens: on CPU a few
# rows of similar length cost less than many rows padded to the longest.
MIN_FILL = 0.75
# ... and before it holds more than this many padded tokens ([classifier] batch_tokens), which
# bounds activation memory (attention scores grow with rows x length^2) whatever batch_size says.
MAX_BATCH_TOKENS: int = ClassifierSettings.model_fields["batch_tokens"].default


@dataclass(frozen=True, slots=True)
class Bucket:
    """One padded batch and the input positions its rows came from."""

    positions: list[int]
    input_ids: np.ndarray  # int64, (rows, longest)
    attention_mask: np.ndarray  # int64, (rows, longest)


def _groups(lengths: Sequence[int], *, batch_size: int, min_fill: float, max_tokens: int) -> Iterator[list[int]]:
    # Longest first: a batch that does not fit in memory fails at once, not after the easy work.
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    group: list[int] = []
    real = 0
    for i in order:
        if group:
            longest = lengths[group[0]]
            full = len(group) == batch_size or longest * (len(group) + 1) > max_tokens
            if full or (real + lengths[i]) < min_fill * longest * (len(group) + 1):
                yield group
                group, real = [], 0
        group.append(i)
        real += lengths[i]
    if group:
        yield group


def buckets(
    token_ids: Sequence[Sequence[int]],
    *,
    batch_size: int,
    pad_id: int,
    min_fill: float = MIN_FILL,
    max_tokens: int = MAX_BATCH_TOKENS,
) -> Iterator[Bucket]:
    """Batches of at most ``batch_size`` rows, longest first, each padded to its own longest row."""
    lengths = [len(seq) for seq in token_ids]
    for positions in _groups(lengths, batch_size=batch_size, min_fill=min_fill, max_tokens=max_tokens):
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
