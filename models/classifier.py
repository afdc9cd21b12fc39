"""The sentiment classifier: normalise, tokenise, run in length-sorted buckets, fold labels, decide."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from models.base import Sentiment
from models.batching import run_in_buckets
from models.cache import SentimentCache
from models.decision import decide, softmax, unclassifiable
from models.language import LanguageDetector
from models.preprocess import MIN_CUT_KEY, cache_key, is_cut, normalise
from models.settings import ClassifierSettings

# A token is rarely longer than this many characters, so cutting the text here never cuts
# what the model would read, while a pasted novel never reaches the tokenizer.
CHARS_PER_TOKEN = 12


class Backend(Protocol):
    """Logits for a padded batch (torch or ONNX Runtime)."""

    name: str
    device: str

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray: ...


class Tokenizer(Protocol):
    """What the classifier asks of a tokenizer (transformers' or :class:`models.light_files.LightTokenizer`)."""

    def __call__(self, texts: list[str], /, *, truncation: bool, max_length: int) -> Mapping[str, Any]: ...


class SentimentClassifier:
    """Texts in, one Sentiment per text out, in input order."""

    def __init__(
        self,
        *,
        settings: ClassifierSettings,
        tokenizer: Tokenizer,
        backend: Backend,
        folding: np.ndarray,
        max_tokens: int,
        languages: LanguageDetector | None,
        version: str = "",
    ) -> None:
        self.settings = settings
        self.tokenizer = tokenizer
        self.backend = backend
        self.folding = folding
        self.max_tokens = max_tokens
        self.languages = languages
        self.version = version  # stored with every label it gives (posts.model_version)
        self.cache = SentimentCache(settings.cache_size)
        self.pad_id = int(getattr(tokenizer, "pad_token_id", None) or 0)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """P(negative, neutral, positive) per (already normalised, non-empty) text, in input order."""
        if not texts:
            return np.zeros((0, 3), dtype=np.float32)
        encoded = self.tokenizer(list(texts), truncation=True, max_length=self.max_tokens)
        logits = run_in_buckets(
            encoded["input_ids"],
            self.backend.logits,
            batch_size=self.settings.batch_size,
            max_tokens=self.settings.batch_tokens,
            pad_id=self.pad_id,
            classes=self.folding.shape[0],
        )
        return softmax(logits) @ self.folding

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        """Classify ``texts``; results come back in input order, one per text.

        Near-identical texts (same :func:`cache_key`) are classified once, in this call or an earlier one; a
        text cut short with "…" (a retweet) shares the result of a whole text that starts with it.
        """
        cleaned = [normalise(t or "", max_chars=self.max_tokens * CHARS_PER_TOKEN) for t in texts]
        results: list[Sentiment | None] = [None] * len(cleaned)
        waiting: dict[str, list[int]] = {}  # cache key → positions sharing it, in input order
        readable = [i for i, text in enumerate(cleaned) if text]
        # Whole texts first, so a cut retweet finds its original even when both come in this batch.
        for i in sorted(readable, key=lambda i: is_cut(cleaned[i])):
            key = self._key(i, cleaned[i], waiting)
            if key in waiting:
                waiting[key].append(i)
                self.cache.shared()
            elif (known := self.cache.get(key)) is not None:
                results[i] = known
            else:
                waiting[key] = [i]
        firsts = [cleaned[positions[0]] for positions in waiting.values()]
        langs = self.languages.detect(firsts) if self.languages else [None] * len(firsts)
        probs = self.probabilities(firsts)
        for row, (key, positions) in enumerate(waiting.items()):
            sentiment = decide(probs[row], lang=langs[row], settings=self.settings)
            self.cache.put(key, sentiment)
            for i in positions:
                results[i] = sentiment
        return [r if r is not None else unclassifiable() for r in results]

    def _key(self, position: int, text: str, waiting: Mapping[str, list[int]]) -> str:
        """The key ``text`` is classified under: its cache key, or a whole text's key when it is a cut copy."""
        if not self.cache.size:
            return f"\0{position}"  # no cache: every text on its own
        key = cache_key(text)
        if not is_cut(text) or len(key) < MIN_CUT_KEY or key in waiting:
            return key
        whole = next((k for k in waiting if k.startswith(key)), None) or self.cache.key_starting_with(key)
        return whole or key
