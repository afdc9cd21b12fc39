"""Drains the outbox into a sink: claim, send, mark; reconcile what a dead process left mid-send."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from monitor.alerts import outbox
from monitor.alerts.outbox import Claimed
from monitor.alerts.sink import Delivered, DeliveryError, Sink
from monitor.alerts.slack import AUTH_ERRORS

log = logging.getLogger(__name__)

PARENT_WAIT = timedelta(seconds=5)
# While the target refuses our credentials, delivery stops and asks again (auth.test) once per this interval.
AUTH_HOLD = timedelta(minutes=5)
AUTH_HELD = "held: the target refuses the token"  # last_error prefix of rows put back for that reason
# Rows an earlier version held for hours-long per-row waits after a refused token carry these codes.
AUTH_CODES = tuple(sorted(AUTH_ERRORS))


def worker_id() -> str:
    """This process's identity in ``outbox.claimed_by``: host, pid and a per-start token."""
    return f"{socket.gethostname()[:30]}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


@dataclass
class DeliveryReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    reconciled: int = 0
    waiting: int = 0  # still undelivered after this pass
    refused: str | None = None  # the target refuses our credentials: nothing was sent (why)


class Delivery:
    """Sends due outbox rows through ``sink``, at most one message per ``min_interval`` per channel.

    The sink's credentials are checked once at start (``check_auth``, Slack's ``auth.test``). When they
    are refused, here or by any call, the whole pass stops: the rows go back to the queue untouched and
    delivery asks again once per ``auth_hold``, releasing everything as soon as the credentials work.

    The pace is the target's (Slack allows about one message per second per
    channel); a sink that declares itself unpaced (the console) is not slowed.
    Waiting goes through the injected ``clock`` and ``sleep``, so a manual clock
    lets a paced burst pass without real time.
    """

    def __init__(
        self,
        engine: Engine,
        sink: Sink,
        *,
        clock: Callable[[], datetime],
        worker: str | None = None,
        min_interval: timedelta = timedelta(seconds=1),
        lease: timedelta = timedelta(minutes=2),
        sleep: Callable[[float], None] = time.sleep,
        auth_hold: timedelta = AUTH_HOLD,
    ) -> None:
        self.engine = engine
        self.sink = sink
        self.clock = clock
        self.worker = worker or worker_id()
        self.min_interval = min_interval if getattr(sink, "paced", True) else timedelta(0)
        self.lease = lease
        self.sleep = sleep
        self._last_sent: dict[str, datetime] = {}
        self.auth_hold = auth_hold
        self.auth_error: str | None = None  # why the sink refuses our credentials, while it does
        self._auth_checked = False
        self._auth_retry_at: datetime | None = None

    def run_once(self, *, limit: int = 50, should_stop: Callable[[], bool] = lambda: False) -> DeliveryReport:
        """Reconcile abandoned sends, then deliver up to ``limit`` due messages (nothing while refused)."""
        report = DeliveryReport()
        if self._authorised():
            report.reconciled = self.reconcile()
            with self.engine.begin() as conn:
                claimed = outbox.claim_due(conn, now=self.clock(), worker=self.worker, limit=limit)
            for index, row in enumerate(claimed):
                if should_stop():
                    self._release(claimed[index:], error="released at shutdown")
                    break
                if not self._deliver(row, report):
                    self._release(claimed[index:], error=f"{AUTH_HELD}: {self.auth_error}")
                    break
        report.refused = self.auth_error
        with self.engine.connect() as conn:
            report.waiting = outbox.undelivered(conn)
        return report

    def _authorised(self) -> bool:
        """Whether to deliver now: the credentials were accepted, or it is time to ask again and they are."""
        if self._auth_checked and self.auth_error is None:
            return True
        now = self.clock()
        if self._auth_retry_at is not None and now < self._auth_retry_at:
            return False
        try:
            self.sink.check_auth()
        except DeliveryError as exc:
            if exc.auth:
                self._refused(exc)
                return False
            # Unreachable or failing: the sends themselves will say whether the credentials are the problem.
            log.warning("delivery: could not check the credentials (%s); delivering anyway", exc)
        self._auth_checked, self._auth_retry_at = True, None
        if self.auth_error is not None:
            log.info("delivery: credentials accepted again; held alerts go out now")
        self.auth_error = None
        with self.engine.begin() as conn:
            released = outbox.release_held(conn, now=now, marks=(AUTH_HELD, *AUTH_CODES))
        if released:
            log.info("delivery: %d alert(s) held for refused credentials released", released)
        return True

    def _refused(self, exc: DeliveryError) -> None:
        first = self.auth_error is None
        self.auth_error = str(exc)
        self._auth_checked = True
        self._auth_retry_at = self.clock() + self.auth_hold
        log.log(
            logging.ERROR if first else logging.WARNING,
            "delivery: %s: the token is refused; alerts are kept and delivery stops until it works"
            " (next check in %.0fs). Fix the token, e.g. [slack] token_env's variable, and restart.",
            exc,
            self.auth_hold.total_seconds(),
        )

    def reconcile(self) -> int:
        """Settle rows left in ``sending``: by a dead process on this host now, by others after the lease."""
        now = self.clock()
        with self.engine.begin() as conn:
            stale = outbox.stale_sending(conn, claimed_before=now + timedelta(seconds=1))
        settled = 0
        for row in stale:
            if not (_dead_here(row.claimed_by, self.worker) or row.claimed_at < now - self.lease):
                continue
            thread = self._location(row.message.thread_key)
            try:
                found = self.sink.find(row.message, thread=thread, since=row.claimed_at)
            except DeliveryError as exc:
                log.warning("outbox %s: cannot check whether it was sent yet: %s", row.message.dedup_key, exc)
                continue
            # Compare-and-set on the claim: another instance may have settled (and re-sent) it meanwhile.
            with self.engine.begin() as conn:
                if found:
                    changed = outbox.mark_sent(
                        conn, row.id, channel=found.channel, ts=found.ts, now=self.clock(), claim=row
                    )
                    if changed:
                        log.info("outbox %s: was delivered before a crash; marked sent", row.message.dedup_key)
                else:
                    changed = outbox.mark_retry(
                        conn,
                        row.id,
                        error="interrupted mid-send; not found at the target",
                        at=self.clock(),
                        count_attempt=False,
                        claim=row,
                    )
            settled += int(changed)
        return settled

    def _deliver(self, row: Claimed, report: DeliveryReport) -> bool:
        """Send one claimed row; False when the target refused our credentials (the row is left claimed)."""
        message = row.message
        thread = self._location(message.thread_key)
        target = self._location(message.update_key)
        if (message.thread_key and thread is None) or (message.update_key and target is None):
            with self.engine.begin() as conn:  # its parent is not out yet: wait for it, keep order
                outbox.mark_retry(
                    conn,
                    row.id,
                    error="waiting for the parent message",
                    at=self.clock() + PARENT_WAIT,
                    count_attempt=False,
                )
            report.retried += 1
            return True
        self._pace(message.channel)
        try:
            if target is not None:
                delivered = self.sink.update(message, target=target)
            else:
                delivered = self.sink.post(message, thread=thread)
        except DeliveryError as exc:
            if exc.auth:
                self._refused(exc)
                return False
            self._failed(row, exc, report)
            return True
        finally:
            self._last_sent[message.channel] = self.clock()
        with self.engine.begin() as conn:
            outbox.mark_sent(conn, row.id, channel=delivered.channel, ts=delivered.ts, now=self.clock())
        report.sent += 1
        return True

    def _failed(self, row: Claimed, exc: DeliveryError, report: DeliveryReport) -> None:
        key = row.message.dedup_key
        if exc.ambiguous:
            log.warning("outbox %s: %s; will check the channel before retrying", key, exc)
            report.retried += 1
            return  # stays 'sending' until reconciled
        with self.engine.begin() as conn:
            if exc.permanent:
                outbox.mark_dead(conn, row.id, error=str(exc))
                log.error("outbox %s: rejected for good: %s", key, exc)
                report.dead += 1
                return
            delay = (
                timedelta(seconds=exc.retry_after) if exc.retry_after is not None else outbox.retry_delay(row.attempts)
            )
            outbox.mark_retry(conn, row.id, error=str(exc), at=self.clock() + delay)
        log.warning("outbox %s: %s; retry in %.0fs (attempt %d)", key, exc, delay.total_seconds(), row.attempts)
        report.retried += 1

    def _location(self, key: str | None) -> Delivered | None:
        if key is None:
            return None
        with self.engine.connect() as conn:
            found = outbox.location(conn, key)
        return Delivered(*found) if found else None

    def _pace(self, channel: str) -> None:
        last = self._last_sent.get(channel)
        if last is not None and self.min_interval:
            # Bounded by the pace itself: a wall clock set back must not stall delivery.
            wait = min(self.min_interval - (self.clock() - last), self.min_interval)
            if wait > timedelta(0):
                self.sleep(wait.total_seconds())

    def _release(self, rows: list[Claimed], *, error: str) -> None:
        """Put claimed rows back, due now and with the attempt not counted (they were never sent)."""
        with self.engine.begin() as conn:
            for row in rows:
                outbox.mark_retry(conn, row.id, error=error, at=self.clock(), count_attempt=False)


def _dead_here(claimed_by: str, me: str) -> bool:
    """True when ``claimed_by`` is an earlier process on this host that is no longer running."""
    try:
        host, pid_text, token = claimed_by.split("/")
        my_host, my_pid, my_token = me.split("/")
    except ValueError:
        return True
    if host != my_host:
        return False
    if pid_text == my_pid:
        return token != my_token  # same pid, new start (e.g. pid 1 in a container)
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False
