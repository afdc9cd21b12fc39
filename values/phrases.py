"""Phrases found in text as whole words, in any script, on folded text (``values.textfold``).

A phrase is one or more words; a ``*`` at its end makes the last word a prefix (``oszu*``
matches ``oszust``, ``oszustwo``, ``oszuści``). Whole words, so ``sue`` is not found in
``issue`` nor ``суд`` in ``судьба``; this works for Persian and Russian too, which ``\\b``
on unfolded text does not reliably do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from values.textfold import words

# A word as written: letters with their combining marks, tatweel and zero-width non-joiner (folding joins them).
_WRITTEN = re.compile(r"(?:\w|[\u0300-\u036f\u064b-\u065f\u0670\u0640\u200c])+")


@dataclass(frozen=True, slots=True)
class Hit:
    """A phrase found: as configured, the language list it came from, and the words it matched as written."""

    phrase: str
    lang: str
    found: str = ""


@dataclass(frozen=True, slots=True)
class _Entry:
    words: tuple[str, ...]
    prefix: bool  # the last word is a prefix
    hit: Hit


class PhraseMatcher:
    """Finds the first configured phrase in a text. Build once, use for many texts."""

    def __init__(self, *phrase_lists: Mapping[str, Iterable[str]]) -> None:
        self._by_first: dict[str, list[_Entry]] = {}
        self._prefixes: list[_Entry] = []  # one-word prefixes: checked against every word
        for phrases in phrase_lists:
            for lang, items in phrases.items():
                for phrase in items:
                    entry = _entry(phrase, lang)
                    if entry is None:
                        continue
                    if entry.prefix and len(entry.words) == 1:
                        self._prefixes.append(entry)
                    else:
                        self._by_first.setdefault(entry.words[0], []).append(entry)

    def find(self, text: str) -> Hit | None:
        """The first phrase (by position in ``text``, then configuration order) found in it, or None."""
        spans = _spans(text)
        found = [folded for folded, _, _ in spans]
        for i, word in enumerate(found):
            for entry in self._by_first.get(word, ()):
                if _matches_at(found, i, entry):
                    return replace(entry.hit, found=_as_written(text, spans, i, i + len(entry.words)))
            for entry in self._prefixes:
                if word.startswith(entry.words[0]):
                    return replace(entry.hit, found=_as_written(text, spans, i, i + 1))
        return None


def _spans(text: str) -> list[tuple[str, int, int]]:
    """Each folded word of ``text`` with where it is written; one word of text can fold to several or none."""
    out: list[tuple[str, int, int]] = []
    for match in _WRITTEN.finditer(text):
        for folded in words(match.group()):
            out.append((folded, match.start(), match.end()))
    return out


def _as_written(text: str, spans: list[tuple[str, int, int]], first: int, last: int) -> str:
    """The matched words as the author wrote them (what a person reads in the alert)."""
    return " ".join(text[spans[first][1] : spans[last - 1][2]].split())


def _entry(phrase: str, lang: str) -> _Entry | None:
    text = phrase.strip()
    prefix = text.endswith("*")
    folded = tuple(words(text.rstrip("*")))
    if not folded:
        return None
    return _Entry(folded, prefix, Hit(text, lang))


def _matches_at(found: Sequence[str], start: int, entry: _Entry) -> bool:
    n = len(entry.words)
    if start + n > len(found):
        return False
    for offset, want in enumerate(entry.words):
        have = found[start + offset]
        last = offset == n - 1
        if not (have == want or (last and entry.prefix and have.startswith(want))):
            return False
    return True
