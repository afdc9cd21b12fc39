"""For generated queries and posts, each connector's pushed-down search (run on its local test server, which
applies the platform's documented search semantics) never misses a post the local evaluation matches, so the
posts kept after the local check are exactly the ones the query matches, on every source alike.

The texts mix case, hashtags, mentions and punctuation from a small vocabulary, so that every platform's own
matching (case-insensitive whole tokens) and the query's folding agree on what a word is: a disagreement is then
the translation's fault, which is what this test is for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from connectors.base import Query
from tests.connectors.conformance import Store
from tests.connectors.harnesses import harness
from values.query_match import Subject, matches
from values.query_syntax import QuerySyntaxError, parse_query

VOCABULARY = ("acme", "corp", "wile")  # few words: most generated queries match some posts
LANGS = ("en", "pl")
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples every run: the suite stays deterministic
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_word = st.sampled_from(VOCABULARY)
_cased = st.tuples(_word, st.sampled_from((str.lower, str.upper, str.title))).map(lambda wc: wc[1](wc[0]))
_token = st.tuples(st.sampled_from(("", "", "", "#", "@")), _cased).map("".join)
texts = st.lists(_token, min_size=1, max_size=6).flatmap(
    lambda words: st.lists(st.sampled_from((" ", ", ", " - ", "! ")), min_size=len(words), max_size=len(words)).map(
        lambda seps: "".join(w + s for w, s in zip(words, seps, strict=True)).strip()
    )
)
posts = st.lists(st.tuples(texts, st.sampled_from(LANGS)), min_size=1, max_size=8)

_term = st.one_of(
    _word,
    _word.map(lambda w: f"#{w}"),
    _word.map(lambda w: f"@{w}"),
    st.tuples(_word, _word).map(lambda ws: f'"{ws[0]} {ws[1]}"'),
)
_lang = st.sampled_from(("lang:en", "lang:pl", "lang:(en OR pl)"))


_platform = st.sampled_from(("x", "reddit", "hn", "bluesky", "mastodon", "(x OR bluesky)"))
_near = st.tuples(_term, st.integers(0, 3), _term).map(lambda t: f"({t[0]} NEAR/{t[1]} {t[2]})")


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, inner).map(lambda ab: f"({ab[0]} AND {ab[1]})"),
        st.tuples(inner, inner).map(lambda ab: f"({ab[0]} OR {ab[1]})"),
        st.tuples(inner, inner).map(lambda ab: f"({ab[0]} NOT {ab[1]})"),
        st.tuples(inner, _lang).map(lambda ab: f"({ab[0]} {ab[1]})"),
        st.tuples(inner, _platform).map(lambda ab: f"({ab[0]} platform:{ab[1]})"),
    )


queries = st.recursive(st.one_of(_term, _term, _near), _extend, max_leaves=5)


def _publisher(platform: str, server: Any) -> Callable[[str, str], None]:
    if platform == "x":
        return lambda text, lang: server.tweet(text, lang=lang)
    if platform == "reddit":
        return lambda text, lang: server.submit(text, subreddit="test")
    if platform == "hn":
        return lambda text, lang: server.story(text)
    if platform == "bluesky":
        return lambda text, lang: server.post(text, lang=lang)
    return lambda text, lang: server.toot(text)


def _forget(platform: str, server: Any) -> None:
    listing = {"x": "tweets", "reddit": "things", "hn": "items", "bluesky": "posts", "mastodon": "statuses"}[platform]
    with server.lock:
        getattr(server, listing).clear()


@pytest.mark.parametrize("platform", ["x", "reddit", "hn", "bluesky", "mastodon"])
def test_the_pushed_down_search_never_misses_a_post_the_query_matches(platform: str) -> None:
    with harness(platform, page_size=10 if platform == "x" else 40 if platform == "mastodon" else 25) as h:
        publish = _publisher(platform, h.server)
        tried: list[int] = []  # per example run: how many posts the query matched

        @EXAMPLES
        @given(query=queries, published=posts)
        def run(query: str, published: list[tuple[str, str]]) -> None:
            try:
                tree = parse_query(query)
            except QuerySyntaxError:
                assume(False)
            _forget(platform, h.server)
            for text, lang in published:
                publish(text, lang)
            h.advance(5)
            fetched = Store().read(h.connector(), Query("Acme", (), expr=tree))
            found = {p.text.strip() for p in fetched}
            for text, lang in published:
                post_lang = None if platform in ("reddit", "hn") else "en" if platform == "mastodon" else lang
                if matches(tree, Subject(text, platform, post_lang)):
                    assert text in found, f"{platform} search for {query!r} missed {text!r}"
            kept = {p.text.strip() for p in fetched if matches(tree, Subject(p.text, platform, p.lang))}
            expected = {t for t, lang in published if matches(tree, Subject(t, platform, _lang_of(platform, lang)))}
            assert kept == expected
            tried.append(len(expected))
            h.advance(3600 * 2)  # the next example's posts are newer than every position this one left

        run()
        assert len(tried) >= 15 and sum(1 for n in tried if n) >= 5, f"too few telling examples: {tried}"


def _lang_of(platform: str, lang: str) -> str | None:
    return None if platform in ("reddit", "hn") else "en" if platform == "mastodon" else lang
