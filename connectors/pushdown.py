"""A brand query translated for a platform's search: as much as its syntax can say, never less than the query.

A pushed-down query may fetch more than the brand's query matches (every post is
checked locally afterwards), never less. So what a platform cannot express is
replaced by what keeps the search a superset: a part it cannot say becomes
"anything" where the query wants it, and "nothing" under a NOT (``NOT x`` then
excludes nothing); ``a NEAR/n b`` becomes ``a b``. ``platform:`` is decided
here, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product

from connectors.base import SourceError
from connectors.failures import Kind, failure
from values.query_tree import And, Expr, Lang, Near, Not, Or, Platform, Term

Node = Expr | bool
# How a platform takes a term, NEAR or lang: given whether it is wanted (True) or excluded (False).
Adapt = Callable[[Term | Near | Lang, bool], Node]
MAX_SEARCHES = 20


class QueryTooLong(SourceError):
    """The query cannot be cut into searches the platform accepts."""


def relax(expr: Expr, *, platform: str, adapt: Adapt) -> Node:
    """``expr`` as far as the platform can say it; ``False`` when it can match nothing on ``platform``."""

    def go(node: Expr, wanted: bool) -> Node:
        if isinstance(node, Platform):
            return platform in node.names
        if isinstance(node, Not):
            inner = go(node.part, not wanted)
            return (not inner) if isinstance(inner, bool) else Not(inner)
        if isinstance(node, And | Or):
            return _combine(type(node), [go(p, wanted) for p in node.parts])
        return adapt(node, wanted)

    return go(expr, True)


def _combine(kind: type[And] | type[Or], parts: list[Node]) -> Node:
    absorbing, neutral = (False, True) if kind is And else (True, False)
    if any(p is absorbing for p in parts):
        return absorbing
    kept: list[Expr] = []
    for p in parts:
        if isinstance(p, bool):
            continue
        kept.extend(p.parts if isinstance(p, kind) else (p,))
    if not kept:
        return neutral
    return kept[0] if len(kept) == 1 else kind(tuple(dict.fromkeys(kept)))


def positive_only(node: Term | Near | Lang, wanted: bool, *, lang: bool = False) -> Node:
    """An adapter for searches that AND words: no NOT (a fuzzy search would exclude too much), NEAR as AND."""
    if not wanted:
        return False
    if isinstance(node, Near):
        return And((node.left, node.right))
    if isinstance(node, Lang):
        return node if lang else True
    return node


def conjunctions(node: Node, *, limit: int = MAX_SEARCHES) -> list[tuple[Term | Lang, ...]]:
    """``node`` (of terms, AND, OR and lang: only) as alternatives that each AND their parts: one search each."""
    if node is False:
        return []
    if node is True:
        raise QueryTooLong("the query has no term this platform can search for")

    def go(n: Expr) -> list[tuple[Term | Lang, ...]]:
        if isinstance(n, Or):
            return [c for p in n.parts for c in go(p)]
        if isinstance(n, And):
            out: list[tuple[Term | Lang, ...]] = [()]
            for part in n.parts:
                out = [a + b for a, b in product(out, go(part))]
                if len(out) > limit * 4:
                    break
            return out
        if isinstance(n, Term | Lang):
            return [(n,)]
        raise TypeError(f"not pushed down as AND/OR: {n!r}")

    clauses = [tuple(dict.fromkeys(c)) for c in go(node)]
    clauses = [c for c in dict.fromkeys(clauses) if any(isinstance(p, Term) for p in c)]
    # A clause with all of another's parts and more finds a subset of it: one search is enough.
    kept = [c for c in clauses if not any(o != c and set(o) <= set(c) for o in clauses)]
    if len(kept) > limit:
        raise QueryTooLong(
            f"the query needs {len(kept)} searches on this platform (at most {limit}): fewer OR-ed alternatives"
        )
    return kept


def word_searches(tree: Expr, *, platform: str, where: str, lang: bool = False) -> list[tuple[Term | Lang, ...]]:
    """The query as alternatives that each AND their words, one search each, for a search with no OR nor NOT
    (HN, Bluesky, Mastodon); a query it cannot send is refused as ``platform``'s error at ``where``."""
    node = relax(tree, platform=platform, adapt=lambda n, wanted: positive_only(n, wanted, lang=lang))
    try:
        return conjunctions(node)
    except QueryTooLong as exc:
        raise failure(platform, Kind.REFUSED, where=where, detail=str(exc)) from None


def boolean_text(
    node: Expr,
    *,
    term: Callable[[Term], str],
    and_: str = " ",
    not_: Callable[[str], str] = lambda s: f"-{s}",
    lang: Callable[[str], str] = lambda code: f"lang:{code}",
) -> str:
    """``node`` in a boolean search syntax (X's by default: side by side is AND, ``-`` is NOT, ``(a OR b)``)."""

    def go(n: Expr, inside: bool) -> str:
        # ``inside``: part of a bigger expression, so a group is written in parentheses (never trusting precedence).
        if isinstance(n, Term):
            return term(n)
        if isinstance(n, Lang):
            codes = " OR ".join(lang(c) for c in n.codes)
            return f"({codes})" if len(n.codes) > 1 and inside else codes
        if isinstance(n, Not):
            return not_(go(n.part, True))
        if isinstance(n, And | Or):
            text = (and_ if isinstance(n, And) else " OR ").join(go(p, True) for p in n.parts)
            return f"({text})" if inside else text
        raise TypeError(f"not pushed down: {n!r}")

    return go(node, False)


def quoted(term: Term) -> str:
    """A term for a search that reads ``"..."`` as a phrase: one plain word bare, anything else in quotes."""
    text = term.text.replace('"', "")
    if term.sigil or (not term.quoted and text.isalnum()):
        return text
    return f'"{text}"'


def split_to_fit(node: Expr, render: Callable[[Expr], str], limit: int) -> list[Expr]:
    """``node`` as one or more parts whose ``render`` fits in ``limit`` characters, together matching the same posts.

    An OR is cut between its alternatives; an AND is cut inside its longest OR
    (``x (a OR b)`` = ``x a`` OR ``x b``). Where that is not enough the longest
    NOT is left out (the search widens; the local check still excludes it).
    """
    if len(render(node)) <= limit:
        return [node]
    if isinstance(node, Or):
        chunks: list[list[Expr]] = []
        for part in node.parts:
            if chunks and len(render(_or(chunks[-1] + [part]))) <= limit:
                chunks[-1].append(part)
            else:
                chunks.append([part])
        if len(chunks) > 1:
            return [piece for chunk in chunks for piece in split_to_fit(_or(chunk), render, limit)]
        return split_to_fit(node.parts[0], render, limit)  # pragma: no cover - one part alone is not an OR
    if isinstance(node, And):
        ors = [p for p in node.parts if isinstance(p, Or)]
        if ors:
            widest = max(ors, key=lambda p: len(render(p)))
            half = len(widest.parts) // 2
            rest = [p for p in node.parts if p is not widest]
            halves = (_or(list(widest.parts[:half])), _or(list(widest.parts[half:])))
            return [piece for h in halves for piece in split_to_fit(And((*rest, h)), render, limit)]
        nots = [p for p in node.parts if isinstance(p, Not)]
        if nots:
            widest_not = max(nots, key=lambda p: len(render(p)))
            rest = [p for p in node.parts if p is not widest_not]
            return split_to_fit(rest[0] if len(rest) == 1 else And(tuple(rest)), render, limit)
    raise QueryTooLong(f"{render(node)[:80]!r}… is {len(render(node))} characters, over the limit of {limit}")


def _or(parts: list[Expr]) -> Expr:
    return parts[0] if len(parts) == 1 else Or(tuple(parts))
