"""A brand query evaluated on one post's text: the local check every source's posts pass, whatever was pushed down."""

from __future__ import annotations

from dataclasses import dataclass, field

from values.query_tree import And, Expr, Lang, Near, Not, Or, Term
from values.textfold import WordIndex


@dataclass
class Subject:
    """What a query is checked against: the text's words, the post's language and platform.

    ``lang`` is an ISO 639 code or None when unknown. With ``lang_unknown_matches``
    an unknown language satisfies ``lang:`` whichever side of a NOT it is on (a
    connector's pre-filter, before the language is detected: it must not drop a
    post the final check would keep).
    """

    text: str
    platform: str
    lang: str | None = None
    lang_unknown_matches: bool = False
    index: WordIndex = field(init=False)

    def __post_init__(self) -> None:
        self.index = WordIndex(self.text)
        if self.lang:
            self.lang = self.lang.split("-", 1)[0].lower()


def matches(expr: Expr, subject: Subject) -> bool:
    """True when ``subject`` matches ``expr``."""
    return _eval(expr, subject, True)


def _eval(expr: Expr, s: Subject, positive: bool) -> bool:
    if isinstance(expr, Term):
        return s.index.contains(expr.words)
    if isinstance(expr, And):
        return all(_eval(p, s, positive) for p in expr.parts)
    if isinstance(expr, Or):
        return any(_eval(p, s, positive) for p in expr.parts)
    if isinstance(expr, Not):
        return not _eval(expr.part, s, not positive)
    if isinstance(expr, Near):
        return _near(expr, s.index)
    if isinstance(expr, Lang):
        if s.lang is None:
            return positive if s.lang_unknown_matches else False
        return s.lang in expr.codes
    return s.platform in expr.names


def _near(expr: Near, index: WordIndex) -> bool:
    left, right = expr.left.words, expr.right.words
    if not (index.contains(left) and index.contains(right)):  # a search each, before splitting into words
        return False
    lefts = [(i, i + len(left)) for i in index.find(left)]
    rights = [(i, i + len(right)) for i in index.find(right)]
    for a_start, a_end in lefts:
        for b_start, b_end in rights:
            between = b_start - a_end if b_start >= a_end else a_start - b_end
            if 0 <= between <= expr.distance:
                return True
    return False
