"""Text folded for matching: the same word compares equal however it was typed.

Case, Latin diacritics (``złożę`` = ``zloze``, ``ł`` = ``l``), Russian ``ё``/``е`` (and
``й``/``и``), Arabic-script letter forms (Arabic yeh, kaf, teh marbuta and hamza seats to
their Persian/plain forms; harakat and tatweel dropped) and the Persian zero-width
non-joiner (``نمی‌کند`` = ``نمیکند``) are folded away. Used for complaint phrases and for
comparing posts; what is shown to people is always the original text.
"""

from __future__ import annotations

import re
import unicodedata

_ZWNJ = "\u200c"
_WORD = re.compile(r"\w+")
# Letters NFKD does not decompose into a base letter plus a mark.
_LETTERS = str.maketrans(
    {
        "ł": "l",
        "đ": "d",
        "ø": "o",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ı": "i",
        # Arabic-script forms of one Persian letter
        "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
        "\u0649": "\u06cc",  # alef maksura -> Persian yeh
        "\u0626": "\u06cc",  # yeh with hamza
        "\u0643": "\u06a9",  # Arabic kaf -> Persian kaf
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u06c0": "\u0647",  # heh with yeh above
        "\u0623": "\u0627",  # alef with hamza above
        "\u0625": "\u0627",  # alef with hamza below
        "\u0671": "\u0627",  # alef wasla
        "\u0624": "\u0648",  # waw with hamza
        "\u0640": None,  # tatweel: a stretch, not a letter
        _ZWNJ: None,
    }
)


def fold(text: str) -> str:
    """``text`` case-folded, without diacritics or letter-form variants (see the module docstring)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Combining marks are diacritics in Latin and Cyrillic, harakat in Arabic script: all decoration here.
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare.translate(_LETTERS))


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order (whole words in any script)."""
    return _WORD.findall(fold(text))
