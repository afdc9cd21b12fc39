"""Social-media text as the cardiffnlp twitter models saw it in training: handles → @user, links → http."""

from __future__ import annotations

import re

from values.plaintext import clean_line

# cardiffnlp's own preprocess(): any word starting with "@" (longer than "@") becomes "@user",
# any word starting with "http" becomes "http". We also catch bare www. links. Emoji are kept:
# the model learnt from them.
_HANDLE = re.compile(r"(?<!\S)@\S+")
_LINK = re.compile(r"(?<!\S)(?:http|www\.)\S*", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def normalise(text: str, *, max_chars: int) -> str:
    """``text`` with handles and links normalised, whitespace collapsed, cut to ``max_chars`` characters.

    The character cut only keeps a megabyte paste from reaching the tokenizer; the real limit is
    the token truncation at the model's maximum length, which comes after.
    """
    # Text from stdin, files and feedback never passed storage's normalisation: lone surrogates and control
    # characters go here too (fastText's native language detector raises on a lone surrogate).
    text = clean_line(text[: max_chars * 2])
    text = _HANDLE.sub("@user", text)
    text = _LINK.sub("http", text)
    return _SPACE.sub(" ", text).strip()[:max_chars]


def language_text(normalised: str) -> str:
    """The words that say which language a post is in (no @user / http placeholders)."""
    words = [w for w in normalised.split(" ") if w not in ("@user", "http") and not w.startswith("#")]
    return " ".join(words)


# A retweet's own prefix, once handles are @user: "RT @user: <the original>".
_RETWEET = re.compile(r"^RT @user:?\s*")
_PLACEHOLDERS = re.compile(r"(?<!\S)(?:@user|http)(?!\S)")
_CUT = re.compile(r"(?:…|\.\.\.)$")


# A cut copy ("RT @user: first 120 characters…") is matched to a whole text starting with it only when
# at least this much of it is left: shorter beginnings ("ok…") are shared by unrelated posts.
MIN_CUT_KEY = 24


def is_cut(normalised: str) -> bool:
    """Whether the text ends in an ellipsis: a retweet or a preview cut short, whose whole text may be known."""
    return bool(_CUT.search(normalised))


def cache_key(normalised: str) -> str:
    """What near-identical posts share: no retweet prefix, handles or links, case folded, no trailing "…".

    A retweet, the same complaint copied with another handle, or a post seen by two sources then get one
    classification. Only the key drops these; the model reads the post's normalised text as always.
    """
    text = _RETWEET.sub("", normalised)
    text = _PLACEHOLDERS.sub(" ", text)
    text = _CUT.sub("", _SPACE.sub(" ", text).strip())
    return text.strip().casefold()
