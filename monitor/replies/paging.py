"""Who is paged: on-call for high-priority posts and for incidents, never for a normal question."""

from __future__ import annotations

from datetime import datetime

from monitor.replies import sla
from monitor.replies.settings import ReplySettings


def on_call(settings: ReplySettings, channel: str, *, now: datetime, category: str | None) -> tuple[str, ...]:
    """The on-call people for ``channel`` now (its on-call window's mention, else ``on_call``), then the category's."""
    hours = settings.hours.get(channel)
    people: list[str] = []
    if sla.cover(now, hours) == "on_call" and hours and hours.on_call_mention:
        people.extend(hours.on_call_mention)
    else:
        people.extend(settings.on_call)
    for person in category_team(category, settings):
        if person not in people:
            people.append(person)
    return tuple(people)


def category_team(category: str | None, settings: ReplySettings) -> tuple[str, ...]:
    """The users and groups a category's alerts are addressed to."""
    for candidate in settings.categories:
        if candidate.name == category:
            return candidate.mention
    return ()


def pages_on_call(*, priority: str, incident_key: str | None) -> bool:
    """High priority and incidents page on-call; normal and low posts go to their category's team only."""
    return priority == "high" or incident_key is not None
