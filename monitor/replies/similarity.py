"""When are two posts due for reply about the same thing? Near-duplicate text, or terms in common. Pure.

Texts are compared folded (``values.textfold``: case, diacritics, letter forms), as word sets: near
duplicates have a word-set Jaccard of at least ``near_duplicate``; otherwise they must share
``shared_terms`` content words (not stopwords, numbers, single letters or the brand's own names).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.replies.settings import IncidentSettings
from values.stopwords import STOPWORDS
from values.textfold import fold, words

# Stopwords that say what a complaint is about here: "down", "off" and "out" name an outage.
_OUTAGE_WORDS = frozenset({"down", "off", "out"})
_FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS) - _OUTAGE_WORDS
_MENTION_OR_LINK = ("@", "http", "www.")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What a post is about, for comparing it with others."""

    words: frozenset[str]  # every folded word
    terms: frozenset[str]  # content words only


def fingerprint(text: str, *, exclude: frozenset[str] = frozenset()) -> Fingerprint:
    """The fingerprint of ``text``; ``exclude`` holds the brand's folded names (they are in every post)."""
    kept = " ".join(w for w in text.split() if not w.lower().startswith(_MENTION_OR_LINK))
    found = frozenset(words(kept))
    terms = frozenset(
        w for w in found if len(w) > 1 and not w.isdigit() and w not in _FOLDED_STOPWORDS and w not in exclude
    )
    return Fingerprint(found, terms)


def brand_words(names: Iterable[str]) -> frozenset[str]:
    """The folded words of a brand's name and search terms."""
    return frozenset(w for name in names for w in words(name))


def similar(a: Fingerprint, b: Fingerprint, settings: IncidentSettings) -> bool:
    """Whether two posts are about the same thing."""
    if a.words and b.words and len(a.words & b.words) / len(a.words | b.words) >= settings.near_duplicate:
        return True
    return len(a.terms & b.terms) >= settings.shared_terms


def signature(members: Sequence[Fingerprint]) -> dict[str, Any]:
    """What a new post must share with an incident to join it: the words and terms most of its posts have."""
    half = max(1, (len(members) + 1) // 2)
    word_counts = Counter(w for m in members for w in m.words)
    term_counts = Counter(t for m in members for t in m.terms)
    return {
        "words": sorted(w for w, n in word_counts.items() if n >= half),
        "terms": sorted(t for t, n in term_counts.items() if n >= half),
    }


def joins(signature_: Mapping[str, Any], post: Fingerprint, settings: IncidentSettings) -> bool:
    """Whether ``post`` belongs to the incident with ``signature_``."""
    common = Fingerprint(frozenset(signature_.get("words") or ()), frozenset(signature_.get("terms") or ()))
    if not common.words and not common.terms:
        return False
    needed = min(settings.shared_terms, len(common.terms)) if common.terms else settings.shared_terms
    if common.terms and len(common.terms & post.terms) >= needed:
        return True
    return similar(common, post, settings)
