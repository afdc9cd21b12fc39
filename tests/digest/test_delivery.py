"""Sending the digest through slack-sdk to a local Slack: the message once, the chart with files_upload_v2.

Also the catch-up after a missed run (exactly once, across restarts) and an upload interrupted
after Slack recorded it (found again, never uploaded twice).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from monitor.bootstrap import App, bootstrap
from monitor.digest import runs
from monitor.storage.schema import digest_runs, outbox
from tests.conftest import Clock
from tests.digest import scenario
from tests.digest.scenario import DAY, NOW
from tests.support.fake_slack import FakeSlack, Fault


class NoModel:
    def classify(self, texts):  # never called: no sources
        raise AssertionError("no classification expected")


def make_app(db_url: str, slack: FakeSlack, clock: Clock, *, timeout: str = "2s") -> App:
    config = scenario.config(db_url, env={"SLACK_BOT_TOKEN": slack.token}, base_url=slack.base_url, timeout=timeout)
    return bootstrap(config, clock=clock, classifier=NoModel())


def methods(slack: FakeSlack) -> list[str]:
    return [m for m, _ in slack.calls]


def digest_keys(slack: FakeSlack) -> list[str]:
    delivered = slack.keys()
    return [k for k in delivered if k.startswith("digest:")]


def test_digest_and_chart_reach_slack_once(db_url: str, fake_slack: FakeSlack) -> None:
    clock = Clock(NOW)
    app = make_app(db_url, fake_slack, clock)
    scenario.seed_week(app.engine)
    assert app.digest.send(DAY) is True
    assert app.digest.send(DAY) is False  # one per (day, channel)
    assert app.digest.upload_charts() == 0  # the chart waits for its message
    app.delivery.run_once()
    assert app.digest.upload_charts() == 1
    assert methods(fake_slack) == [
        "auth.test",  # delivery checks the token once at start
        "chat.postMessage",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    digest_message, chart_message = fake_slack.messages
    assert digest_keys(fake_slack) == ["digest:2026-03-29:#digest"]
    assert digest_message.blocks[0]["text"]["text"] == "Daily digest: Sun 29 Mar 2026"
    assert digest_message.text.startswith("Daily digest 2026-03-29: Acme: 6 mentions, 60.0% negative")
    with app.engine.connect() as conn:
        row = conn.execute(select(digest_runs)).mappings().one()
    uploaded = fake_slack.files[row["file_id"]]
    assert uploaded.data == row["chart"] and uploaded.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert uploaded.shared_in == [digest_message.channel] == [chart_message.channel]
    assert chart_message.files[0]["name"] == f"brand-digest-2026-03-29-{row['id']}.png"
    assert (row["status"], row["slack_ts"]) == ("sent", digest_message.ts)
    # Nothing more happens however often the jobs run.
    app.digest.tick()
    app.delivery.run_once()
    assert app.digest.upload_charts() == 0
    assert len(fake_slack.messages) == 2


def test_a_missed_digest_is_sent_once_when_the_daemon_comes_back(db_url: str, fake_slack: FakeSlack) -> None:
    clock = Clock(NOW - timedelta(days=1, hours=1))  # installed at 08:00 on the 29th
    first = make_app(db_url, fake_slack, clock)
    scenario.seed_week(first.engine)
    first.digest.tick()
    assert digest_keys(fake_slack) == []  # the 27th's digest was due before the install: nothing was missed
    clock.advance(hours=1, seconds=10)  # 09:00:10: even if the cron job never fired, the check sends it
    first.digest.tick()
    first.delivery.run_once()
    first.digest.upload_charts()
    assert digest_keys(fake_slack) == ["digest:2026-03-28:#digest"]
    first.engine.dispose()
    # Down through 09:00 on the 30th; back at 12:30.
    clock.now = NOW + timedelta(hours=3, minutes=30)
    for _ in range(2):  # two restarts; each runs the periodic check twice
        app = make_app(db_url, fake_slack, clock)
        for _ in range(2):
            app.digest.tick()
            app.delivery.run_once()
            app.digest.tick()
        app.engine.dispose()
    assert digest_keys(fake_slack) == ["digest:2026-03-28:#digest", "digest:2026-03-29:#digest"]
    assert sum(1 for m in fake_slack.messages if m.files) == 2
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(digest_runs)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 2


def test_two_instances_queue_the_digest_once(db_url: str, fake_slack: FakeSlack) -> None:
    clock = Clock(NOW)
    a, b = make_app(db_url, fake_slack, clock), make_app(db_url, fake_slack, clock)
    built = a.digest.build(DAY)
    with a.engine.begin() as conn:
        assert runs.create(conn, day=DAY, channel="#digest", parts=built.parts, chart=built.chart, now=NOW)
    with b.engine.begin() as conn:  # the other instance built it too, a moment later
        assert runs.create(conn, day=DAY, channel="#digest", parts=built.parts, chart=built.chart, now=NOW) is None
    a.delivery.run_once()
    b.delivery.run_once()
    assert digest_keys(fake_slack) == ["digest:2026-03-29:#digest"]


def test_an_interrupted_upload_is_found_not_repeated(db_url: str, fake_slack: FakeSlack) -> None:
    clock = Clock(NOW)
    app = make_app(db_url, fake_slack, clock, timeout="1s")
    app.digest.send(DAY)
    app.delivery.run_once()
    # Slack shares the file, but the answer never comes back (the client times out).
    app.delivery.sink.client.timeout = 0.2  # [slack] timeout keeps whole seconds; slack-sdk's client takes fractions
    fake_slack.faults.append(Fault("hang_after_record", method="files.completeUploadExternal", hang_seconds=1))
    assert app.digest.upload_charts() == 0
    with app.engine.connect() as conn:
        assert runs.find(conn, day=DAY, channel="#digest").status == runs.UPLOADING
    assert app.digest.upload_charts() == 0  # still claimed: the process might be alive
    clock.advance(minutes=6)  # the claim ran out (a restarted daemon sees the same)
    assert app.digest.upload_charts() == 1
    assert methods(fake_slack).count("files.getUploadURLExternal") == 1
    assert sum(1 for m in fake_slack.messages if m.files) == 1
    with app.engine.connect() as conn:
        run = runs.find(conn, day=DAY, channel="#digest")
    assert run.status == runs.SENT


def test_a_failed_upload_is_retried_later(db_url: str, fake_slack: FakeSlack) -> None:
    clock = Clock(NOW)
    app = make_app(db_url, fake_slack, clock)
    app.digest.send(DAY)
    app.delivery.run_once()
    fake_slack.faults.append(Fault("500", method="upload"))
    assert app.digest.upload_charts() == 0
    with app.engine.connect() as conn:
        run = runs.find(conn, day=DAY, channel="#digest")
    assert run.status == runs.PENDING and run.next_attempt_at > NOW
    assert app.digest.upload_charts() == 0  # not before its retry time
    clock.advance(minutes=1)
    assert app.digest.upload_charts() == 1
    assert sum(1 for m in fake_slack.messages if m.files) == 1
    assert not fake_slack.files[next(iter(fake_slack.files))].shared_in  # the failed one was never shared


def test_a_rejected_digest_message_ends_the_run(db_url: str, fake_slack: FakeSlack) -> None:
    clock = Clock(NOW)
    app = make_app(db_url, fake_slack, clock)
    app.digest.send(DAY)
    fake_slack.faults.append(Fault("error", error="invalid_blocks"))
    app.delivery.run_once()
    assert app.digest.upload_charts() == 0
    with app.engine.connect() as conn:
        run = runs.find(conn, day=DAY, channel="#digest")
    assert run.status == runs.DEAD
    assert "files.getUploadURLExternal" not in methods(fake_slack)


def test_without_a_token_the_digest_prints_and_the_chart_is_a_file(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    clock = Clock(NOW)
    config = scenario.config(f"sqlite:///{tmp_path / 'd.db'}", console=True)
    app = bootstrap(config, clock=clock, classifier=NoModel())
    scenario.seed_week(app.engine)
    app.digest.send(DAY)
    app.delivery.run_once()
    assert app.digest.upload_charts() == 1
    assert "[#digest] ▌ Daily digest: Sun 29 Mar 2026" in capsys.readouterr().out
    charts = list((tmp_path / "brand-monitor").glob("brand-digest-2026-03-29-*.png"))
    assert len(charts) == 1 and charts[0].read_bytes()[:4] == b"\x89PNG"
