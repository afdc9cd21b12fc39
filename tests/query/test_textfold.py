"""Folding and whole-word matching, in the scripts brands are written about: Latin (en, pl), Cyrillic (ru), Persian."""

from __future__ import annotations

import pytest

from values.textfold import Word, contains_phrase, fold, tagged_words, words


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ACME", "acme"),
        ("Straße", "strasse"),
        ("Łódź Żółw", "lodz zolw"),  # Polish: ł is no decomposable letter, ż/ó/ź are
        ("café", "cafe"),
        ("Ёлка", "елка"),  # Russian ё is е
        ("كيك", "کیک"),  # Arabic kaf and yeh are Persian keheh and yeh
        ("أحمد", "احمد"),  # a hamza seat is its alef
        ("مـــرسی", "مرسی"),  # tatweel stretches, says nothing
        ("۱۲۳ ١٢٣", "123 123"),  # Persian and Arabic-Indic digits
        ("Ａｃｍｅ", "acme"),  # fullwidth forms
    ],
)
def test_spellings_readers_take_as_the_same_fold_alike(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_words_are_the_folded_words_as_text() -> None:
    assert words("Łódź, ЁЛКА и #Acme") == ["lodz", "елка", "и", "acme"]


def test_words_are_whole_words_in_every_script() -> None:
    assert contains_phrase("Acme's parcel", "acme") and not contains_phrase("Acmeville", "acme")
    assert contains_phrase("Kupiłem w Allegro!", "allegro") and not contains_phrase("allegrowy", "allegro")
    assert contains_phrase("Сбербанк опять завис", "сбербанк") and not contains_phrase("Сбербанка нет", "сбербанк")
    assert contains_phrase("اینترنت ایرانسل قطع است", "ايرانسل")
    assert not contains_phrase("ایرانسلی", "ایرانسل")  # one word, not the brand


def test_a_zero_width_non_joiner_joins_as_people_type_it() -> None:
    # نمی‌کند and نمیکند are one word; a brand written with a suffix after a ZWNJ is that longer word.
    assert contains_phrase("درست کار نمیکند", "نمی\u200cکند")
    assert not contains_phrase("ایرانسل\u200cها خرابند", "ایرانسل")


def test_hashtags_and_mentions_carry_their_sigil() -> None:
    assert tagged_words("#Acme @AcmeSupport e-mail a@b") == (
        Word("acme", "#"),
        Word("acmesupport", "@"),
        Word("e"),
        Word("mail"),
        Word("a"),
        Word("b"),
    )
    assert contains_phrase("love #acme", "acme") and contains_phrase("love #acme", "#acme")
    assert not contains_phrase("love acme", "#acme") and not contains_phrase("mail@acme", "@acme")


def test_a_phrase_is_consecutive_words_whatever_the_punctuation_between() -> None:
    assert contains_phrase("Acme, Corp. again", "acme corp")
    assert not contains_phrase("acme big corp", "acme corp")
