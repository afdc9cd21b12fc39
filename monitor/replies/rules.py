"""Which posts need an answer from the brand, and why (the reason is shown in the alert)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.replies.settings import NeedsReply

_LINK = re.compile(r"https?://\S+", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<!\w)#\w+")
_RETWEET = re.compile(r"^\s*RT @\w+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the rules look at for one newly classified post about one brand."""

    text: str
    from_brand: bool
    negative: bool  # the classifier's verdict (label negative and confident)
    negative_score: float
    handles: tuple[str, ...]  # the brand's own accounts on the post's platform
    in_brand_thread: bool  # it answers, or sits in a conversation started by, one of the brand's posts
    complaint: str | None = None  # the complaint phrase or escalation keyword found in it (the safety net)
    model_label: str = "neutral"  # what the model said, shown when the safety net overrules it
    model_score: float = 0.0


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether the post needs a reply; ``reason`` says why (or why not) in words."""

    needed: bool
    reason: str


def decide(candidate: Candidate, rules: NeedsReply) -> Decision:
    """Apply the ``[replies.needs_reply]`` rules to one post."""
    text = candidate.text
    if candidate.from_brand:
        return Decision(False, "written by the brand's own account")
    if _RETWEET.match(text):
        return Decision(False, "a retweet")
    spam = _spam(text, rules)
    if spam:
        return Decision(False, f"looks like spam ({spam})")
    folded = text.casefold()
    addressed = _addressed(candidate, folded)
    why: list[str] = []
    if rules.negative and candidate.negative and (addressed or not rules.addressed_only):
        why.append(f"negative ({candidate.negative_score:.0%})")
    if rules.complaints and candidate.complaint and not candidate.negative and (addressed or not rules.addressed_only):
        # The safety net: a phrase caught a clear complaint the model missed; the reason says what the model said.
        why.append(f"keyword “{candidate.complaint}”, model said {candidate.model_label} {candidate.model_score:.0%}")
    if rules.questions and addressed and _question(folded, rules):
        why.append("a question")
    if not why:
        return Decision(False, "not negative, no complaint phrase, nor a question addressed to the brand")
    if addressed:
        why.append(addressed)
    else:
        why.append("names the brand")
    return Decision(True, "; ".join(why))


def complaint_word(text: str, rules: NeedsReply) -> str | None:
    """The first complaint marker in ``text`` (any language), if any."""
    return _first(text.casefold(), rules.complaint_words)


def _addressed(candidate: Candidate, folded: str) -> str:
    """How the post is addressed to the brand, or '' if it only names it."""
    for handle in candidate.handles:
        name = handle.lstrip("@").casefold()
        if name and re.search(rf"(?<![\w@])@{re.escape(name)}\b", folded):
            return f"mentions @{handle.lstrip('@')}"
        if name and re.search(rf"(?<![\w/])u/{re.escape(name)}\b", folded):
            return f"mentions u/{handle.lstrip('@')}"
    if candidate.in_brand_thread:
        return "replies in the brand's thread"
    return ""


def _question(folded: str, rules: NeedsReply) -> bool:
    if "?" in folded or "؟" in folded:
        return True
    return _first(folded, rules.question_words) is not None


def _spam(text: str, rules: NeedsReply) -> str:
    links = len(_LINK.findall(text))
    if links > rules.max_links:
        return f"{links} links"
    tags = len(_HASHTAG.findall(text))
    if tags > rules.max_hashtags:
        return f"{tags} hashtags"
    word = _first(text.casefold(), rules.spam_words)
    return f"“{word}”" if word else ""


def _first(folded: str, words: tuple[str, ...]) -> str | None:
    for word in words:
        if word.casefold() in folded:
            return word
    return None
