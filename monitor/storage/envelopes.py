"""Socket Mode envelopes already applied: Slack re-sends an envelope whose ack it did not get (a reconnect).

Each envelope's id is recorded in the same transaction as the actions it
carried, so applying it and remembering it commit together: a re-sent
envelope finds its id and changes nothing, across restarts and instances.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select

from monitor.storage.schema import slack_envelopes
from monitor.storage.upsert import insert

# Slack re-sends an unacknowledged envelope within minutes; a day covers any reconnect with room to spare.
KEEP = timedelta(days=1)


def first_time(conn: Connection, envelope_id: str, *, now: datetime) -> bool:
    """Record ``envelope_id``; False when it was recorded before (already applied: skip it)."""
    result = conn.execute(
        insert(conn, slack_envelopes)
        .values(envelope_id=envelope_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["envelope_id"])
        .returning(slack_envelopes.c.envelope_id)
    )
    return result.first() is not None


def prune(conn: Connection, *, before: datetime, limit: int = 1000) -> int:
    """Forget up to ``limit`` envelopes received before ``before``; returns how many."""
    ids = select(slack_envelopes.c.envelope_id).where(slack_envelopes.c.received_at < before).limit(limit)
    chosen = list(conn.execute(ids).scalars())
    if not chosen:
        return 0
    return conn.execute(delete(slack_envelopes).where(slack_envelopes.c.envelope_id.in_(chosen))).rowcount
