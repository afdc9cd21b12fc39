"""Multilingual tokenisation for spike explanations: words, hashtags and phrases in any script.

Post text is normalised so that the same word counts once however it is written:
Unicode NFKC, case-folded, Arabic-script letter variants unified (Arabic yeh and kaf
to their Persian forms, diacritics and tatweel removed) and the Persian zero-width
non-joiner kept inside a word (``می‌خواهم`` is one word). URLs and @mentions are not
words. Stopwords for English, Polish, Russian and Persian are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from values.stopwords import STOPWORDS

ZWNJ = "\u200c"
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+")
_RETWEET = re.compile(r"^\s*rt\s+@\w+:?\s*", re.IGNORECASE)
_RETWEET_OF = re.compile(r"^\s*rt\s+@(\w+)", re.IGNORECASE)
_HASHTAG = re.compile(rf"(?<![\w#])#([\w{ZWNJ}]+)")
_WORD = re.compile(rf"[\w{ZWNJ}]+")
# Sentence and clause punctuation, Latin, Arabic-script and CJK.
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"«»“”…،؛؟।。，！？\n]+")
# Arabic-script harakat, superscript alef and tatweel: decorations, not letters.
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")
_ARABIC_TO_PERSIAN = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})


@dataclass(frozen=True)
class Tokens:
    """What one post says: its words (stopwords kept) by clause, hashtags and links."""

    clauses: tuple[tuple[str, ...], ...]  # a phrase never spans punctuation: "outage, site down"
    hashtags: tuple[str, ...]
    links: tuple[str, ...]

    @property
    def words(self) -> tuple[str, ...]:
        """All the words, in order."""
        return tuple(w for clause in self.clauses for w in clause)


def normalise(text: str) -> str:
    """Case-folded, NFKC text with Arabic-script variants unified; URLs and mentions kept."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _ARABIC_MARKS.sub("", text.translate(_ARABIC_TO_PERSIAN))


def tokens(text: str) -> Tokens:
    """Split a post into words, hashtags (without ``#``) and the links it shares."""
    text = normalise(text)
    links = tuple(_canonical_link(u) for u in _URL.findall(text))
    body = _MENTION.sub(" ", _URL.sub(" ", _RETWEET.sub("", text)))
    hashtags = tuple(h.strip(ZWNJ) for h in _HASHTAG.findall(body))
    body = _HASHTAG.sub(" ", body)
    clauses = (
        tuple(w for w in (m.strip(ZWNJ + "_") for m in _WORD.findall(part)) if w) for part in _CLAUSE_BREAK.split(body)
    )
    return Tokens(clauses=tuple(c for c in clauses if c), hashtags=hashtags, links=links)


def dedup_text(text: str) -> str:
    """The text two copies of one post share: no retweet prefix, mentions, links or punctuation."""
    body = _MENTION.sub(" ", _URL.sub(" ", _RETWEET.sub("", normalise(text))))
    return " ".join(m.strip(ZWNJ) for m in _WORD.findall(body))


def reshared_from(text: str) -> str | None:
    """The author a retweet-style post copies (``RT @name: ...``), if it says so."""
    match = _RETWEET_OF.match(text)
    return match.group(1) if match else None


def is_content(word: str, excluded: frozenset[str]) -> bool:
    """A word worth reporting: not a stopword, number, single letter or brand term."""
    return len(word) > 1 and not word.isdigit() and word not in STOPWORDS and word not in excluded


def brand_terms(names: Iterable[str]) -> frozenset[str]:
    """The words of the brand's names, as they appear after tokenisation (``Acme Corp`` -> acme, corp, acmecorp)."""
    out: set[str] = set()
    for name in names:
        words = tokens(name).words
        out.update(words)
        out.add("".join(words))
    return frozenset(w for w in out if w)


def _canonical_link(url: str) -> str:
    url = url.rstrip(".,;:!?)]}'\"")
    return re.sub(r"^https?://(www\.)?", "", url).rstrip("/")
