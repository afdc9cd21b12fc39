"""The query language's parser: the typed tree, and errors that say where the query stops making sense."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from values.query_syntax import QuerySyntaxError, parse_query
from values.query_tree import And, Lang, Near, Not, Or, Platform, Term, terms_query


def test_the_tree_of_a_query_with_every_operator() -> None:
    tree = parse_query('("acme" OR #acme) AND NOT wile lang:(en OR pl) platform:x acme NEAR/3 "bad service"')
    assert tree == And(
        (
            Or((Term("acme", quoted=True), Term("#acme"))),
            Not(Term("wile")),
            Lang(("en", "pl")),
            Platform(("x",)),
            Near(Term("acme"), Term("bad service", quoted=True), 3),
        )
    )


def test_and_binds_tighter_than_or_and_lower_case_operators_are_words() -> None:
    assert parse_query("a b OR c") == Or((And((Term("a"), Term("b"))), Term("c")))
    assert parse_query("a or b") == And((Term("a"), Term("or"), Term("b")))


def test_terms_are_the_simple_form_an_or_of_terms() -> None:
    assert terms_query(["acme", "#acme", "acme corp"]) == Or(
        (Term("acme"), Term("#acme"), Term("acme corp", quoted=True))
    )


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ("acme AND", 8, "ends where a term was expected"),
        ("(acme OR wile", 13, "expected ')'"),
        ("acme)", 4, "unexpected ')'"),
        ('acme "bad service', 5, "unterminated phrase"),
        ("acme NEAR/x wile", 5, "NEAR needs a distance"),
        ("(a OR b) NEAR/2 c", 9, "NEAR/n joins two terms"),
        ("acme lang:english", 10, "language code"),
        ("acme -wile", 5, "write NOT wile"),
        ("acme platform:myspace", 14, "not a source"),
        ("NOT acme", 0, "at least one term"),
        ("acme OR lang:en", 0, "at least one term"),
        ("acme !!!", 5, "no letters or digits"),
        ("", 0, "empty"),
        ("(" * 65 + "acme" + ")" * 65, 64, "nested more than 64 deep"),
        ("NOT " * 65 + "acme", 256, "nested more than 64 deep"),
    ],
)
def test_a_syntax_error_names_its_position(query: str, position: int, reason: str) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse_query(query, platforms={"x", "reddit", "hn"})
    assert raised.value.position == position and reason in str(raised.value)
    assert str(raised.value).startswith(f"position {position}: ")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.one_of(
        st.text(max_size=40),
        st.lists(st.sampled_from([*'ab #@"()-:/ёی', " AND ", " OR ", "NOT ", " NEAR/2 ", "lang:", "platform:"])).map(
            "".join
        ),
    )
)
def test_any_input_parses_or_says_where_it_stops_making_sense(query: str) -> None:
    error: QuerySyntaxError | None = None
    try:
        parse_query(query, platforms={"x"})
    except QuerySyntaxError as exc:  # anything else (an IndexError, a RecursionError) fails the test
        error = exc
    if error is not None:
        assert 0 <= error.position <= len(query) and str(error).startswith(f"position {error.position}: ")
