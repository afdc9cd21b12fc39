"""Text folded for matching, and whole-word matching on it: the one module brand queries, complaint phrases and
post similarity use, so the same word compares equal however it was typed, everywhere.

Folding:

- case (``str.casefold``: ``Straße`` = ``strasse``);
- diacritics and compatibility forms (NFKD without combining marks: ``złożę`` = ``zloze``,
  ``café`` = ``cafe``, fullwidth ``Ａ`` = ``a``, Arabic presentation forms = their letters),
  plus the letters NFKD leaves alone (``ł`` = ``l``, ``đ`` = ``d``, ``ø`` = ``o``, ``æ`` = ``ae``);
  Russian ``ё`` = ``е`` (and ``й`` = ``и``) follow;
- Arabic-script letter forms (Arabic ``ي``/``ى`` = Persian ``ی``, Arabic ``ك`` = Persian
  ``ک``, ``ة`` = ``ه``, hamza seats = their base letter; harakat and tatweel dropped), the
  Persian zero-width non-joiner (``نمی‌کند`` = ``نمیکند``), and Arabic-Indic and Persian
  digits = ASCII digits.

Words are runs of letters, digits and ``_`` (Unicode-aware, so Persian and Russian words are
words). :func:`words` gives the folded words; :func:`tagged_words` also says which were
written as a ``#hashtag`` or an ``@mention`` (a plain query word matches those too, ``#acme``
matches only the hashtag). What is shown to people is always the original text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cached_property, lru_cache
from typing import NamedTuple

# Letters NFKD does not decompose into a base letter plus a mark, and Arabic forms Persian writes differently.
_LETTERS = {
    "ł": "l",
    "đ": "d",
    "ø": "o",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "ı": "i",
    "ħ": "h",
    "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
    "\u0649": "\u06cc",  # alef maksura -> Persian yeh
    "\u0626": "\u06cc",  # yeh with hamza
    "\u0643": "\u06a9",  # Arabic kaf -> Persian kaf (keheh)
    "\u0629": "\u0647",  # teh marbuta -> heh
    "\u06c0": "\u0647",  # heh with yeh above
    "\u0623": "\u0627",  # alef with hamza above
    "\u0625": "\u0627",  # alef with hamza below
    "\u0671": "\u0627",  # alef wasla
    "\u0624": "\u0648",  # waw with hamza
    "\u0640": "",  # tatweel: a stretch, not a letter
    "\u200c": "",  # zero-width non-joiner: نمی‌کند and نمیکند are one word as people type it
    "\u200d": "",  # zero-width joiner
    "\u00ad": "",  # soft hyphen
}
_WORD = re.compile(r"\w+")
_TAGGED = re.compile(r"[#@]?\w+")
_WORD_CHAR = re.compile(r"\w")


def _fold_char(ch: str) -> str:
    if ch in _LETTERS:
        return _LETTERS[ch]
    out = []
    for part in unicodedata.normalize("NFKD", ch):
        if unicodedata.combining(part):  # diacritics in Latin and Cyrillic, harakat in Arabic script
            continue
        part = _LETTERS.get(part, part)
        digit = unicodedata.decimal(part, None) if not part.isascii() else None
        out.append(str(digit) if digit is not None else part)
    return "".join(out).casefold()


class _FoldTable(dict[int, str]):
    """``str.translate``'s table, filled one character at a time as texts use them."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """``text`` case-folded, without diacritics or letter-form variants (see the module docstring)."""
    if text.isascii():  # most posts: nothing to fold but case (ten times faster than the table)
        return text.lower()
    return unicodedata.normalize("NFC", text.casefold().translate(_TABLE))


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order (whole words in any script)."""
    return _WORD.findall(fold(text))


class Word(NamedTuple):
    """One folded word, with the ``#`` or ``@`` written before it (``""`` for none)."""

    text: str
    sigil: str = ""

    def matches(self, pattern: Word) -> bool:
        """True when this word of a text is ``pattern``: same word, and the pattern's sigil if it has one."""
        return self.text == pattern.text and (not pattern.sigil or pattern.sigil == self.sigil)


def tagged_words(text: str) -> tuple[Word, ...]:
    """The folded words of ``text``, in order, each with the ``#`` or ``@`` it was written with."""
    return _tagged(fold(text))


def _tagged(folded: str) -> tuple[Word, ...]:
    out = []
    for m in _TAGGED.finditer(folded):
        token = m.group()
        if token[0] not in "#@":
            out.append(Word(token))
        elif m.start() and _WORD_CHAR.match(folded, m.start() - 1):  # mail@acme: a word, not a mention
            out.append(Word(token[1:]))
        else:
            out.append(Word(token[1:], token[0]))
    return tuple(out)


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: tuple[Word, ...]) -> re.Pattern[str]:
    """The phrase as one search over folded text: the same whole-word rule as :func:`tagged_words`, in C."""
    between = r"\W+"  # whatever separates two words (a sigil before the next one included)
    body = between.join(re.escape(w.sigil + w.text) for w in phrase)
    return re.compile(rf"(?<!\w){body}(?!\w)")


class WordIndex:
    """A text folded once, for finding words and phrases (whole words only) many times over."""

    def __init__(self, text: str) -> None:
        self.folded = fold(text)

    @cached_property
    def words(self) -> tuple[Word, ...]:
        """The folded words, in order (split only when positions are asked for: NEAR)."""
        return _tagged(self.folded)

    @cached_property
    def _positions(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, word in enumerate(self.words):
            out.setdefault(word.text, []).append(i)
        return out

    def find(self, phrase: Sequence[Word]) -> list[int]:
        """Start positions (in :attr:`words`) where ``phrase`` (:func:`tagged_words`) occurs as consecutive words."""
        if not phrase:
            return []
        n = len(phrase)
        return [
            i
            for i in self._positions.get(phrase[0].text, ())
            if i + n <= len(self.words) and all(self.words[i + j].matches(phrase[j]) for j in range(n))
        ]

    def contains(self, phrase: Sequence[Word]) -> bool:
        """True when ``phrase`` occurs."""
        return bool(phrase) and _phrase_pattern(tuple(phrase)).search(self.folded) is not None


def contains_phrase(text: str, phrase: str) -> bool:
    """True when ``phrase`` (a word, ``#tag``, ``@name`` or several words) occurs in ``text`` as whole words, folded."""
    return WordIndex(text).contains(tagged_words(phrase))
