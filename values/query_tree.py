"""A brand query as a typed tree: terms and phrases, AND / OR / NOT, NEAR/n, ``lang:``, ``platform:``.

Built by :func:`values.query_syntax.parse_query` from a ``query``, or by
:func:`terms_query` from the simple ``terms``; evaluated by values/query_match.py,
translated for each platform by connectors/pushdown.py.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from values.textfold import Word, tagged_words


@lru_cache(maxsize=4096)
def _term_words(text: str) -> tuple[Word, ...]:
    return tagged_words(text)  # a query's terms are matched against every post: folded once


@dataclass(frozen=True, slots=True)
class Term:
    """A word, ``#hashtag``, ``@mention`` or quoted phrase, as written; matched on its folded words."""

    text: str
    quoted: bool = False

    @property
    def words(self) -> tuple[Word, ...]:
        """The folded words the term matches, in order."""
        return _term_words(self.text)

    @property
    def sigil(self) -> str:
        """``#`` for a hashtag, ``@`` for a mention, else ``""``."""
        return "" if self.quoted else self.text[:1] if self.text[:1] in "#@" else ""


@dataclass(frozen=True, slots=True)
class And:
    """Every part matches."""

    parts: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one part matches."""

    parts: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The part does not match."""

    part: Expr


@dataclass(frozen=True, slots=True)
class Near:
    """Both terms occur with at most ``distance`` words between them, in either order."""

    left: Term
    right: Term
    distance: int


@dataclass(frozen=True, slots=True)
class Lang:
    """The post is in one of these languages (ISO 639 codes, lower case)."""

    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Platform:
    """The post comes from one of these platforms."""

    names: tuple[str, ...]


Expr = Term | And | Or | Not | Near | Lang | Platform


def terms_query(terms: Collection[str]) -> Expr:
    """The simple form: an OR of ``terms``, each a word, ``#hashtag``, ``@mention`` or several words (a phrase)."""
    parts = tuple(Term(t.strip(), quoted=not _single(t)) for t in dict.fromkeys(t.strip() for t in terms) if t)
    return parts[0] if len(parts) == 1 else Or(parts)


def _single(term: str) -> bool:
    return len(tagged_words(term)) <= 1 and not any(ch.isspace() for ch in term.strip())


def needs_term(expr: Expr) -> bool:
    """True when every way ``expr`` can match needs some term or phrase to occur."""
    if isinstance(expr, Term | Near):
        return True
    if isinstance(expr, And):
        return any(needs_term(p) for p in expr.parts)
    if isinstance(expr, Or):
        return all(needs_term(p) for p in expr.parts)
    return False


def positive_terms(expr: Expr) -> list[Term]:
    """The terms a matching post may contain (those not under NOT), in order, without repeats."""
    out: dict[Term, None] = {}

    def walk(node: Expr, negated: bool) -> None:
        if isinstance(node, Term) and not negated:
            out[node] = None
        elif isinstance(node, Near) and not negated:
            out[node.left] = out[node.right] = None
        elif isinstance(node, And | Or):
            for part in node.parts:
                walk(part, negated)
        elif isinstance(node, Not):
            walk(node.part, not negated)

    walk(expr, False)
    return list(out)


def languages(expr: Expr) -> bool:
    """True when ``expr`` filters on language somewhere."""
    if isinstance(expr, Lang):
        return True
    if isinstance(expr, And | Or):
        return any(languages(p) for p in expr.parts)
    return isinstance(expr, Not) and languages(expr.part)
