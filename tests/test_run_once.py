"""`brand-monitor run --once` end to end: replay source, local tiny model, local Slack, real processes.

The process tests (marked e2e) show what only a process can: the CLI, and a SIGKILL at the
worst moment. Slack failing and recovering over time is shown in-process on the manual clock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.bootstrap import bootstrap
from monitor.config import load_config
from monitor.manual import ManualRunner
from monitor.storage.engine import make_engine
from monitor.storage.schema import outbox, posts
from tests.conftest import Clock, make_post, write_posts
from tests.support.tiny_model import TRAINING

ROOT = Path(__file__).resolve().parents[1]

NEGATIVE = [t for t, label in TRAINING if label == 0]
OTHER = [t for t, label in TRAINING if label != 0]


def replay_posts() -> list[dict]:
    texts = [*NEGATIVE, *OTHER] * 3
    # Every post mentions the brand so the replay source picks it up.
    return [make_post(i + 1, f"{text} #acme") for i, text in enumerate(texts)]


def write_config(tmp_path: Path, *, db_url: str, model: Path, slack_url: str, replay: Path, batch: int = 4) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[storage]
url = "{db_url}"
[classifier]
model = "{model}"
batch_size = {batch}
[slack]
base_url = "{slack_url}"
alerts_channel = "#brand-alerts"
min_interval = "10ms"
timeout = "2s"
[[brands]]
name = "Acme"
terms = ["acme"]
handles = {{ x = "AcmeSupport" }}
[sources.replay]
path = "{replay}"
page_size = 5
""",
        encoding="utf-8",
    )
    return config


def brand_monitor(config: Path, token: str, *args: str, once: bool = True) -> subprocess.Popen[str]:
    env = {**os.environ, "SLACK_BOT_TOKEN": token, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", *(["--once"] if once else []), "--config", str(config), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> str:
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out
    return out


def expected_alert_keys(model: Path, posts_in: list[dict]) -> set[str]:
    from models.loading import load_classifier
    from models.settings import ClassifierSettings

    sentiments = load_classifier(ClassifierSettings(model=str(model))).classify([p["text"] for p in posts_in])
    return {f"negative:Acme:x:{p['id']}" for p, s in zip(posts_in, sentiments, strict=True) if s.is_negative}


@pytest.fixture
def setup(tmp_path, db_url, tiny_model_dir, fake_slack):
    posts_in = replay_posts()
    replay = write_posts(tmp_path / "posts.jsonl", posts_in)
    config = write_config(tmp_path, db_url=db_url, model=tiny_model_dir, slack_url=fake_slack.base_url, replay=replay)
    expected = expected_alert_keys(tiny_model_dir, posts_in)
    assert len(expected) >= 6, "the tiny model should find the negative training lines"
    # The bot is in the channel before anything is posted, as in a real workspace: a process killed after
    # auth.test must find it on restart when it asks whether its in-flight alerts were already sent.
    fake_slack.channel_id("#brand-alerts")
    return config, expected, posts_in


@pytest.mark.e2e
def test_run_once_delivers_then_a_second_run_sends_nothing(setup, fake_slack, db_url) -> None:
    config, expected, posts_in = setup
    finish(brand_monitor(config, fake_slack.token))
    assert sorted(fake_slack.keys()) == sorted(expected)
    first = list(fake_slack.keys())
    finish(brand_monitor(config, fake_slack.token))
    assert fake_slack.keys() == first
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == len(posts_in)
    engine.dispose()
    # what Slack got is readable: a header, the post, its facts, and a fallback text
    message = fake_slack.messages[0]
    assert message.text.startswith("Negative mention of Acme on X")
    assert [b["type"] for b in message.blocks] == ["header", "section", "context"]


@pytest.mark.e2e
def test_sigkill_mid_batch_then_restart_delivers_every_alert_exactly_once(setup, fake_slack, db_url) -> None:
    config, expected, _ = setup
    # Kill the process at the worst moment: Slack has recorded a message but not yet answered.
    killed = threading.Event()
    procs: list[subprocess.Popen[str]] = []

    def kill_on_third_post(method: str, args: dict) -> None:
        if method == "chat.postMessage" and len(fake_slack.messages) == 2 and not killed.is_set():
            killed.set()
            procs[0].send_signal(signal.SIGKILL)
            procs[0].wait(30)  # dead before Slack answers (this handler holds the answer back)

    fake_slack.on_call = kill_on_third_post
    procs.append(brand_monitor(config, fake_slack.token))
    procs[0].communicate(timeout=180)
    assert killed.is_set() and procs[0].returncode == -signal.SIGKILL
    fake_slack.on_call = None
    finish(brand_monitor(config, fake_slack.token))
    assert sorted(fake_slack.keys()) == sorted(expected)  # none lost, none doubled
    engine = make_engine(db_url)
    with engine.connect() as conn:
        statuses = {s for (s,) in conn.execute(select(outbox.c.status))}
    engine.dispose()
    assert statuses == {"sent"}


@pytest.mark.e2e
@pytest.mark.parametrize("at", ["first Slack call", "half-way through delivery"])
def test_sigkill_at_any_point_loses_and_doubles_nothing(setup, fake_slack, at, db_url) -> None:
    config, expected, posts_in = setup
    # Slack's calls are auth.test, then one chat.postMessage per alert; kill once the process has made so many.
    calls = 1 if at == "first Slack call" else 1 + len(expected) // 2
    proc = brand_monitor(config, fake_slack.token)
    deadline = time.monotonic() + 120
    while len(fake_slack.calls) < calls and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the process ended before it could be killed there"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert len(fake_slack.keys()) < len(expected), "killed before every alert went out"
    out = finish(brand_monitor(config, fake_slack.token))
    assert sorted(fake_slack.keys()) == sorted(expected), out
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == len(posts_in)
    engine.dispose()


def test_slack_down_then_back_delivers_everything_once(tmp_path, db_url, tiny_model_dir, fake_slack) -> None:
    posts_in = replay_posts()
    replay = write_posts(tmp_path / "posts.jsonl", posts_in)
    path = write_config(tmp_path, db_url=db_url, model=tiny_model_dir, slack_url=fake_slack.base_url, replay=replay)
    # Delivery's own beat (it is woken whenever alerts are queued) only picks up retries: once a minute will do.
    path.write_text(path.read_text() + '[schedule]\ndeliver_interval = "1m"\n')
    config = load_config(path, env={"SLACK_BOT_TOKEN": fake_slack.token})
    expected = expected_alert_keys(tiny_model_dir, posts_in)
    clock = Clock()
    app = bootstrap(config, clock=clock, sleep=clock.sleep)
    runner = ManualRunner(app)
    fake_slack.down = True
    runner.advance(seconds=4)  # everything is polled and classified; no alert gets through
    assert fake_slack.keys() == []
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == len(posts_in)
        waiting = conn.execute(select(outbox.c.status, outbox.c.attempts)).all()
    assert len(waiting) == len(expected) and {s for s, _ in waiting} == {"pending"}
    runner.advance(minutes=2)  # still down: each retry backs off further (5 s, 10 s, 20 s, ...)
    with app.engine.connect() as conn:
        attempts = sorted(a for (a,) in conn.execute(select(outbox.c.attempts)))
    assert attempts[0] >= 3 and fake_slack.keys() == []
    fake_slack.down = False
    runner.advance(minutes=5)  # the next retry after Slack is back delivers everything, once
    assert sorted(fake_slack.keys()) == sorted(expected)
    runner.advance(hours=1)
    assert sorted(fake_slack.keys()) == sorted(expected)  # nothing twice
    with app.engine.connect() as conn:
        assert {s for (s,) in conn.execute(select(outbox.c.status))} == {"sent"}
    app.engine.dispose()
