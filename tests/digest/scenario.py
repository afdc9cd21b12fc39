"""A hand-built week for two brands around Europe/Warsaw's spring-forward Sunday (2026-03-29).

Every figure the digest shows for it is worked out by hand in test_figures.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from monitor.config import Config, parse_config
from tests.digest import seed

DAY = date(2026, 3, 29)  # local day [2026-03-28 23:00Z, 2026-03-29 22:00Z): 23 hours
NOW = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST, when the digest is due


def z(text: str) -> datetime:
    """A UTC instant from ``YYYY-MM-DDTHH:MM[:SS]``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def config(db_url: str, *, env: dict[str, str] | None = None, **slack: object) -> Config:
    """Two brands, Warsaw time, digest at 09:00."""
    return parse_config(
        {
            "storage": {"url": db_url},
            "slack": {"digest_channel": "#digest", "min_interval": "1ms", "timeout": "2s", **slack},
            "schedule": {"timezone": "Europe/Warsaw", "digest_time": "09:00"},
            "brands": [{"name": "Acme", "terms": ["acme"]}, {"name": "Quiet", "terms": ["quiet"]}],
        },
        env=env or {},
    )


def seed_week(engine: Engine) -> None:
    """The posts, spikes and reply-queue rows of the scenario."""
    with engine.begin() as conn:
        p = lambda *a, **k: seed.post(conn, "Acme", *a, **k)  # noqa: E731
        # The digest day (every one counts: the first is local midnight, the fifth 23:59:59 CEST).
        p1 = p(z("2026-03-28T23:00"), negative=True, text="Acme refund still missing", metrics={"followers": 5000})
        p2 = p(z("2026-03-29T08:10"), negative=True, text="acme refund denied again", metrics={"followers": 100})
        p3 = p(
            z("2026-03-29T12:00"),
            platform="reddit",
            lang="pl",
            negative=True,
            text="<!channel> *refund* now <@U123>",
            metrics={"karma": 20000, "followers": "lots"},
            author="loud_user",
        )
        p(z("2026-03-29T12:05"), platform="reddit", lang="pl", text="acme app update looks nice")
        p5 = p(z("2026-03-29T21:59:59"), lang=None, platform_lang="de", text="acme new store")
        p6 = p(z("2026-03-29T15:00"), negative=None, text="acme order 66")
        # Just outside the day: 23:59:59 CET on the 28th, and midnight CEST on the 30th.
        p7 = p(z("2026-03-28T22:59:59"), negative=True, text="acme late again")
        p8 = p(z("2026-03-29T22:00"), negative=True, text="acme late")
        # The brand's own post never counts.
        p(z("2026-03-29T10:00"), negative=True, from_brand=True, text="we are sorry")
        # Earlier in the week.
        p(z("2026-03-25T10:00"), negative=True, text="refund problem")
        p(z("2026-03-27T10:30"), negative=True, text="waiting on refund")
        p(z("2026-03-26T09:00"), text="acme store nice")
        # The same weekday a week before (2026-03-22, a 24-hour day).
        w1 = p(z("2026-03-22T09:00"), negative=True)
        p(z("2026-03-22T10:00"))
        p(z("2026-03-22T11:00"))
        w4 = p(z("2026-03-22T12:00"), platform="reddit", lang="pl", negative=True)

        top = {"url": "https://x.example/p/top", "text": "x"}
        drivers = {"terms": ["refund", "outage"], "summary": "Many independent posts.", "top_posts": [top]}
        seed.spike(conn, "Acme", z("2026-03-29T10:00"), resolved=z("2026-03-29T11:00"),
                   peak_at=z("2026-03-29T10:20"), peak=12, expected=2, drivers=drivers)
        seed.spike(conn, "Acme", z("2026-03-27T10:00"), resolved=z("2026-03-27T12:00"),
                   peak_at=z("2026-03-27T10:30"), peak=9, expected=3)
        seed.spike(conn, "Acme", z("2026-03-28T20:00"), resolved=None, peak_at=z("2026-03-28T21:00"),
                   peak=7, expected=1, metric="volume")
        seed.spike(conn, "Acme", z("2026-03-22T09:00"), resolved=z("2026-03-22T10:00"),
                   peak_at=z("2026-03-22T09:10"), peak=5, expected=1)

        r = lambda *a, **k: seed.reply(conn, "Acme", *a, **k)  # noqa: E731
        r(p1, z("2026-03-28T23:00"), status="replied", first_reply=z("2026-03-28T23:30"), within=True,
          category="billing")
        r(p2, z("2026-03-29T08:10"), status="replied", first_reply=z("2026-03-29T10:10"), within=False,
          category="billing")
        r(p3, z("2026-03-29T12:00"), status="replied", first_reply=z("2026-03-29T12:10"), within=True,
          category="delivery")
        r(p6, z("2026-03-29T15:00"), status="open", category="billing")
        r(p5, z("2026-03-29T21:59:59"), sla=timedelta(hours=10), status="open")
        r(p7, z("2026-03-29T14:00"), status="handled", closed=z("2026-03-29T14:30"))
        r(p8, z("2026-03-29T12:05"), status="not_negative", category="billing")
        old = seed.post(conn, "Acme", z("2026-03-25T10:00"), negative=True, text="where is my parcel")
        r(old, z("2026-03-25T10:00"), status="acknowledged", category="delivery")
        r(w1, z("2026-03-22T10:00"), status="replied", first_reply=z("2026-03-22T10:20"), within=True,
          category="billing")
        r(w4, z("2026-03-22T12:00"), status="replied", first_reply=z("2026-03-22T14:00"), within=False,
          category="delivery")
