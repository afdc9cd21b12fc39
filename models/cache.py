"""Classify each text once: the latest results, keyed by :func:`models.preprocess.cache_key`, LRU-bounded."""

from __future__ import annotations

import threading
from collections import OrderedDict

from models.base import Sentiment


class SentimentCache:
    """A bounded map from cache key to the sentiment it got; thread-safe; counts hits and misses."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[str, Sentiment] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Sentiment | None:
        """The sentiment stored for ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def key_starting_with(self, prefix: str) -> str | None:
        """A stored key that begins with ``prefix`` (the most recent), or None. A scan: called for cut texts only."""
        with self._lock:
            return next((key for key in reversed(self._items) if key.startswith(prefix)), None)

    def shared(self) -> None:
        """Count a text answered by another text of the same batch (a hit that never reached the map)."""
        with self._lock:
            self.hits += 1

    def put(self, key: str, sentiment: Sentiment) -> None:
        """Remember ``sentiment`` for ``key``, dropping the least recently used beyond ``size``."""
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = sentiment
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def hit_rate(self) -> float:
        """Share of lookups answered from the cache so far."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0
