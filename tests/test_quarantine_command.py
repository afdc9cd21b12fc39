"""`brand-monitor quarantine list|retry`: what was quarantined, readable on a terminal; stored after a fix."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

import connectors.replay
from connectors.base import Rejected
from monitor.cli import main
from monitor.storage import quarantine as quarantine_store
from monitor.storage.schema import mentions, posts, quarantine
from tests.conftest import Clock, make_post
from tests.ops.apps import config_dict, make_app
from tests.support.poison import alert_keys, allow_text, quarantined, refuse_text, stored, write_lines
from tests.support.shared_data import recorded


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))


@pytest.fixture
def setup(tmp_path, db_url, fake_slack, clock):
    """An app and a config file on one database, over a replay file the test writes."""
    replay = tmp_path / "posts.jsonl"
    write_lines(replay, [])
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[storage]
url = "{db_url}"
[slack]
base_url = "{fake_slack.base_url}"
[[brands]]
name = "Acme"
terms = ["acme"]
handles = {{ x = "AcmeSupport" }}
[sources.replay]
path = "{replay}"
""",
        encoding="utf-8",
    )
    app = make_app(config_dict(db_url, replay, fake_slack.base_url), fake_slack, clock=clock)
    yield app, replay, config
    app.engine.dispose()


def poll(app) -> None:
    result = app.pipeline.poll("replay", app.connectors["replay"], app.config.brands[0], force=True)
    assert result.error is None


@pytest.fixture
def cli(capsys, clock):
    """`brand-monitor quarantine ARGS --config CONFIG` in-process on the test's clock: (exit code, out lines, err)."""

    def run(config: Path, *args: str) -> tuple[int, list[str], str]:
        code = main(["quarantine", *args, "--config", str(config)], clock=clock, sleep=clock.sleep)
        out, err = capsys.readouterr()
        return code, out.splitlines(), err

    return run


def test_list_prints_one_safe_line_per_item_and_a_total(setup, cli) -> None:
    app, replay, config = setup
    hostile_id = "\x1b[2J\u202eevil" + "9" * 200  # too long: quarantined; escape codes and a bidi override in it
    write_lines(replay, [
        make_post(1, "acme fine"),
        {**make_post(2, "acme"), "id": None},
        {**make_post(3, "acme"), "id": hostile_id},
    ])
    poll(app)
    code, lines, _ = cli(config, "list")
    assert code == 0
    assert lines[-1] == "2 quarantined"
    assert len(lines) == 3
    null_line, hostile_line = lines[0], lines[1]
    assert "replay" in null_line and "Acme" in null_line and "id is null" in null_line
    assert all(ch.isprintable() for line in lines for ch in line)  # nothing a terminal would act on
    assert "\\u202e" in hostile_line and "x" in hostile_line.split()[3]
    code, lines, _ = cli(config, "list", "--source", "x")
    assert (code, lines) == (0, ["0 quarantined from x"])


def test_retry_after_a_fix_stores_the_post_and_the_classify_job_labels_it(setup, cli) -> None:
    app, replay, config = setup
    write_lines(replay, [make_post(1, "acme fine"), make_post(2, "acme is broken POISON"), make_post(3, "acme ok")])
    refuse_text(app.engine, "POISON")
    poll(app)
    assert sorted(stored(app.engine)) == ["1", "3"]
    assert [r.stage for r in quarantined(app.engine)] == ["store"]

    code, lines, _ = cli(config, "retry")  # not fixed yet
    assert code == 1 and "refused by rule" in lines[0] and lines[-1] == "released 0, still failing 1"
    assert quarantined(app.engine)[0].attempts == 1

    allow_text(app.engine)  # the fix
    code, lines, _ = cli(config, "retry")
    assert (code, lines[-1]) == (0, "released 1, still failing 0")
    row = quarantined(app.engine)[0]
    assert row.released_at is not None and row.attempts == 2
    post = stored(app.engine)["2"]
    assert post.text == "acme is broken POISON" and post.classified_at is None  # left to the classify job
    with app.engine.connect() as conn:
        assert conn.execute(select(mentions.c.brand).where(mentions.c.post_pk == post.id)).scalars().all() == ["Acme"]
    app.pipeline.classify_pending()
    assert alert_keys(app.engine) == ["negative:Acme:x:2"]
    assert cli(config, "list")[1] == ["0 quarantined"]
    assert cli(config, "retry")[:2] == (0, ["released 0, still failing 0"])  # nothing left


def test_retry_reports_what_still_fails_with_its_new_reason(setup, cli, clock) -> None:
    app, replay, config = setup
    write_lines(replay, [{**make_post(1, "acme"), "id": None}, b'{"platform": "x", "text": "acme", oops}'])
    poll(app)
    with app.engine.begin() as conn:  # as an older version worded it
        conn.execute(quarantine.update().values(reason="old reason"))
    clock.advance(hours=1)
    code, lines, _ = cli(config, "retry", "--source", "replay")
    assert code == 1 and lines[-1] == "released 0, still failing 2"
    rows = quarantined(app.engine)
    assert [r.attempts for r in rows] == [1, 1] and all(r.retried_at is not None for r in rows)
    assert "id is null" in rows[0].reason and "JSONDecodeError" in rows[1].reason
    assert all(r.released_at is None for r in rows)


def test_retry_reads_an_unreadable_item_again_with_the_fixed_parser(setup, cli, monkeypatch) -> None:
    app, replay, config = setup
    write_lines(replay, [make_post(1, "acme fine"), make_post(2, "acme café"), make_post(3, "acme ok")])
    real = connectors.replay.parse_post

    def buggy(data):  # a parser bug: it cannot read non-ASCII text
        if not data["text"].isascii():
            raise ValueError("non-ASCII text not supported")
        return real(data)

    monkeypatch.setattr(connectors.replay, "parse_post", buggy)
    poll(app)
    monkeypatch.setattr(connectors.replay, "parse_post", real)  # the fix ships
    assert sorted(stored(app.engine)) == ["1", "3"]
    assert [(r.stage, r.platform) for r in quarantined(app.engine)] == [("read", None)]
    code, lines, _ = cli(config, "retry")
    assert (code, lines[-1]) == (0, "released 1, still failing 0")
    assert stored(app.engine)["2"].text == "acme café"


def test_retry_uses_the_sources_own_parser_for_a_recorded_reddit_comment(setup, cli, clock) -> None:
    app, _, config = setup
    listing = json.loads(recorded("recorded-api/reddit/subreddit_comments_page.json.xz"))
    child = listing["data"]["children"][0]
    item = quarantine_store.Item.rejected(Rejected.of(child, KeyError("body")), platform="reddit")
    with app.engine.begin() as conn:
        quarantine_store.add(conn, source="reddit", brand="Acme", items=[item], now=clock())
    code, lines, _ = cli(config, "retry", "--source", "reddit")
    assert (code, lines[-1]) == (0, "released 1, still failing 0")
    with app.engine.connect() as conn:
        row = conn.execute(select(posts).where(posts.c.platform == "reddit")).one()
    assert row.post_id == f"t1_{child['data']['id']}" and row.source == "reddit"
    assert row.text == child["data"]["body"].replace("\r\n", "\n")


def test_bad_usage_and_bad_config_exit_2(setup, cli, tmp_path) -> None:
    _, _, config = setup
    code, _, err = cli(config, "list", "--source", "nope")
    assert code == 2 and "unknown source 'nope'" in err
    broken = tmp_path / "broken.toml"
    broken.write_text("[storage]\nurl = 3\n", encoding="utf-8")
    assert cli(broken, "retry")[0] == 2
    with pytest.raises(SystemExit) as exited:
        main(["quarantine", "purge", "--config", str(config)])
    assert exited.value.code == 2
    assert cli(config, "retry")[:2] == (0, ["released 0, still failing 0"])  # nothing quarantined
