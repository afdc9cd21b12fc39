"""How urgent a post is: negativity, the author's reach, how fast it is spreading, escalation words."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from monitor.replies.settings import PrioritySettings
from values.phrases import PhraseMatcher

RANK = {"high": 0, "normal": 1, "low": 2}  # queue order
_REACH_KEYS = ("followers", "link_karma", "comment_karma")
_ENGAGEMENT_KEYS = ("likes", "retweets", "reposts", "replies", "quotes", "score", "comments")
# Velocity is measured over at least this long, so a post seconds old with one like is not "viral".
_MIN_AGE = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Priority:
    """A level (high | normal | low), the score behind it, and what made it so."""

    level: str
    score: float
    reasons: tuple[str, ...]
    keyword: str | None


def reach(metrics: Mapping[str, object]) -> int | None:
    """Followers on X-like platforms, link + comment karma on Reddit; None when unknown."""
    followers = metrics.get("followers")
    if isinstance(followers, int):
        return followers
    karma = [v for k in _REACH_KEYS[1:] if isinstance(v := metrics.get(k), int)]
    return sum(karma) if karma else None


def engagement(metrics: Mapping[str, object]) -> int:
    """Likes, reposts, replies, score and comments added up."""
    return sum(max(0, v) for k in _ENGAGEMENT_KEYS if isinstance(v := metrics.get(k), int))


def escalation_keyword(text: str, keywords: Mapping[str, tuple[str, ...]]) -> str | None:
    """The first escalation keyword (any language) found in ``text``, as whole words on folded text."""
    hit = _matcher(tuple((lang, tuple(words)) for lang, words in keywords.items())).find(text)
    return hit.found if hit else None


@lru_cache(maxsize=8)
def _matcher(keywords: tuple[tuple[str, tuple[str, ...]], ...]) -> PhraseMatcher:
    return PhraseMatcher(dict(keywords))


def score(
    *,
    negative: float,
    metrics: Mapping[str, object],
    posted_at: datetime,
    now: datetime,
    text: str,
    keywords: Mapping[str, tuple[str, ...]],
    settings: PrioritySettings,
) -> Priority:
    """Score a post in [0, 1] and give it a level."""
    reasons = []
    who = reach(metrics)
    reach_part = 0.0
    if who is not None and who > 0:
        reach_part = min(1.0, math.log10(1 + who) / math.log10(1 + settings.reach_full))
        if reach_part >= 0.6:
            reasons.append(f"reach {who:,}")
    age = max(now - posted_at, _MIN_AGE)
    per_hour = engagement(metrics) / (age.total_seconds() / 3600)
    velocity_part = min(1.0, per_hour / settings.velocity_full)
    if velocity_part >= 0.25:
        reasons.append(f"{per_hour:,.0f} engagements/hour")
    total = settings.weight_negative + settings.weight_reach + settings.weight_velocity
    value = (
        settings.weight_negative * max(0.0, min(1.0, negative))
        + settings.weight_reach * reach_part
        + settings.weight_velocity * velocity_part
    ) / (total or 1.0)
    word = escalation_keyword(text, keywords)
    if word is not None:
        reasons.insert(0, f"escalation keyword “{word}”")
    if (word is not None and settings.keyword_is_high) or value >= settings.high_at:
        level = "high"
    elif value < settings.low_below:
        level = "low"
    else:
        level = "normal"
    return Priority(level, round(value, 4), tuple(reasons), word)
