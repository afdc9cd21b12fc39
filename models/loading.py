"""Load the configured sentiment model once per process (first cut; the multilingual work extends it)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from models.base import LABELS, Classifier, ModelLoadError, Sentiment
from models.settings import ClassifierSettings

log = logging.getLogger(__name__)

_ALIASES = {
    "negative": "negative",
    "neg": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "positive": "positive",
    "pos": "positive",
}


class TransformersClassifier:
    """A transformers text-classification pipeline, called in batches."""

    def __init__(self, settings: ClassifierSettings) -> None:
        from transformers import pipeline

        started = time.monotonic()
        try:
            self._pipe = pipeline("text-classification", model=settings.model, top_k=None, device="cpu")
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"could not load sentiment model {settings.model!r}: {exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}\n"
                "Point [classifier] model at a local directory holding a HuggingFace sequence-classification "
                "model (config.json, weights, tokenizer), or run once with network access to download it."
            ) from None
        self.settings = settings
        id2label = self._pipe.model.config.id2label
        self._labels = {name: settings.labels.get(name) or _ALIASES.get(name.lower()) for name in id2label.values()}
        unknown = [name for name, mapped in self._labels.items() if mapped is None]
        if unknown:
            raise ModelLoadError(
                f"model {settings.model!r} has labels {unknown} that cannot be mapped to negative/neutral/positive: "
                'set [classifier] labels, e.g. labels = { LABEL_0 = "negative" }'
            )
        log.info("sentiment model %s loaded in %.1fs", settings.model, time.monotonic() - started)

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        """Classify ``texts`` in input order."""
        if not texts:
            return []
        outputs = self._pipe(
            [t if t.strip() else " " for t in texts],
            batch_size=self.settings.batch_size,
            truncation=True,
            max_length=self.settings.max_length,
        )
        results = []
        for scores in outputs:
            probs = dict.fromkeys(LABELS, 0.0)
            for item in scores:
                probs[self._labels[item["label"]]] += float(item["score"])  # type: ignore[index]
            negative = probs["negative"]
            if negative >= self.settings.negative_threshold:
                label = "negative"
            else:
                label = max(("neutral", "positive"), key=lambda name: probs[name])
            confidence = probs[label]
            results.append(
                Sentiment(
                    label=label,
                    score=confidence,
                    negative=negative,
                    low_confidence=confidence < self.settings.min_confidence,
                )  # type: ignore[arg-type]
            )
        return results


def load_classifier(settings: ClassifierSettings) -> Classifier:
    """The classifier ``settings`` ask for, loaded now."""
    return TransformersClassifier(settings)
