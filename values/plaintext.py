"""Untrusted text made safe to store, encode and hand to native libraries: one set of rules for every caller.

Platforms, files and stdin send anything: NUL (PostgreSQL refuses it in text), lone surrogates (no
UTF-8 encoding exists for them: both databases refuse them, and native code such as fastText's
language detector raises on them), terminal control sequences. Storage (``monitor.storage.normalise``)
and the classifier (``models.preprocess``) both clean text here.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # every control character (Cc) except \t and \n
_LINE_BREAKS = re.compile("[\t\n]")


def clean_text(value: str) -> str:
    """Multi-line text without lone surrogates or control characters other than newline and tab."""
    value = without_surrogates(value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value)


def clean_line(value: str) -> str:
    """One-line text: like :func:`clean_text`, with newlines and tabs as spaces."""
    value = without_surrogates(value)
    value = _LINE_BREAKS.sub(" ", value.replace("\r\n", " ").replace("\r", " "))
    return _CONTROL.sub("", value)


def without_surrogates(value: str) -> str:
    """``value`` with surrogate pairs joined into their characters and lone surrogates removed."""
    if not _SURROGATE.search(value):
        return value
    # A pair that arrived as two halves (e.g. decoded with surrogatepass) is one real character.
    joined = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return _SURROGATE.sub("", joined)
