"""Multilingual tokenisation for spike explanations: words, hashtags and phrases in any script.

Post text is normalised so that the same word counts once however it is written:
Unicode NFKC, case-folded, Arabic-script letter variants unified (Arabic yeh and kaf
to their Persian forms, diacritics and tatweel removed) and the Persian zero-width
non-joiner kept inside a word (``می‌خواهم`` is one word). URLs and @mentions are not
words. Stopwords for English, Polish, Russian and Persian are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

ZWNJ = "\u200c"
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+")
_RETWEET = re.compile(r"^\s*rt\s+@\w+:?\s*", re.IGNORECASE)
_RETWEET_OF = re.compile(r"^\s*rt\s+@(\w+)", re.IGNORECASE)
_HASHTAG = re.compile(rf"(?<![\w#])#([\w{ZWNJ}]+)")
_WORD = re.compile(rf"[\w{ZWNJ}]+")
# Sentence and clause punctuation, Latin, Arabic-script and CJK.
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"«»“”…،؛؟।。，！？\n]+")
# Arabic-script harakat, superscript alef and tatweel: decorations, not letters.
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")
_ARABIC_TO_PERSIAN = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})

_STOPWORD_LISTS = (
    # English
    """a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
    during each few for from further get got had hadn't has hasn't have haven't having he her here hers
    herself him himself his how i if in into is isn't it it's its itself just let's like me more most my
    myself no nor not now of off on once only or other ought our ours ourselves out over own same she
    should so some such than that that's the their theirs them themselves then there these they this
    those through to too under until up very was wasn't we were weren't what when where which while who
    whom why will with won't would you your yours yourself yourselves also im ive dont cant doesnt didnt
    isnt wont u ur amp rt via s t just really still even one go going don doesn didn isn wasn aren
    haven hasn couldn shouldn wouldn won ll re ve"""
    # Polish
    """ a aby ale albo bo by być był była było były będzie będą co czy dla do gdy go i ich ile ja jak
    jako jej jego jest jestem jesteś jeszcze jeśli już ją ktoś która które który kiedy lub ma mam mi
    mnie może mój moja moje na nad nam nas nie nic nich niej no o od oraz po pod przez przy są się
    sobie ta tak tam te tego tej ten to tu tutaj ty tych tylko tym w we więc wszystko z za ze że żeby
    też bardzo jednak nawet tylko"""
    # Russian
    """ а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже для
    до его ее ей ему если есть еще ещё же за здесь и из или им их к как какой когда кто ли либо мне
    может мы на над надо наш не него нее нет ни них но ну о об однако он она они оно от очень по под
    при про с со так также такой там те тем то того тоже только том ты у уже хотя чего чей чем что
    чтобы эта эти это этот я меня мой моя себя свой сейчас тут потому после через"""
    # Persian
    """ و در به از که این را با است برای آن یک خود تا کرد بر هم نیز شد می ها های شده ای او ما من تو
    شما آنها بود باشد کنند کند هست نه اما یا اگر چه همه دیگر وی پس روی بی هر کرده دارد دارند کنم
    شود شوند بودند بوده باید نمی خواهد ولی چون اینکه آنکه ی هیچ همین چند"""
)
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_LISTS.split())


@dataclass(frozen=True)
class Tokens:
    """What one post says: its words (stopwords kept) by clause, hashtags and links."""

    clauses: tuple[tuple[str, ...], ...]  # a phrase never spans punctuation: "outage, site down"
    hashtags: tuple[str, ...]
    links: tuple[str, ...]

    @property
    def words(self) -> tuple[str, ...]:
        """All the words, in order."""
        return tuple(w for clause in self.clauses for w in clause)


def normalise(text: str) -> str:
    """Case-folded, NFKC text with Arabic-script variants unified; URLs and mentions kept."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _ARABIC_MARKS.sub("", text.translate(_ARABIC_TO_PERSIAN))


def tokens(text: str) -> Tokens:
    """Split a post into words, hashtags (without ``#``) and the links it shares."""
    text = normalise(text)
    links = tuple(_canonical_link(u) for u in _URL.findall(text))
    body = _MENTION.sub(" ", _URL.sub(" ", _RETWEET.sub("", text)))
    hashtags = tuple(h.strip(ZWNJ) for h in _HASHTAG.findall(body))
    body = _HASHTAG.sub(" ", body)
    clauses = (
        tuple(w for w in (m.strip(ZWNJ + "_") for m in _WORD.findall(part)) if w) for part in _CLAUSE_BREAK.split(body)
    )
    return Tokens(clauses=tuple(c for c in clauses if c), hashtags=hashtags, links=links)


def dedup_text(text: str) -> str:
    """The text two copies of one post share: no retweet prefix, mentions, links or punctuation."""
    body = _MENTION.sub(" ", _URL.sub(" ", _RETWEET.sub("", normalise(text))))
    return " ".join(m.strip(ZWNJ) for m in _WORD.findall(body))


def reshared_from(text: str) -> str | None:
    """The author a retweet-style post copies (``RT @name: ...``), if it says so."""
    match = _RETWEET_OF.match(text)
    return match.group(1) if match else None


def is_content(word: str, excluded: frozenset[str]) -> bool:
    """A word worth reporting: not a stopword, number, single letter or brand term."""
    return len(word) > 1 and not word.isdigit() and word not in STOPWORDS and word not in excluded


def brand_terms(names: Iterable[str]) -> frozenset[str]:
    """The words of the brand's names, as they appear after tokenisation (``Acme Corp`` -> acme, corp, acmecorp)."""
    out: set[str] = set()
    for name in names:
        words = tokens(name).words
        out.update(words)
        out.add("".join(words))
    return frozenset(w for w in out if w)


def _canonical_link(url: str) -> str:
    url = url.rstrip(".,;:!?)]}'\"")
    return re.sub(r"^https?://(www\.)?", "", url).rstrip("/")
