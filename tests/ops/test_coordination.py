"""Several instances on one database: singleton jobs have one owner, a dead owner is replaced in bounded time."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import func, select, text

from monitor.once import run_once
from monitor.ops.coordination import Coordinator, lease_ttl
from monitor.ops.instance_lock import InstanceLock, InstanceLockError
from monitor.storage.schema import outbox, posts
from tests.ops.apps import KeywordClassifier, config_dict, make_app, negative_keys, replay_file

TTL = timedelta(seconds=60)


def test_one_owner_until_its_lease_runs_out_then_another_takes_over(engine, clock, caplog) -> None:
    a = Coordinator(engine, holder="host-a/1/x", clock=clock)
    b = Coordinator(engine, holder="host-b/2/y", clock=clock)
    if not a.shared:
        pytest.skip("SQLite runs one instance; leases are for PostgreSQL")
    with a.exclusive("poll:x:Acme", ttl=TTL) as mine:
        assert mine
        with b.exclusive("poll:x:Acme", ttl=TTL) as theirs:
            assert not theirs  # the advisory lock: never two runs at once
    with b.exclusive("poll:x:Acme", ttl=TTL) as theirs:
        assert not theirs  # the lease: A owns the job between its runs
    clock.advance(seconds=59)
    with a.exclusive("poll:x:Acme", ttl=TTL) as mine:
        assert mine  # A renews by running
    clock.advance(seconds=61)  # A stopped running it (died): its lease ran out
    with caplog.at_level(logging.INFO), b.exclusive("poll:x:Acme", ttl=TTL) as theirs:
        assert theirs
    assert "took over job poll:x:Acme from host-a/1/x" in caplog.text
    with a.exclusive("poll:x:Acme", ttl=TTL) as mine:
        assert not mine
    b.release_all()  # a clean stop hands the job over at once
    with a.exclusive("poll:x:Acme", ttl=TTL) as mine:
        assert mine
    assert a.held() == ["poll:x:Acme"]


def test_the_lock_dies_with_its_connection(engine, clock, db_url) -> None:
    a = Coordinator(engine, holder="a", clock=clock)
    b = Coordinator(engine, holder="b", clock=clock)
    if not a.shared:
        pytest.skip("PostgreSQL only")
    clock.advance(seconds=0)
    with a.exclusive("spikes", ttl=TTL) as mine:
        assert mine
        # The database drops A's connections (a failover, an admin, a network cut).
        with psycopg.connect(db_url.replace("+psycopg", "")) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        clock.advance(seconds=61)
        with b.exclusive("spikes", ttl=TTL) as theirs:
            assert theirs  # the advisory lock went with the connection; the lease had run out
    # A's exit did not raise although its connection was gone, and the pool works again.
    with a.exclusive("other", ttl=TTL) as mine:
        assert mine


def test_sqlite_is_single_instance_and_a_second_one_refuses(tmp_path) -> None:
    first = InstanceLock(tmp_path / "d.db.lock")
    first.acquire()
    with pytest.raises(InstanceLockError, match="SQLite supports one instance"):
        InstanceLock(tmp_path / "d.db.lock").acquire()
    first.release()
    InstanceLock(tmp_path / "d.db.lock").acquire()


def test_lease_ttl_bounds_takeover() -> None:
    assert lease_ttl(timedelta(minutes=5)) == timedelta(minutes=10, seconds=30)


def test_two_instances_share_the_work_and_send_each_alert_once(tmp_path, db_url, fake_slack) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several instances need PostgreSQL")
    replay = replay_file(tmp_path, 60)
    raw = config_dict(db_url, replay, fake_slack.base_url)
    classifiers = [KeywordClassifier(delay=0.02), KeywordClassifier(delay=0.02)]
    apps = [make_app(raw, fake_slack, classifier=c) for c in classifiers]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def instance(app) -> None:
        try:
            barrier.wait()
            run_once(app)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=instance, args=(app,)) for app in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    for app in apps:  # whoever lost a race for a job gets the rest on its next pass
        run_once(app)
    assert sorted(fake_slack.keys()) == negative_keys(60)
    seen = classifiers[0].seen + classifiers[1].seen
    assert len(seen) == len(set(seen)) == 60  # each post classified once, by one instance
    with apps[0].engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == 60
        assert {s for (s,) in conn.execute(select(outbox.c.status))} == {"sent"}
    for app in apps:
        app.engine.dispose()


def test_a_dead_holders_jobs_are_taken_over_at_once(engine, clock, caplog) -> None:
    a = Coordinator(engine, holder="host-a/1/x", clock=clock)
    b = Coordinator(engine, holder="host-b/2/y", clock=clock)
    if not a.shared:
        pytest.skip("PostgreSQL only")
    with a.exclusive("poll:x:Acme", ttl=TTL) as mine:
        assert mine
    with b.exclusive("poll:x:Acme", ttl=TTL) as theirs:
        assert not theirs  # A lives: its lease holds
    # A's process dies: the server ends its session, and the locks go with it. (Only dropping the client side of
    # the connection leaves the server to notice a moment later: B could look first.)
    pid = a._alive.execute(text("SELECT pg_backend_pid()")).scalar()
    a._alive.commit()
    with engine.connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid}).scalar()
    a._alive.invalidate()
    a._alive = None
    with caplog.at_level(logging.INFO), b.exclusive("poll:x:Acme", ttl=TTL) as theirs:
        assert theirs  # no need to wait for the lease to run out
    assert "(it is gone)" in caplog.text
