"""Local term matching, for sources whose API cannot search (feeds, replay files)."""

from __future__ import annotations

import re
from collections.abc import Iterable


def term_pattern(terms: Iterable[str]) -> re.Pattern[str]:
    """A case-insensitive pattern matching any term as a whole word (``#acme`` and ``@acme`` too)."""
    alternatives = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(t) for t in alternatives)
    return re.compile(rf"(?<![\w]){'(?:' + body + ')'}(?![\w])", re.IGNORECASE)


def mentions(text: str, pattern: re.Pattern[str]) -> bool:
    """True when ``text`` mentions one of the pattern's terms."""
    return pattern.search(text) is not None
