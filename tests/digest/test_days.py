"""Local days, due times and the APScheduler trigger across Europe/Warsaw's DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.digest.days import last_complete_day, latest_due_day, local_day, scheduled_at
from monitor.digest.service import DigestService
from monitor.digest.upload import FileChartUploader
from monitor.jobs import first_run, next_run
from tests.conftest import Clock
from tests.digest import scenario
from values.jobs import Interval

WARSAW = ZoneInfo("Europe/Warsaw")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_dst_days_are_23_and_25_hours_long() -> None:
    spring = local_day(date(2026, 3, 29), WARSAW)
    assert (spring.start, spring.end) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    autumn = local_day(date(2026, 10, 25), WARSAW)
    assert (autumn.start, autumn.end) == (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23))
    assert autumn.end - autumn.start == timedelta(hours=25)


def test_due_times_follow_the_wall_clock() -> None:
    assert scheduled_at(date(2026, 3, 28), WARSAW, time(9)) == utc(2026, 3, 29, 7)  # 09:00 CEST
    assert scheduled_at(date(2026, 3, 27), WARSAW, time(9)) == utc(2026, 3, 28, 8)  # 09:00 CET
    assert scheduled_at(date(2026, 10, 24), WARSAW, time(9)) == utc(2026, 10, 25, 8)
    # 02:30 does not exist on 29 March: read with the winter offset, it is 03:30 CEST.
    assert scheduled_at(date(2026, 3, 28), WARSAW, time(2, 30)) == utc(2026, 3, 29, 1, 30)
    # 02:30 happens twice on 25 October: the first one (CEST).
    assert scheduled_at(date(2026, 10, 24), WARSAW, time(2, 30)) == utc(2026, 10, 25, 0, 30)


def test_latest_due_day() -> None:
    assert latest_due_day(utc(2026, 3, 29, 6, 59), WARSAW, time(9)) == date(2026, 3, 27)
    assert latest_due_day(utc(2026, 3, 29, 7, 0), WARSAW, time(9)) == date(2026, 3, 28)
    assert latest_due_day(utc(2026, 3, 29, 23, 30), WARSAW, time(9)) == date(2026, 3, 28)  # 01:30 on the 30th
    assert latest_due_day(utc(2026, 3, 29, 22, 30), WARSAW, time(0, 15)) == date(2026, 3, 29)  # 00:30 local
    assert last_complete_day(utc(2026, 3, 28, 23, 30), WARSAW) == date(2026, 3, 28)


def test_the_cron_job_fires_at_local_digest_time_across_dst(tmp_path) -> None:
    config = scenario.config(f"sqlite:///{tmp_path / 'd.db'}")
    service = DigestService(None, config, clock=lambda: utc(2026, 3, 28), uploader=FileChartUploader())  # type: ignore[arg-type]
    jobs = {job.name: job for job in service.jobs()}
    trigger = jobs["digest"].trigger
    fire = lambda after: next_run(trigger, after).astimezone(UTC)  # noqa: E731
    assert fire(utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 7)
    assert fire(utc(2026, 3, 29, 7, 1)) == utc(2026, 3, 30, 7)
    assert fire(utc(2026, 3, 29, 7)) == utc(2026, 3, 30, 7)  # just ran: the next one is tomorrow's
    assert fire(utc(2026, 3, 27, 12)) == utc(2026, 3, 28, 8)
    assert fire(utc(2026, 10, 24, 12)) == utc(2026, 10, 25, 8)
    assert first_run(trigger, utc(2026, 3, 29, 7)) == utc(2026, 3, 29, 7)  # started at 09:00 sharp: runs now
    assert isinstance(jobs["digest-check"].trigger, Interval)
    assert not jobs["digest"].in_once and jobs["digest"].wakes == ("deliver",)


def test_the_daemon_schedules_the_digest_jobs(tmp_path) -> None:
    from apscheduler.triggers.cron import CronTrigger

    from monitor.bootstrap import bootstrap
    from monitor.config import parse_config
    from monitor.daemon import Daemon

    def app(enabled: bool):
        config = parse_config(
            {
                "storage": {"url": f"sqlite:///{tmp_path / 'd.db'}"},
                "schedule": {"timezone": "Europe/Warsaw", "digest_time": "08:30"},
                "digest": {"enabled": enabled},
                "slack": {"console": True},
                "brands": [{"name": "Acme", "terms": ["acme"]}],
            },
            env={},
        )
        return bootstrap(config, clock=Clock(utc(2026, 10, 24, 12)), classifier=object())

    daemon = Daemon(app(True))
    daemon.add_jobs()
    jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
    trigger = jobs["digest"].trigger
    assert isinstance(trigger, CronTrigger) and str(trigger.timezone) == "Europe/Warsaw"
    assert trigger.get_next_fire_time(None, utc(2026, 10, 24, 12)) == datetime(
        2026, 10, 25, 8, 30, tzinfo=WARSAW
    )
    assert "digest-check" in jobs
    off = Daemon(app(False))
    off.add_jobs()
    assert not {"digest", "digest-check"} & {job.id for job in off.scheduler.get_jobs()}
