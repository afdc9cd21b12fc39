"""What each platform is sent for a query: the examples docs/sources.md shows, and the limits it names."""

from __future__ import annotations

import pytest

from connectors.base import Query, SourceError
from connectors.bluesky import search_clauses as bluesky_searches
from connectors.hn import search_words
from connectors.mastodon import _tag_terms
from connectors.mastodon import search_clauses as mastodon_searches
from connectors.reddit import search_queries
from connectors.rss import feed_query
from connectors.x import XSettings, build_queries
from values.query_syntax import parse_query

X = XSettings.model_validate({}, context={"env": {"X_BEARER_TOKEN": "t"}})


def q(text: str) -> Query:
    return Query("Acme", (), expr=parse_query(text))


def test_the_documented_example_on_every_platform() -> None:
    query = q('("acme" OR #acme) NOT wile lang:pl')
    assert build_queries(query, X) == ['("acme" OR #acme) -wile lang:pl -is:retweet']
    assert search_queries(query) == ['"acme" OR "#acme"']
    assert search_words(query) == {"acme": "acme"}
    assert bluesky_searches(query) == {"acme": ('"acme"', "pl"), "#acme": ("#acme", "pl")}
    assert mastodon_searches(query) == {"acme": '"acme"', "#acme": "#acme"} and _tag_terms(query) == ["acme", "#acme"]
    assert feed_query(query) == '("acme" OR #acme) -wile'


def test_near_is_searched_as_both_terms_and_not_near_excludes_nothing() -> None:
    assert build_queries(q('acme NEAR/3 "bad service"'), X) == ['acme "bad service" -is:retweet']
    assert build_queries(q("acme NOT (late NEAR/2 parcel)"), X) == ["acme -is:retweet"]
    assert search_words(q('acme NEAR/3 "bad service"')) == {"acme bad service": "acme bad service"}


def test_or_inside_and_gives_one_search_per_alternative_where_the_platform_has_no_or() -> None:
    assert list(bluesky_searches(q("(acme OR #acme) (late OR lost)"))) == [
        "acme late",
        "acme lost",
        "#acme late",
        "#acme lost",
    ]
    assert search_queries(q("(acme OR #acme) (late OR lost)")) == ['("acme" OR "#acme") AND ("late" OR "lost")']


def test_an_alternative_containing_another_is_not_searched_again() -> None:
    assert search_words(q("acme OR (acme corp)")) == {"acme": "acme"}


def test_platform_decides_before_anything_is_sent() -> None:
    query = q("(acme platform:x) OR (#acme platform:(bluesky OR mastodon))")
    assert build_queries(query, X) == ["acme -is:retweet"]
    assert search_queries(query) == [] and search_words(query) == {} and feed_query(query) is None
    assert bluesky_searches(query) == {"#acme": ("#acme", None)}


def test_too_many_alternatives_for_a_platform_without_or_is_a_clear_error() -> None:
    firsts, seconds = (" OR ".join(f"{c}{i}" for i in range(6)) for c in "ab")
    query = q(f"({firsts}) ({seconds})")  # 36 alternatives
    with pytest.raises(SourceError, match="36 searches"):
        bluesky_searches(query)
    assert len(build_queries(query, X)) == 1, "X says OR itself: one search"
