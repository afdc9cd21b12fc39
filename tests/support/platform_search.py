"""Platforms' documented search semantics, for the fake APIs: written apart from values/query_* on purpose.

Three dialects, each as its platform documents it:

- ``x`` (X API v2 search operators): side by side is AND, ``OR``, ``-`` negates a
  term or a group, ``( )``, ``"exact phrase"``, ``#tag``, ``@user``, ``lang:xx``,
  ``from:user``, ``is:reply`` / ``is:retweet``; other ``is:``/``has:`` operators pass.
  A keyword is a case-insensitive whole-token match (a hashtag or mention carries
  the keyword as a token too), a phrase is consecutive tokens.
- ``reddit`` (Reddit search): ``AND``, ``OR``, ``NOT``, ``( )``, ``"phrase"``; side by side is AND.
- ``all`` (Algolia, Bluesky searchPosts, Mastodon search): every word or ``"phrase"`` must occur.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_TOKENS = re.compile(r'\(|\)|"[^"]*"|[^\s()"]+')
_WORD = re.compile(r"([#@]?)(\w+)")


@dataclass
class Doc:
    """What a search looks at."""

    text: str
    lang: str | None = None
    author: str = ""
    is_reply: bool = False
    is_retweet: bool = False

    def tokens(self) -> list[tuple[str, str]]:
        return [(m.group(1), m.group(2).lower()) for m in _WORD.finditer(self.text)]


def _phrase_in(doc: Doc, phrase: str) -> bool:
    wanted = [(s, w.lower()) for s, w in _WORD.findall(phrase)]
    have = doc.tokens()
    n = len(wanted)
    return bool(wanted) and any(
        all(have[i + j][1] == wanted[j][1] and (not wanted[j][0] or have[i + j][0] == wanted[j][0]) for j in range(n))
        for i in range(len(have) - n + 1)
    )


def _atom_x(token: str) -> Callable[[Doc], bool]:
    lower = token.lower()
    if lower.startswith("lang:"):
        return lambda d: (d.lang or "") == lower[5:]
    if lower.startswith("from:"):
        return lambda d: d.author.lower() == lower[5:]
    if lower == "is:reply":
        return lambda d: d.is_reply
    if lower == "is:retweet":
        return lambda d: d.is_retweet
    if re.match(r"(is|has):", lower):
        return lambda d: True
    phrase = token.strip('"')
    return lambda d: _phrase_in(d, phrase)


class _Parser:
    def __init__(self, query: str, dialect: str) -> None:
        self.tokens = _TOKENS.findall(query)
        self.i = 0
        self.dialect = dialect

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def or_(self) -> Callable[[Doc], bool]:
        parts = [self.and_()]
        while self.peek() == "OR":
            self.i += 1
            parts.append(self.and_())
        return lambda d: any(p(d) for p in parts)

    def and_(self) -> Callable[[Doc], bool]:
        parts = []
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND" and self.dialect == "reddit":
                self.i += 1
                continue
            parts.append(self.unary())
        return lambda d: all(p(d) for p in parts)

    def unary(self) -> Callable[[Doc], bool]:
        token = self.peek() or ""
        if self.dialect == "reddit" and token == "NOT":
            self.i += 1
            inner = self.unary()
            return lambda d: not inner(d)
        if self.dialect == "x" and token.startswith("-") and len(token) > 1:
            self.tokens[self.i] = token[1:]
            inner = self.unary()
            return lambda d: not inner(d)
        if self.dialect == "x" and token == "-":
            self.i += 1
            inner = self.unary()
            return lambda d: not inner(d)
        return self.primary()

    def primary(self) -> Callable[[Doc], bool]:
        token = self.tokens[self.i]
        self.i += 1
        if token == "(":
            inner = self.or_()
            if self.peek() == ")":
                self.i += 1
            return inner
        if self.dialect == "x":
            return _atom_x(token)
        phrase = token.strip('"')
        return lambda d: _phrase_in(d, phrase)


def search(query: str, dialect: str) -> Callable[[Doc], bool]:
    """A predicate: does a document match ``query`` in ``dialect`` (``x``, ``reddit`` or ``all``)?"""
    if dialect == "all":
        parts = [t.strip('"') for t in _TOKENS.findall(query)]
        return lambda d: all(_phrase_in(d, p) for p in parts)
    return _Parser(query, dialect).or_()
