"""The dead-letter store: items a source returned that could not be read or stored, kept with their reason.

An item enters once per (source, brand, payload): its fingerprint is the sha256
of its raw payload, so a platform's overlap window or a re-read after a crash
quarantines nothing twice. ``brand-monitor quarantine retry`` reads it again
after a fix, and either releases it (stored) or records why it still fails.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, func, select, update

from connectors.base import Rejected
from monitor.storage.error_text import error_text
from monitor.storage.normalise import fit
from monitor.storage.schema import quarantine
from monitor.storage.upsert import insert
from values.plaintext import clean_line

READ = "read"  # the connector could not read it: ``raw`` is the platform's payload, for the source's own parser
STORE = "store"  # read, but it could not be stored: ``raw`` is the post in the replay format (connectors.replay)
NO_REASON = "no reason given"


@dataclass(frozen=True, slots=True)
class Item:
    """Something to quarantine: the raw payload as received and why it was refused."""

    raw: str
    reason: str
    stage: str
    platform: str | None = None
    item_id: str | None = None

    @classmethod
    def rejected(cls, rejected: Rejected, *, platform: str | None = None) -> Item:
        """An item a connector could not read."""
        return cls(raw=rejected.raw, reason=rejected.reason, stage=READ, platform=platform, item_id=rejected.item_id)


@dataclass(frozen=True, slots=True)
class Quarantined:
    """One quarantine row."""

    id: int
    source: str
    brand: str
    platform: str | None
    item_id: str | None
    stage: str
    raw: str
    reason: str
    created_at: datetime
    attempts: int
    retried_at: datetime | None


def add(conn: Connection, *, source: str, brand: str, items: Iterable[Item], now: datetime) -> int:
    """Quarantine ``items`` in the caller's transaction (once per payload); returns how many are new."""
    rows = []
    for item in items:
        raw = storable_raw(item.raw)
        rows.append({
            "source": source,
            "brand": brand,
            "platform": _fitted(item.platform, quarantine.c.platform),
            "item_id": _fitted(item.item_id, quarantine.c.item_id),
            "stage": item.stage,
            "fingerprint": hashlib.sha256(raw.encode("ascii")).hexdigest(),
            "raw": raw,
            "reason": error_text(item.reason) or NO_REASON,
            "created_at": now,
            "attempts": 0,
        })
    if not rows:
        return 0
    statement = (
        insert(conn, quarantine)
        .on_conflict_do_nothing(index_elements=["source", "brand", "fingerprint"])
        .returning(quarantine.c.id)
    )
    return len(conn.execute(statement, rows).fetchall())


def storable_raw(raw: str) -> str:
    """``raw`` as text any database stores: JSON from :meth:`Rejected.of` is ASCII already; anything else
    (a connector's own string with NUL or lone surrogates) is kept whole as a JSON string literal."""
    if raw.isascii() and raw.isprintable():
        return raw
    return json.dumps(raw, ensure_ascii=True)


def pending(conn: Connection, *, source: str | None = None) -> list[Quarantined]:
    """Items not yet released, oldest first; only ``source``'s when given."""
    query = select(
        quarantine.c.id,
        quarantine.c.source,
        quarantine.c.brand,
        quarantine.c.platform,
        quarantine.c.item_id,
        quarantine.c.stage,
        quarantine.c.raw,
        quarantine.c.reason,
        quarantine.c.created_at,
        quarantine.c.attempts,
        quarantine.c.retried_at,
    ).where(quarantine.c.released_at.is_(None))
    if source is not None:
        query = query.where(quarantine.c.source == source)
    return [Quarantined(*row) for row in conn.execute(query.order_by(quarantine.c.id))]


def release(conn: Connection, item_id: int, *, now: datetime) -> None:
    """Mark an item stored by a retry: no longer quarantined."""
    conn.execute(
        update(quarantine)
        .where(quarantine.c.id == item_id)
        .values(released_at=now, retried_at=now, attempts=quarantine.c.attempts + 1)
    )


def still_failing(conn: Connection, item_id: int, *, reason: str, now: datetime) -> None:
    """Record a retry that failed again, with its new reason."""
    conn.execute(
        update(quarantine)
        .where(quarantine.c.id == item_id)
        .values(reason=error_text(reason) or NO_REASON, retried_at=now, attempts=quarantine.c.attempts + 1)
    )


def counts(conn: Connection) -> dict[tuple[str, str], int]:
    """Items still quarantined per (source, brand)."""
    query = (
        select(quarantine.c.source, quarantine.c.brand, func.count())
        .where(quarantine.c.released_at.is_(None))
        .group_by(quarantine.c.source, quarantine.c.brand)
    )
    return {(source, brand): count for source, brand, count in conn.execute(query)}


def _fitted(value: str | None, column: Column[Any]) -> str | None:
    if value is None:
        return None
    return fit(clean_line(value), column) or None
