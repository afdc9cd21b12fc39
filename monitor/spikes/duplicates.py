"""Near-duplicate posts grouped together: one viral post shared many times, or many separate voices?

Copies are found on the text two copies share (``text.dedup_text``: no retweet prefix,
mentions, links or punctuation). Exact copies are grouped first, then the distinct texts
are compared by the Jaccard similarity of their word-pair shingles, with MinHash and
locality-sensitive hashing so that only likely pairs are compared (linear, not quadratic,
in the number of posts). Pairs at or above ``SIMILAR`` are joined, transitively.
"""

from __future__ import annotations

import itertools
import zlib
from collections import defaultdict
from collections.abc import Sequence

from monitor.spikes.text import dedup_text

SIMILAR = 0.6  # Jaccard of shingles: an edited retweet or a quote with a few words added
BANDS, ROWS = 10, 3  # 30 MinHash functions; pairs at J=0.6 become candidates with p=0.91, at J=0.1 p=0.01
_PRIME = (1 << 61) - 1
# Fixed, so that groups are the same on every run and machine.
_HASHES = [((6364136223846793005 * (i + 1)) % _PRIME | 1, (1442695040888963407 * (i + 7)) % _PRIME) for i in range(30)]


def group(texts: Sequence[str]) -> list[list[int]]:
    """Indexes of ``texts`` grouped into near-duplicates, largest group first (ties: earliest index)."""
    exact: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(texts):
        # A post with no words of its own (a bare link) is only a copy of the very same text.
        exact[dedup_text(text) or f"\0{text.strip()}"].append(i)
    keys = list(exact)
    shingles = [_shingles(k) for k in keys]
    parent = list(range(len(keys)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    checked: set[tuple[int, int]] = set()
    for members in _buckets(shingles).values():
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                pair = (a, b)
                if pair in checked or find(a) == find(b):
                    continue
                checked.add(pair)
                if _jaccard(shingles[a], shingles[b]) >= SIMILAR:
                    parent[find(b)] = find(a)
    groups: dict[int, list[int]] = defaultdict(list)
    for k, key in enumerate(keys):
        groups[find(k)].extend(exact[key])
    return sorted((sorted(g) for g in groups.values()), key=lambda g: (-len(g), g[0]))


def _buckets(shingles: Sequence[frozenset[str]]) -> dict[tuple[int, tuple[int, ...]], list[int]]:
    """Locality-sensitive hashing: texts sharing a band of their MinHash signature are candidate pairs."""
    buckets: dict[tuple[int, tuple[int, ...]], list[int]] = defaultdict(list)
    for k, sh in enumerate(shingles):
        if not sh:
            continue
        signature = _minhash(sh)
        for band in range(BANDS):
            buckets[(band, tuple(signature[band * ROWS : (band + 1) * ROWS]))].append(k)
    return buckets


def _shingles(text: str) -> frozenset[str]:
    if text.startswith("\0"):
        return frozenset()
    words = text.split()
    if len(words) < 3:
        return frozenset(words)
    return frozenset(f"{a} {b}" for a, b in itertools.pairwise(words))


def _minhash(shingles: frozenset[str]) -> list[int]:
    values = [zlib.crc32(s.encode()) for s in shingles]
    return [min((a * v + b) % _PRIME for v in values) for a, b in _HASHES]


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b)
