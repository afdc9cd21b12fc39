"""Several instances on one PostgreSQL database: who runs which singleton job, using the database's own locks.

A singleton job (a poll of one (source, brand), the spike check, retention)
runs only where two things hold:

* a **session advisory lock** (``pg_try_advisory_lock``) on the job's name is
  held for the whole run: two runs never overlap, and the lock dies with the
  connection if the process does;
* a **lease** row (``leases``: holder, expires_at) names this instance, or has
  expired, or its holder is dead: one instance owns a job between runs (so a
  platform is not polled twice as often with two instances) and renews it on
  every run. Each instance holds a session advisory lock on its own name for
  its whole life; when another instance can take that lock, the holder's
  database session is gone and its jobs are taken over at once, otherwise
  when the lease runs out (``ttl``).

Classification and delivery need no owner: they claim rows with
``FOR ... SKIP LOCKED`` (see ``monitor.storage.posts`` and the outbox). On
SQLite only one instance may run (see ``instance_lock``), so every job is ours.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, select, text, update
from sqlalchemy.exc import DBAPIError

from monitor.storage.schema import leases
from monitor.storage.upsert import insert

log = logging.getLogger(__name__)

MIGRATION_LOCK = "brand-monitor:migrations"


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def lease_ttl(interval: timedelta) -> timedelta:
    """How long a job's lease outlives its last run: two missed runs and a margin, then it is taken over."""
    return interval * 2 + timedelta(seconds=30)


class Coordinator:
    """Decides whether this instance runs a singleton job now."""

    def __init__(self, engine: Engine, *, holder: str, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.holder = holder[:128]
        self.clock = clock
        self.shared = engine.dialect.name == "postgresql"  # SQLite: one instance, everything is ours
        self._alive: Connection | None = None
        self._alive_lock = threading.Lock()

    def keep_alive(self) -> None:
        """Hold (or re-take after a lost connection) the advisory lock that says this instance lives."""
        if not self.shared:
            return
        with self._alive_lock:  # jobs on several threads may find it missing at once
            self._keep_alive()

    def _keep_alive(self) -> None:
        if self._alive is not None:
            try:
                self._alive.execute(text("SELECT 1"))
                self._alive.commit()
                return
            except DBAPIError:
                self._alive.invalidate()
                self._alive.close()
                self._alive = None
        conn = self.engine.connect()
        try:
            # Never wait: the old session of a lost connection may still hold it until the server notices.
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(_life(self.holder))}).scalar()
            conn.commit()
        except DBAPIError:
            conn.close()
            raise
        if not got:
            conn.close()
            log.warning("instance lock %s still held by a lost session; retrying at the next heartbeat", self.holder)
            return
        self._alive = conn

    @contextmanager
    def exclusive(self, name: str, *, ttl: timedelta) -> Iterator[bool]:
        """Yield True if this instance should run job ``name`` now (and holds it until the block ends)."""
        if not self.shared:
            yield True
            return
        if self._alive is None:
            self.keep_alive()  # a lease is only ever held by an instance that shows it lives
            if self._alive is None:
                yield False
                return
        with self.engine.connect() as conn:
            key = lock_key(name)
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()  # the session lock outlives this transaction; no transaction stays open
            if not got:
                yield False
                return
            try:
                yield self._take_lease(name, ttl)
            finally:
                _unlock(conn, key)

    def _take_lease(self, name: str, ttl: timedelta) -> bool:
        now = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(
                select(leases.c.holder, leases.c.expires_at).where(leases.c.name == name).with_for_update()
            ).first()
            if row is None:
                inserted = conn.execute(
                    insert(conn, leases)
                    .values(name=name, holder=self.holder, acquired_at=now, expires_at=now + ttl)
                    .on_conflict_do_nothing(index_elements=["name"])
                    .returning(leases.c.name)
                ).first()
                return inserted is not None
            if row.holder != self.holder and row.expires_at > now and not _dead(conn, row.holder):
                return False
            values = {"holder": self.holder, "expires_at": now + ttl}
            if row.holder != self.holder:
                values["acquired_at"] = now
                why = f"its lease ran out at {row.expires_at}" if row.expires_at <= now else "it is gone"
                log.info("took over job %s from %s (%s)", name, row.holder, why)
            conn.execute(update(leases).where(leases.c.name == name).values(**values))
            return True

    def release_all(self) -> None:
        """Give up every lease this instance holds (at a clean stop), so others take over at once."""
        if not self.shared:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(leases).where(leases.c.holder == self.holder))
        except DBAPIError as exc:  # they expire on their own
            log.warning("could not release leases at shutdown: %s", exc)
        if self._alive is not None:
            _unlock(self._alive, lock_key(_life(self.holder)))
            self._alive.close()
            self._alive = None

    def held(self) -> list[str]:
        """Names of the unexpired leases this instance holds."""
        with self.engine.connect() as conn:
            query = select(leases.c.name).where(leases.c.holder == self.holder, leases.c.expires_at > self.clock())
            return sorted(conn.execute(query).scalars())


def _life(holder: str) -> str:
    return f"brand-monitor:instance:{holder}"


def _dead(conn: Connection, holder: str) -> bool:
    """True when ``holder``'s life lock is free: its process or its database session has ended."""
    key = lock_key(_life(holder))
    if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
        return False
    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    return True


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise schema migrations of instances starting together (PostgreSQL); a no-op on SQLite."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        key = lock_key(MIGRATION_LOCK)
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        conn.commit()
        try:
            yield
        finally:
            _unlock(conn, key)


def _unlock(conn: Connection, key: int) -> None:
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        conn.commit()
    except DBAPIError:
        # The connection died (and its locks with it); never hand it back to the pool.
        conn.invalidate()
