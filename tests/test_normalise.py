"""The normalisation boundary, field by field: what is removed, replaced, cut, dropped or refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.base import Post
from monitor.storage.error_text import error_text
from monitor.storage.normalise import InvalidPost, normalise
from values.plaintext import clean_line, clean_text

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def post(**fields) -> Post:
    return Post(**{"platform": "x", "post_id": "1", "author": "dana", "text": "acme", "created_at": NOW, **fields})


@pytest.mark.parametrize(
    ("raw", "text", "line"),
    [
        ("a\x00b", "ab", "ab"),
        ("a\ud800b\udfff", "ab", "ab"),
        ("smile \ud83d\ude00", "smile 😀", "smile 😀"),  # a pair that arrived as two halves is one character
        ("one\r\ntwo\rthree\nfour\tfive", "one\ntwo\nthree\nfour\tfive", "one two three four five"),
        ("\x1b[31mred\x1b[0m\x7f\x85\x9b", "[31mred[0m", "[31mred[0m"),  # no escape sequences survive
        ("מזל\u202etov \u200d é \ufffd", "מזל\u202etov \u200d é \ufffd", "מזל\u202etov \u200d é \ufffd"),
    ],
)
def test_cleaning_removes_what_breaks_storage_and_terminals_only(raw, text, line) -> None:
    assert clean_text(raw) == text
    assert clean_line(raw) == line


def test_every_field_is_cleaned_and_fitted_to_its_column() -> None:
    clean = normalise(
        post(
            platform=b"x\xff",
            post_id=12345,
            author="😀" * 200 + "\x00",
            text=b"caf\xc3\xa9 \xff\x00",
            url="https://example.com/\n\x00a",
            reply_to="9" * 192,
            thread_id="t\x00hread",
            author_id="a" * 191,
            lang="en-\x00" + "x" * 40,
            metrics={"likes\x00": 3, "big": 2**80, "flag": True, "nan": float("nan"), "text": "3", "f": 2.7},
            extra={"sub\nreddit": "r/\x00acme", "none": None, "n": 5, "b": b"\xff"},
        )
    )
    assert (clean.platform, clean.post_id) == ("x\ufffd", "12345")
    assert clean.author == "😀" * 191  # characters, as both databases count them
    assert clean.text == "café \ufffd"
    assert clean.url == "https://example.com/ a"
    assert clean.reply_to is None  # a cut id would point at another post
    assert clean.thread_id == "thread" and clean.author_id == "a" * 191
    assert clean.lang == "en-" + "x" * 13
    assert clean.metrics == {"likes": 3, "big": 2**63 - 1, "flag": 1, "f": 2}
    assert clean.extra == {"sub reddit": "r/acme", "n": "5", "b": "\ufffd"}


def test_time_is_made_utc_or_refused() -> None:
    east = datetime(2026, 11, 20, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert normalise(post(created_at=east)).created_at == NOW and normalise(post(created_at=east)).created_at.tzinfo
    with pytest.raises(InvalidPost, match="cannot be expressed in UTC"):
        normalise(post(created_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))))


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"post_id": None}, "post id is missing"),
        ({"post_id": ""}, "post id is blank"),
        ({"post_id": " \t\x00"}, "post id is blank"),
        ({"post_id": True}, "post id is bool, not a string"),
        ({"post_id": "9" * 192}, "post id is longer than 191 characters (192)"),
        ({"platform": None}, "platform is missing"),
        ({"platform": "p" * 33}, "platform is longer than 32 characters (33)"),
        ({"text": None}, "text is NoneType, not a string"),
    ],
)
def test_a_post_without_a_usable_identity_is_refused_with_its_reason(fields, reason) -> None:
    with pytest.raises(InvalidPost) as refused:
        normalise(post(**fields))
    assert str(refused.value) == reason


def test_error_text_is_one_masked_bounded_line() -> None:
    text = error_text("boom\n\x1b[2J token=abcdef123456 xoxb-123456789-abc " + "x" * 5000)
    assert "\n" not in text and "\x1b" not in text and "abcdef123456" not in text and "xoxb-1234" not in text
    assert len(text) == 2000
    assert error_text(KeyError("data")) == "KeyError: 'data'" and error_text(ValueError()) == "ValueError"
