"""Hypothesis strategies for hostile posts: any Unicode (NUL, lone surrogates, controls), huge and empty fields."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

from hypothesis import strategies as st

from connectors.base import Post, Rejected

# Characters that broke or could break storage, display or JSON, mixed into ordinary text.
NASTY = [
    "\x00", "\ud800", "\udfff", "\ud83d", "\ude00", "\x1b", "\x7f", "\x85", "\r", "\r\n", "\t", "\n", "\u202e",
    "\u200d", "\u2028", "\ufeff", "\ufffd", "\ufffe", "\uffff", "\U0010ffff", "😀", "é", "'", '"', "\\", "%", "_",
]
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())  # surrogates too
hostile = st.lists(st.one_of(st.sampled_from(NASTY), any_char, st.text(max_size=8)), max_size=12).map("".join)
MEGABYTE = 1_000_000


@st.composite
def huge(draw: st.DrawFn) -> str:
    """About a megabyte of text with hostile characters at both ends and in the middle."""
    return draw(hostile) + "acme " * (MEGABYTE // 10) + draw(hostile) + "ü" * (MEGABYTE // 2) + draw(hostile)


def sized(lengths: tuple[int, ...]) -> st.SearchStrategy[str]:
    """Strings of exactly the given lengths (around a column's limit)."""
    return st.builds(lambda n, c: c * n, st.sampled_from(lengths), st.sampled_from(["9", "é", "😀", " "]))


# What a connector's bug or an API's surprise could put where a string belongs.
oddities = st.one_of(st.none(), st.integers(min_value=-(2**70), max_value=2**70), st.booleans(), st.binary(max_size=12))
identities = st.one_of(
    st.sampled_from(["", " ", "\x00", "\t\n", "None", "1", "x", "reddit"]),
    hostile,
    sized((31, 32, 33, 190, 191, 192, 250)),
    oddities,
)
free_text = st.one_of(hostile, sized((15, 16, 17, 191, 192, 400)), oddities)
zones = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12, minutes=-30))])
moments = st.datetimes(timezones=zones)  # year 1 to 9999: some cannot be expressed in UTC
metric_values = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80), st.floats(), st.booleans(), st.none(), hostile
)


@st.composite
def posts(draw: st.DrawFn) -> Post:
    """A post as a connector (or a buggy one) might build it."""
    return Post(
        platform=draw(st.one_of(st.just("x"), identities)),
        post_id=draw(st.one_of(st.integers(min_value=0, max_value=10**6).map(str), identities)),
        author=draw(st.one_of(st.just("dana"), free_text)),
        text=draw(st.one_of(hostile, huge(), oddities)) if draw(st.integers(0, 9)) == 0 else draw(hostile),
        created_at=draw(moments),
        url=draw(st.one_of(st.none(), free_text)),
        reply_to=draw(st.one_of(st.none(), identities)),
        thread_id=draw(st.one_of(st.none(), identities)),
        author_id=draw(st.one_of(st.none(), identities)),
        lang=draw(st.one_of(st.none(), st.just("en"), free_text)),
        metrics=draw(st.dictionaries(st.one_of(hostile, sized((64, 65, 300))), metric_values, max_size=4)),
        extra=draw(st.dictionaries(hostile, st.one_of(hostile, oddities), max_size=3)),
    )


rejections = st.builds(
    Rejected,
    raw=st.one_of(hostile, st.integers(0, 19).flatmap(lambda n: huge() if n == 0 else hostile)),
    reason=hostile,
    item_id=st.one_of(st.none(), hostile, sized((300,))),
)
