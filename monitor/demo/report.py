"""What the demo stored and how each post was labelled and handled, as a table for the terminal."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import Engine, Select, func, select

from monitor.alerts.messages import platform_name
from monitor.storage.schema import outbox, posts, reply_items, spikes

TEXT_WIDTH = 44


@dataclass(frozen=True, slots=True)
class Row:
    """One stored post as the table shows it."""

    at: datetime
    platform: str
    author: str
    lang: str
    label: str
    negative: float | None
    text: str
    handling: str


@dataclass(frozen=True, slots=True)
class Totals:
    """What the morning produced."""

    posts: int
    classified: int
    negative: int
    reply_threads: int
    reply_closed: int
    spikes: int
    alerts_sent: int


def stored(engine: Engine) -> list[Row]:
    """Every stored post, oldest first, with its label and what the reply queue did with it."""
    query = (
        select(
            posts.c.created_at,
            posts.c.platform,
            posts.c.author,
            posts.c.lang,
            posts.c.sentiment,
            posts.c.negative_score,
            posts.c.text,
            posts.c.from_brand,
            reply_items.c.status,
            reply_items.c.category,
        )
        .select_from(posts.outerjoin(reply_items, reply_items.c.post_pk == posts.c.id))
        .order_by(posts.c.created_at, posts.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    out = []
    for r in rows:
        if r.from_brand:
            handling = "the brand's own post"
        elif r.status is not None:
            handling = f"reply queue: {r.status}" + (f" ({r.category})" if r.category else "")
        else:
            handling = ""
        out.append(
            Row(
                r.created_at,
                r.platform,
                r.author,
                r.lang or "?",
                r.sentiment or "-",
                r.negative_score,
                r.text,
                handling,
            )
        )
    return out


def totals(engine: Engine) -> Totals:
    """Counts for the closing summary."""
    with engine.connect() as conn:

        def count(query: Select[int]) -> int:
            return int(conn.execute(query).scalar() or 0)

        return Totals(
            posts=count(select(func.count()).select_from(posts)),
            classified=count(select(func.count()).select_from(posts).where(posts.c.sentiment.is_not(None))),
            negative=count(select(func.count()).select_from(posts).where(posts.c.sentiment == "negative")),
            reply_threads=count(select(func.count()).select_from(reply_items)),
            reply_closed=count(
                select(func.count())
                .select_from(reply_items)
                .where(reply_items.c.status.in_(("replied", "handled", "not_negative")))
            ),
            spikes=count(select(func.count()).select_from(spikes)),
            alerts_sent=count(select(func.count()).select_from(outbox).where(outbox.c.status == "sent")),
        )


def table(rows: list[Row], zone: tzinfo) -> list[str]:
    """The rows as fixed-width lines (post text cut to fit; right-to-left text kept in its own cell)."""
    head = (
        f"{'time':5}  {'platform':9}  {'author':16}  {'lang':4}  {'label':8}  {'neg':>4}  {'post':{TEXT_WIDTH}}"
        "  handling"
    )
    lines = [head, "─" * len(head)]
    for r in rows:
        neg = f"{r.negative:.0%}" if r.negative is not None else "-"
        lines.append(
            f"{r.at.astimezone(zone):%H:%M}  {_cell(platform_name(r.platform), 9)}  {_cell(r.author, 16)}  "
            f"{_cell(r.lang, 4)}  {_cell(r.label, 8)}  {neg:>4}  {_cell(r.text, TEXT_WIDTH)}  {r.handling}".rstrip()
        )
    return lines


def _cell(text: str, width: int) -> str:
    """``text`` on one line, cut and padded to ``width`` terminal columns (wide characters count two)."""
    flat = "".join(" " if ch in "\r\n\t" else ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf"})
    out, used = [], 0
    for ch in flat:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width - (1 if len(flat) > width else 0):
            out.append("…")
            used += 1
            break
        out.append(ch)
        used += w
    # A right-to-left cell is isolated, so it cannot pull the next columns into its direction.
    cell = "".join(out)
    if any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in cell):
        cell = f"\u2068{cell}\u2069"
    return cell + " " * max(0, width - used)
