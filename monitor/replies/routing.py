"""Routing: a post's keyword category decides the team (channel, user group) and the playbook answer."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.replies.settings import Category, ReplySettings


@dataclass(frozen=True, slots=True)
class Route:
    """Where a post's thread lives and who is told."""

    category: str | None
    channel: str
    mention: tuple[str, ...]
    playbook: str


def categorize(text: str, categories: tuple[Category, ...]) -> Category | None:
    """The category whose keywords the text hits most (ties: the first in config order)."""
    folded = text.casefold()
    best, hits = None, 0
    for category in categories:
        count = sum(1 for word in category.keywords if word.casefold() in folded)
        if count > hits:
            best, hits = category, count
    return best


def route(text: str, *, priority: str, settings: ReplySettings, default_channel: str) -> Route:
    """Pick the category, channel, people to mention and the suggested first response."""
    category = categorize(text, settings.categories)
    channel = (category.channel if category else None) or settings.channel or default_channel
    if priority == "high" and settings.high_priority_channel:
        channel = settings.high_priority_channel
    playbook = (category.playbook if category and category.playbook else "") or settings.default_playbook
    return Route(
        category=category.name if category else None,
        channel=channel,
        mention=category.mention if category else (),
        playbook=playbook,
    )
