"""The 25-hour fall-back day: both 02:00 hours counted, kept apart in the chart, merged by hour of day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from monitor.digest.build import build_digest
from monitor.storage import migrate
from monitor.storage.engine import make_engine
from tests.digest import scenario, seed


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_fall_back_day(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        for at in ("2026-10-24T21:59:59", "2026-10-24T22:00", "2026-10-25T00:30", "2026-10-25T01:30",
                   "2026-10-25T22:59:59", "2026-10-25T23:00"):
            seed.post(conn, "Acme", z(at), negative=True)
    config = scenario.config(db_url)
    with engine.connect() as conn:
        digest = build_digest(conn, brands=["Acme"], day=date(2026, 10, 25), tz=config.schedule.tz,
                              now=z("2026-10-26T08:00"), settings=config.digest)
    engine.dispose()
    acme = digest.brands[0]
    assert acme.today.volume.total == 4  # local 00:00 CEST .. 23:59:59 CET
    hours = {r.hour: r.mentions for r in digest.staffing if r.mentions}
    assert hours == {0: 1, 2: 2, 23: 2}  # 02:30 CEST and 02:30 CET; 23:59:59 on the 24th and the 25th
    series = digest.series[0]
    assert len(series.hours) == 7 * 24 + 1
    assert series.volume[series.hours.index(z("2026-10-25T00:00"))] == 1  # 02:00 CEST
    assert series.volume[series.hours.index(z("2026-10-25T01:00"))] == 1  # 02:00 CET
