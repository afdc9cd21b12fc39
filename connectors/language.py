"""A platform's language hint, kept only when it names a language."""

from __future__ import annotations

import re
from typing import Any

# BCP 47 / ISO 639 codes that say "no language known": undetermined, no linguistic content, several,
# uncoded; and the private-use range qaa-qtz, which X uses for posts of only mentions (qme), hashtags
# (qht), cashtags (qct), media links (qam) or very short text (qst).
_NOT_A_LANGUAGE = {"und", "zxx", "mul", "mis"}
_PRIVATE_USE = re.compile(r"q[a-t][a-z]")


def language_hint(value: Any) -> str | None:
    """``value`` as a language tag (``"en"``, ``"pt-BR"``), or None when it is missing or names no language."""
    if not isinstance(value, str):
        return None
    tag = value.strip()
    primary = tag.split("-", 1)[0].lower()
    if not primary or primary in _NOT_A_LANGUAGE or _PRIVATE_USE.fullmatch(primary):
        return None
    return tag
