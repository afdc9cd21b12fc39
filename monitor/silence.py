"""Silent sources: a (source, brand) that stopped bringing posts for far longer than it usually goes quiet.

An API that changes shape, a search that quietly matches nothing, a token
whose plan lost search access: these fail silently, returning empty pages
with a 200. Each (source, brand) has its own rhythm, learned from when its
stored posts arrived (``posts.fetched_at``, arrivals within a minute counted
as one poll): a source is silent when the time since its last new post exceeds
``SILENCE_FACTOR`` times its usual (90th-percentile) gap, and never less than
``SILENCE_FLOOR``. Each silence is reported once (the outbox key names the
last post's time); when posts come back the report clears and ops hears so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy import Connection, select

from monitor.alerts import messages, outbox
from monitor.storage.schema import mentions, posts
from monitor.storage.schema import outbox as outbox_table
from values.durations import format_duration

log = logging.getLogger(__name__)

SILENCE_FLOOR = timedelta(hours=2)  # shorter silences are normal for almost any brand
SILENCE_FACTOR = 4.0
MIN_GAPS = 5  # below this much history a source's rhythm is unknown: it is not judged
HISTORY = 200  # arrivals considered
HISTORY_WINDOW = timedelta(days=30)
BURST = timedelta(minutes=1)  # arrivals closer than this are pages of one poll


@dataclass(frozen=True, slots=True)
class Rhythm:
    """How often new posts usually arrive for one (source, brand)."""

    usual_gap: timedelta  # 90th percentile of the gaps between arrivals
    gaps: int  # how many gaps it was learned from

    @property
    def silent_after(self) -> timedelta:
        """How long without new posts counts as silence."""
        return max(SILENCE_FLOOR, self.usual_gap * SILENCE_FACTOR)


def rhythm(conn: Connection, *, source: str, brand: str, now: datetime) -> Rhythm | None:
    """The learned rhythm, or None while there is too little history to judge."""
    query = (
        select(posts.c.fetched_at)
        .select_from(mentions.join(posts, posts.c.id == mentions.c.post_pk))
        .where(mentions.c.brand == brand, posts.c.source == source, mentions.c.created_at >= now - HISTORY_WINDOW)
        .order_by(mentions.c.created_at.desc())
        .limit(HISTORY * 20)
    )
    arrivals = sorted({at for (at,) in conn.execute(query)}, reverse=True)
    polls: list[datetime] = []
    for at in arrivals:  # newest first; fold a poll's pages into one arrival
        if not polls or polls[-1] - at >= BURST:
            polls.append(at)
        if len(polls) > HISTORY:
            break
    gaps = sorted(newer - older for newer, older in pairwise(polls))
    if len(gaps) < MIN_GAPS:
        return None
    return Rhythm(usual_gap=gaps[min(len(gaps) - 1, int(len(gaps) * 0.9))], gaps=len(gaps))


def check(
    conn: Connection, *, source: str, brand: str, now: datetime, last_post_at: datetime | None, channel: str
) -> bool:
    """After an empty poll: report the silence once if it is far longer than usual; True if reported now."""
    if last_post_at is None or now - last_post_at < SILENCE_FLOOR:
        return False  # cheap exit: the history query runs only for sources quiet past the floor
    learned = rhythm(conn, source=source, brand=brand, now=now)
    if learned is None or now - last_post_at < learned.silent_after:
        return False
    quiet = format_duration(now - last_post_at)
    problem = (
        f"no new posts for {quiet}; it usually brings some every {format_duration(learned.usual_gap)}."
        " The platform may have changed its API or limited this app's access, or the brand's terms no"
        " longer match: check the logs and the source's settings."
    )
    message = messages.source_problem(source, brand, problem, channel=channel, key=_key(source, brand, last_post_at))
    if not outbox.enqueue(conn, message, now=now):
        return False
    log.warning("source %s (%s) is silent: %s", source, brand, problem)
    return True


def posts_returned(
    conn: Connection, *, source: str, brand: str, now: datetime, previous_post_at: datetime | None, channel: str
) -> bool:
    """New posts arrived: if the silence before them was reported, clear it and tell ops; True if so."""
    if previous_post_at is None or now - previous_post_at < SILENCE_FLOOR:
        return False
    reported = conn.execute(
        select(outbox_table.c.id).where(outbox_table.c.dedup_key == _key(source, brand, previous_post_at))
    ).first()
    if reported is None:
        return False
    problem = f"posts are arriving again after {format_duration(now - previous_post_at)} of silence."
    key = _key(source, brand, previous_post_at) + ":over"
    outbox.enqueue(conn, messages.source_problem(source, brand, problem, channel=channel, key=key), now=now)
    log.info("source %s (%s): %s", source, brand, problem)
    return True


def _key(source: str, brand: str, last_post_at: datetime) -> str:
    return f"ops:{source}:{brand}:silent:{int(last_post_at.timestamp())}"
