"""Each operator of the query language, evaluated on English, Polish, Russian and Persian posts."""

from __future__ import annotations

import pytest

from values.query_match import Subject, matches
from values.query_syntax import parse_query


def hit(query: str, text: str, *, lang: str | None = None, platform: str = "x") -> bool:
    return matches(parse_query(query), Subject(text, platform, lang))


@pytest.mark.parametrize(
    ("query", "yes", "no"),
    [
        # a word: whole words, folded
        ("acme", "ACME lost my parcel", "acmeville is nice"),
        ("allegro", "Zamówienie z Allegro nie dotarło", "allegrowe sprawy"),
        ("сбербанк", "Сбербанк опять не работает", "сбербанковский"),
        ("ایرانسل", "اینترنت ايرانسل قطع شد", "ایرانسلی نیستم"),
        # a quoted phrase: consecutive words
        ('"acme corp"', "Acme Corp. fired them", "acme is a corp"),
        ('"obsługa klienta"', "Obsluga klienta fatalna", "klienta obsługa"),
        ('"служба поддержки"', "Служба поддержки молчит", "поддержки служба"),
        ('"پشتیبانی ایرانسل"', "پشتیبانی ايرانسل جواب نمی‌دهد", "ایرانسل پشتیبانی ندارد"),
        # AND (written or side by side)
        ("acme AND parcel", "acme lost my parcel", "acme is fine"),
        ("allegro paczka", "Allegro: paczka zaginęła", "Allegro działa"),
        # OR
        ("acme OR wile", "wile e coyote", "road runner"),
        ("сбербанк OR сбер", "Сбер снова упал", "тинькофф работает"),
        # NOT
        ("acme NOT corp", "acme lost my parcel", "acme corp lost my parcel"),
        ("ایرانسل NOT همراه", "ایرانسل خوب است", "ایرانسل و همراه اول"),
        # parentheses
        ("(acme OR #acme) NOT (corp OR wile)", "#acme rocks", "acme and wile"),
        # hashtags and mentions
        ("#acme", "love #Acme", "love acme"),
        ("@AcmeSupport", "@acmesupport help!", "acmesupport help"),
        # NEAR/n, either order
        ("allegro NEAR/2 zwrot", "Allegro odmówiło mi zwrot", "Allegro to sklep, gdzie trudno o zwrot"),
        ("сбербанк NEAR/1 приложение", "приложение Сбербанк", "Сбербанк выпустил новое мобильное приложение"),
        ("ایرانسل NEAR/1 اینترنت", "اینترنت ایرانسل", "ایرانسل امروز باز هم اینترنت ندارد"),
    ],
)
def test_each_operator_in_every_script(query: str, yes: str, no: str) -> None:
    assert hit(query, yes), f"{query!r} should match {yes!r}"
    assert not hit(query, no), f"{query!r} should not match {no!r}"


def test_lang_filters_on_the_posts_language_and_an_unknown_one_does_not_match() -> None:
    assert hit("acme lang:(en OR pl)", "acme", lang="pl")
    assert hit("acme lang:en", "acme", lang="en-GB")
    assert not hit("acme lang:en", "acme", lang="ru")
    assert not hit("acme lang:en", "acme", lang=None)
    assert hit("acme NOT lang:fa", "acme", lang="ru") and not hit("acme NOT lang:fa", "acme", lang="fa")


def test_a_pre_check_before_detection_lets_an_unknown_language_through_on_either_side_of_not() -> None:
    tree = parse_query("acme lang:en NOT (corp lang:ru)")
    assert matches(tree, Subject("acme corp", "x", None, lang_unknown_matches=True))


def test_platform_filters_on_the_source() -> None:
    assert hit("acme platform:(x OR reddit)", "acme", platform="reddit")
    assert not hit("acme platform:x", "acme", platform="hn")
    assert hit("acme OR (wile platform:hn)", "wile", platform="hn")


def test_the_issues_example_query() -> None:
    query = '("acme" OR #acme OR @AcmeSupport) AND NOT ("acme corp" OR wile) lang:(en OR pl)'
    assert hit(query, "Acme zgubiło paczkę", lang="pl")
    assert hit(query, "@AcmeSupport where is my order", lang="en")
    assert not hit(query, "Acme Corp quarterly results", lang="en")
    assert not hit(query, "acme and wile", lang="en")
    assert not hit(query, "acme", lang="ru")


# Every operator in every language: the brand as the query writes it (b) and as a post spells it (B, folded alike).
WORDS = {
    "en": {"b": "acme", "B": "ACME", "o": "parcel", "t": "refund", "T": "Refund"},
    "pl": {"b": "zabka", "B": "Żabka", "o": "paczka", "t": "zwrot", "T": "ZWROT"},
    "ru": {"b": "сбербанк", "B": "СБЕРБАНК", "o": "приложение", "t": "ёлка", "T": "Елка"},
    "fa": {"b": "ایرانسل", "B": "ايرانسل", "o": "اینترنت", "t": "پشتیبانی", "T": "پشتيبانی"},  # Arabic yeh in B, T
}
OPERATORS = [
    ("word", "{b}", "x {B} x", "{o} {T}"),
    ("phrase", '"{b} {o}"', "{B} {o}", "{o} {B}"),
    ("AND", "{b} AND {o}", "{o} x {B}", "{B} {T}"),
    ("OR", "{o} OR {t}", "{T}", "{B}"),
    ("NOT", "{b} NOT {o}", "{B} {T}", "{B} {o}"),
    ("parentheses", "({o} OR {t}) {b}", "{B} {T}", "{o} {T}"),
    ("hashtag", "#{b}", "#{B}", "{B}"),
    ("mention", "@{b}", "@{B}", "#{B}"),
    ("NEAR", "{b} NEAR/1 {o}", "{o} {T} {B}", "{o} {T} {T} {B}"),
]


@pytest.mark.parametrize("lang", WORDS)
@pytest.mark.parametrize(("name", "query", "yes", "no"), OPERATORS, ids=[o[0] for o in OPERATORS])
def test_every_operator_in_en_pl_ru_fa(lang: str, name: str, query: str, yes: str, no: str) -> None:
    w = WORDS[lang]
    assert hit(query.format(**w), yes.format(**w), lang=lang), f"{name}: {query.format(**w)!r} vs {yes.format(**w)!r}"
    assert not hit(query.format(**w), no.format(**w), lang=lang), f"{name}: {query.format(**w)!r} vs {no.format(**w)!r}"


@pytest.mark.parametrize("lang", WORDS)
def test_lang_in_en_pl_ru_fa(lang: str) -> None:
    w = WORDS[lang]
    other = "en" if lang != "en" else "pl"
    assert hit(f"{w['b']} lang:{lang}", w["B"], lang=lang) and not hit(f"{w['b']} lang:{lang}", w["B"], lang=other)
