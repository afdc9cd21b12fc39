"""Competitors in the digest: share of voice and negative share side by side, and no section of their own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.digest.build import build_digest
from monitor.digest.competitors import standings
from monitor.digest.render import as_text, render
from monitor.digest.settings import DigestSettings
from monitor.storage.engine import make_engine
from tests.digest import seed

DAY = date(2026, 11, 19)
NOON = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _seed(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        for i, negative in enumerate([True, False, False, False, False, False]):  # Acme: 6 mentions, 1 negative
            seed.post(conn, "Acme", NOON + timedelta(minutes=i), negative=negative)
        for i, negative in enumerate([True, True, False, None]):  # Rival: 4 mentions, 2 of 3 classified negative
            seed.post(conn, "Rival", NOON + timedelta(minutes=i), negative=negative)
        week_ago = NOON - timedelta(days=7)
        for i in range(5):  # a week before: Acme 5, Rival 5, none negative
            seed.post(conn, "Acme", week_ago + timedelta(minutes=i))
            seed.post(conn, "Rival", week_ago + timedelta(minutes=i))
    engine.dispose()


def _digest(db_url: str, competitors: list[str]):
    engine = make_engine(db_url)
    with engine.connect() as conn:
        digest = build_digest(
            conn,
            brands=["Acme", "Rival"],
            day=DAY,
            tz=ZoneInfo("UTC"),
            now=NOW,
            settings=DigestSettings(),
            competitors=competitors,
        )
    engine.dispose()
    return digest


def test_share_of_voice_and_negative_share_side_by_side(db_url: str) -> None:
    _seed(db_url)
    acme, rival = standings(_digest(db_url, ["Rival"]))
    assert (acme.brand, acme.competitor, acme.mentions) == ("Acme", False, 6)
    assert acme.share_of_voice == pytest.approx(0.6) and acme.share_of_voice_week_ago == pytest.approx(0.5)
    assert acme.negative_share == pytest.approx(1 / 6) and acme.negative_share_week_ago == 0
    assert (rival.brand, rival.competitor, rival.mentions) == ("Rival", True, 4)
    assert rival.share_of_voice == pytest.approx(0.4) and rival.negative_share == pytest.approx(2 / 3)


def test_a_competitors_mentions_are_no_staffing_work(db_url: str) -> None:
    _seed(db_url)
    noon = next(r for r in _digest(db_url, ["Rival"]).staffing if r.hour == 12)
    assert noon.mentions == 6, "Acme's mentions of the last 7 days, not Rival's"
    assert next(r for r in _digest(db_url, []).staffing if r.hour == 12).mentions == 6 + 4


def test_the_digest_compares_competitors_and_gives_them_no_section(db_url: str) -> None:
    _seed(db_url)
    text = as_text(render(_digest(db_url, ["Rival"])))
    assert "*Competitors side by side*" in text
    lines = [line for line in text.splitlines() if line.startswith(("Acme ", "Rival *"))]
    assert lines == [
        "Acme                       6      60.0% (+10.0 pts)  16.7% (+16.7 pts)",
        "Rival *                    4      40.0% (-10.0 pts)  66.7% (+66.7 pts)",
    ]
    assert "\nRival\n" not in text and "\nAcme\n" in text, "the competitor has no section of its own"
    plain = as_text(render(_digest(db_url, [])))
    assert "Competitors side by side" not in plain and "\nRival\n" in plain
