"""Which new posts due for reply go into an incident: one already open, or one they form with recent posts.

Runs inside the classify transaction, before any thread is opened, so posts that arrive together
never get a thread each first. A post joins an open incident of its brand, channel and category
when it shares the incident's words or terms (``similarity.joins``); else ``posts`` similar posts
within ``window`` (this batch and recent ungrouped ones) open a new incident. Posts queued earlier
that join keep the thread they already have, and say in it where the conversation moved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from monitor.replies import incidents, similarity, store
from monitor.replies.incidents import Incident
from monitor.replies.settings import IncidentSettings
from monitor.replies.similarity import Fingerprint


@dataclass(frozen=True, slots=True)
class Newcomer:
    """A post just queued, as grouping sees it."""

    item_id: int
    brand: str
    channel: str
    category: str | None
    level: str
    text: str


@dataclass
class Plan:
    """The outcome: incident per new item, incidents opened, earlier items that moved into one."""

    of_item: dict[int, str] = field(default_factory=dict)
    opened: list[Incident] = field(default_factory=list)
    earlier: list[tuple[store.Item, str]] = field(default_factory=list)  # (item queued before, incident key)
    forming: set[int] = field(default_factory=set)  # new items with similar recent ones, short of an incident


@dataclass
class _Candidate:
    incident: Incident
    members: int


def plan(
    conn: Connection,
    newcomers: Sequence[Newcomer],
    settings: IncidentSettings,
    *,
    brand_words: Mapping[str, frozenset[str]],
    now: datetime,
) -> Plan:
    """Decide the incident of each newcomer (and of recent posts they group with)."""
    out = Plan()
    if not settings.enabled or not newcomers:
        return out
    brands = sorted({n.brand for n in newcomers})
    prints = {
        n.item_id: similarity.fingerprint(n.text, exclude=brand_words.get(n.brand, frozenset())) for n in newcomers
    }
    open_now = incidents.active(conn, brands=brands, since=now - settings.idle)
    pending: list[Newcomer] = []
    for newcomer in newcomers:
        found = _joinable(open_now, newcomer, prints[newcomer.item_id], settings)
        if found is not None:
            out.of_item[newcomer.item_id] = found.incident_key
        else:
            pending.append(newcomer)
    if not pending:
        return out
    recent = store.recent_ungrouped(
        conn, brands=brands, since=now - settings.window, exclude=[n.item_id for n in newcomers]
    )
    recent_prints = {
        r.id: similarity.fingerprint(r.post_text or "", exclude=brand_words.get(r.brand, frozenset())) for r in recent
    }
    taken: set[int] = set()  # earlier items placed in an incident by this plan
    for newcomer in pending:
        if newcomer.item_id in out.of_item:
            continue
        mine = prints[newcomer.item_id]
        found = _joinable(out.opened, newcomer, mine, settings)
        if found is not None:
            out.of_item[newcomer.item_id] = found.incident_key
            continue
        batch_peers = [
            n
            for n in pending
            if n.item_id != newcomer.item_id
            and n.item_id not in out.of_item
            and _same_place(n.brand, n.channel, n.category, newcomer)
            and similarity.similar(mine, prints[n.item_id], settings)
        ]
        earlier_peers = [
            r
            for r in recent
            if r.id not in taken
            and _same_place(r.brand, r.channel, r.category, newcomer)
            and similarity.similar(mine, recent_prints[r.id], settings)
        ]
        if 1 + len(batch_peers) + len(earlier_peers) < settings.posts:
            if batch_peers or earlier_peers:
                out.forming.add(newcomer.item_id)
            continue
        group = [mine, *(prints[n.item_id] for n in batch_peers), *(recent_prints[r.id] for r in earlier_peers)]
        first_id = min([newcomer.item_id, *(r.id for r in earlier_peers)])
        incident = Incident(
            incident_key=f"incident:{newcomer.brand}:{first_id}"[:191],
            kind=incidents.SIMILAR,
            channel=newcomer.channel,
            title=_title(newcomer.text),
            window_start=now - settings.window,
            brand=newcomer.brand,
            category=newcomer.category,
            terms=similarity.signature(group),
            created_at=now,
            last_post_at=now,
        )
        out.opened.append(incident)
        for member in (newcomer, *batch_peers):
            out.of_item[member.item_id] = incident.incident_key
        for earlier in earlier_peers:
            taken.add(earlier.id)
            out.earlier.append((earlier, incident.incident_key))
    out.forming -= set(out.of_item)  # a later newcomer may have opened an incident they joined
    return out


def _joinable(
    candidates: Sequence[Incident], newcomer: Newcomer, mine: Fingerprint, settings: IncidentSettings
) -> Incident | None:
    for incident in candidates:
        if incident.brand != newcomer.brand:
            continue
        # A spike's incident takes every category and channel: the crisis is the brand's, whatever routing says.
        if incident.kind != incidents.SPIKE and (incident.channel, incident.category) != (
            newcomer.channel,
            newcomer.category,
        ):
            continue
        if similarity.joins(incident.terms, mine, settings):
            return incident
    return None


def _same_place(brand: str, channel: str, category: str | None, newcomer: Newcomer) -> bool:
    return (brand, channel, category) == (newcomer.brand, newcomer.channel, newcomer.category)


def _title(text: str) -> str:
    """The first post's first line, shortened: what people will call the incident."""
    line = " ".join(text.split())
    return line[:117] + "…" if len(line) > 120 else line
