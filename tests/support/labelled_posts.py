"""Synthetic labelled posts in en, pl, ru and fa with a learnable signal: each label has its own words per language.

Deterministic (seeded), so an evaluation or a tune on them gives the same figures every run.
"""

from __future__ import annotations

import random

from models.labelled import LabelledPost

# Per language: filler words every label shares, and the words that carry each label.
WORDS: dict[str, dict[str, list[str]]] = {
    "en": {
        "filler": ["the", "order", "app", "store", "today", "my", "acme", "with", "again", "this"],
        "negative": ["terrible", "broken", "awful", "refund", "worst"],
        "neutral": ["when", "where", "which", "question", "opens"],
        "positive": ["great", "love", "excellent", "thanks", "perfect"],
    },
    "pl": {
        "filler": ["zamówienie", "aplikacja", "sklep", "dzisiaj", "moje", "acme", "znowu", "to", "z", "jest"],
        "negative": ["dramat", "okropne", "zepsute", "reklamacja", "najgorsze"],
        "neutral": ["kiedy", "gdzie", "który", "pytanie", "otwarte"],
        "positive": ["świetne", "polecam", "super", "dziękuję", "idealne"],
    },
    "ru": {
        "filler": ["заказ", "приложение", "магазин", "сегодня", "мой", "acme", "снова", "это", "с", "был"],
        "negative": ["ужасный", "сломан", "кошмар", "возврат", "худший"],
        "neutral": ["когда", "где", "какой", "вопрос", "открыт"],
        "positive": ["отличный", "рекомендую", "супер", "спасибо", "идеальный"],
    },
    "fa": {
        "filler": ["سفارش", "برنامه", "فروشگاه", "امروز", "من", "acme", "دوباره", "این", "با", "بود"],
        "negative": ["افتضاح", "خراب", "بدترین", "مرجوعی", "وحشتناک"],
        "neutral": ["کی", "کجا", "کدام", "سوال", "باز"],
        "positive": ["عالی", "ممنون", "خوب", "ممتاز", "دوست"],
    },
}
LABELS = ("negative", "neutral", "positive")


def labelled_posts(per_label: int = 20, *, seed: int = 0, langs: tuple[str, ...] = tuple(WORDS)) -> list[LabelledPost]:
    """``per_label`` posts for each label in each language: two filler words around one signal word."""
    rng = random.Random(seed)
    out = []
    for lang in langs:
        words = WORDS[lang]
        for label in LABELS:
            for _ in range(per_label):
                text = [rng.choice(words["filler"]) for _ in range(2)]
                text.insert(rng.randrange(3), rng.choice(words[label]))
                out.append(LabelledPost(" ".join(text), label, lang))
    return out


def corpus() -> tuple[str, ...]:
    """Every word, for the tiny model's tokenizer to learn them as pieces."""
    return tuple(" ".join(ws) for lang in WORDS.values() for ws in lang.values())
