"""Real processes: two daemons on one PostgreSQL database with one SIGKILLed.

A second instance on one SQLite file refusing is shown beside a running daemon in tests/test_daemon.py.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import make_post, write_posts
from tests.test_run_once import NEGATIVE, OTHER, brand_monitor, expected_alert_keys, write_config


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def fast_config(tmp_path: Path, **kw) -> Path:
    config = write_config(tmp_path, **kw)
    # Poll every second, so a taken-over poll happens within the test.
    config.write_text(config.read_text().replace("page_size = 5", "page_size = 5\ninterval = \"1s\""))
    return config


@pytest.mark.e2e
@pytest.mark.parametrize("seed", [1])
def test_two_instances_one_killed_at_a_random_point(tmp_path, db_url, tiny_model_dir, fake_slack, seed) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several instances need PostgreSQL")
    posts_in = [make_post(i + 1, f"{t} #acme") for i, t in enumerate([*NEGATIVE, *OTHER] * 4)]
    replay = write_posts(tmp_path / "posts.jsonl", posts_in)
    config = fast_config(tmp_path, db_url=db_url, model=tiny_model_dir, slack_url=fake_slack.base_url, replay=replay)
    expected = sorted(expected_alert_keys(tiny_model_dir, posts_in))
    a = brand_monitor(config, fake_slack.token, once=False)
    b = brand_monitor(config, fake_slack.token, once=False)
    try:
        assert wait_for(lambda: fake_slack.keys() or a.poll() is not None, 120), "nothing was delivered"
        time.sleep(random.Random(seed).uniform(0, 0.8))
        a.send_signal(signal.SIGKILL)
        a.wait(30)
        assert wait_for(lambda: sorted(set(fake_slack.keys())) == expected, 90), (fake_slack.keys(), expected)
        time.sleep(1.5)  # a duplicate would show up now
    finally:
        for proc in (a, b):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        out_b, _ = b.communicate(timeout=60)
        a.communicate(timeout=30)
    assert b.returncode == 0, out_b
    assert sorted(fake_slack.keys()) == expected  # each alert exactly once
