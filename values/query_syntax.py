"""A brand query's text parsed once into its typed tree (values/query_tree.py), or an error with its position.

Grammar (operators in capitals; lower-case ``and``/``or``/``not`` are words)::

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*        # side by side means AND
    unary   := "NOT" unary | near
    near    := primary ("NEAR/" n primary)*  # both sides a term or a phrase
    primary := "(" or ")" | "lang:" codes | "platform:" names | term | '"' phrase '"'
    codes   := code | "(" code ("OR" code)* ")"

A term is a word, ``#hashtag`` or ``@mention``; a word written with punctuation
inside (``coca-cola``) is the phrase of its words. Errors name the position
(0-based character offset) where the query stops making sense.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from values.query_tree import And, Expr, Lang, Near, Not, Or, Platform, Term, needs_term

MAX_NEAR = 50
MAX_DEPTH = 64  # parentheses and NOTs inside each other: deeper is a mistake, and would exhaust the stack


class QuerySyntaxError(ValueError):
    """The query cannot be parsed; ``position`` is the character offset of the problem."""

    def __init__(self, message: str, *, query: str, position: int) -> None:
        self.position = position
        self.query = query
        self.reason = message
        super().__init__(f"position {position}: {message}: {query[:position]}⟨here⟩{query[position:]}")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<open>\() | (?P<close>\)) | (?P<quote>") |
        (?P<near>NEAR/(?P<n>\S*?)(?=[\s()"]|$)) |
        (?P<field>(?:lang|platform):) |
        (?P<word>[^\s()"]+)
    )""",
    re.VERBOSE,
)
_CODE = re.compile(r"[a-z]{2,3}")
_NAME = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # open, close, phrase, near, field, word, AND, OR, NOT, end
    text: str
    at: int


def _tokens(query: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if m is None:  # only trailing blanks are left
            break
        start = m.start(m.lastgroup or 0)
        kind = m.lastgroup or ""
        if kind == "n":
            kind = "near"
        if kind == "quote":
            end = query.find('"', m.end())
            if end < 0:
                raise QuerySyntaxError('unterminated phrase: a " without its closing "', query=query, position=start)
            out.append(_Token("phrase", query[m.end() : end], start))
            pos = end + 1
            continue
        text = m.group(kind)
        if kind == "word" and text in ("AND", "OR", "NOT"):
            kind = text
        if kind == "near":
            text = m.group("n")
        out.append(_Token(kind, text, start))
        pos = m.end()
    out.append(_Token("end", "", len(query)))
    return out


class _Parser:
    def __init__(self, query: str, platforms: Collection[str] | None) -> None:
        self.query = query
        self.platforms = platforms
        self.tokens = _tokens(query)
        self.i = 0
        self.depth = 0

    @property
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, message: str, token: _Token | None = None) -> QuerySyntaxError:
        return QuerySyntaxError(message, query=self.query, position=(token or self.peek).at)

    def parse(self) -> Expr:
        if self.peek.kind == "end":
            raise self.fail("the query is empty")
        expr = self.or_()
        if self.peek.kind == "close":
            raise self.fail("unexpected ')': no '(' opened it")
        if self.peek.kind != "end":
            raise self.fail(f"unexpected {self.peek.text!r}")
        return expr

    def or_(self) -> Expr:
        parts = [self.and_()]
        while self.peek.kind == "OR":
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_(self) -> Expr:
        parts = [self.unary()]
        while self.peek.kind not in ("OR", "close", "end"):
            if self.peek.kind == "AND":
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> Expr:
        if self.peek.kind == "NOT":
            self.deeper()
            self.take()
            part = self.unary()
            self.depth -= 1
            return Not(part)
        return self.near()

    def deeper(self, token: _Token | None = None) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} deep", token)

    def near(self) -> Expr:
        left = self.primary()
        while self.peek.kind == "near":
            op = self.take()
            if not op.text.isdigit() or not 0 <= int(op.text) <= MAX_NEAR:
                raise self.fail(f"NEAR needs a distance in words from 0 to {MAX_NEAR}, e.g. NEAR/3", op)
            right_at = self.peek
            right = self.primary()
            for side, token in ((left, op), (right, right_at)):
                if not isinstance(side, Term):
                    raise self.fail("NEAR/n joins two terms or phrases, not a group or a filter", token)
            assert isinstance(left, Term) and isinstance(right, Term)
            left = Near(left, right, int(op.text))
        return left

    def primary(self) -> Expr:
        token = self.take()
        if token.kind == "open":
            if self.peek.kind == "close":
                raise self.fail("empty parentheses")
            self.deeper(token)
            expr = self.or_()
            if self.peek.kind != "close":
                raise self.fail(f"expected ')' to close the '(' at position {token.at}")
            self.take()
            self.depth -= 1
            return expr
        if token.kind == "field":
            return self.field(token)
        if token.kind in ("word", "phrase"):
            return self.term(token)
        if token.kind == "end":
            raise self.fail("the query ends where a term was expected", token)
        if token.kind == "close":
            raise self.fail("expected a term before ')'", token)
        raise self.fail(f"expected a term, not {token.kind if token.kind != 'near' else 'NEAR'}", token)

    def term(self, token: _Token) -> Term:
        quoted = token.kind == "phrase"
        if not quoted and token.text.startswith("-"):
            hint = f"write NOT {token.text[1:]} instead of {token.text} (a leading '-' is not an operator here)"
            raise self.fail(hint, token)
        term = Term(token.text.strip(), quoted=quoted)
        if not term.words:
            raise self.fail(f"{token.text!r} has no letters or digits to match", token)
        if term.sigil and len(term.words) != 1:
            raise self.fail(f"{token.text!r}: a hashtag or mention is one word", token)
        return term

    def field(self, token: _Token) -> Expr:
        name = token.text.rstrip(":")
        pattern, build = (_CODE, Lang) if name == "lang" else (_NAME, Platform)
        values: list[str] = []
        if self.peek.kind == "open":
            self.take()
            values.append(self.value(name, pattern))
            while self.peek.kind == "OR":
                self.take()
                values.append(self.value(name, pattern))
            if self.peek.kind != "close":
                raise self.fail(f"expected OR or ')' in {name}:( ... )")
            self.take()
        else:
            values.append(self.value(name, pattern))
        return build(tuple(dict.fromkeys(values)))

    def value(self, name: str, pattern: re.Pattern[str]) -> str:
        token = self.take()
        text = token.text.lower()
        if token.kind != "word" or not pattern.fullmatch(text):
            what = "a language code such as en, pl, ru, fa" if name == "lang" else "a platform name such as x"
            raise self.fail(f"{name}: needs {what}", token)
        if name == "platform" and self.platforms is not None and text not in self.platforms:
            raise self.fail(f"platform:{text} is not a source; known: {', '.join(sorted(self.platforms))}", token)
        return text


def parse_query(query: str, *, platforms: Collection[str] | None = None) -> Expr:
    """The typed tree of ``query``; raises :class:`QuerySyntaxError` with the position of the first problem.

    ``platforms`` (the known source names) validates ``platform:``. A query must
    require at least one term: one that only excludes or filters would match every post.
    """
    expr = _Parser(query, platforms).parse()
    if not needs_term(expr):
        raise QuerySyntaxError(
            "the query must require at least one term (a query of only NOT, lang: or platform: matches every post;"
            " an OR needs a term on each side)",
            query=query,
            position=0,
        )
    return expr
