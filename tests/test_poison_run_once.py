"""`brand-monitor run --once` over a replay file full of poison: exit 0, every good post stored and classified."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from monitor.cli import main
from monitor.storage.engine import make_engine
from monitor.storage.schema import posts, quarantine
from tests.conftest import make_post
from tests.support.poison import write_lines


def test_run_once_over_poisoned_posts_exits_0_and_stores_the_rest(
    tmp_path, db_url, tiny_model_dir, capsys, clock
) -> None:
    lines = [
        make_post(1, "acme is great"),
        make_post(2, "acme \x00 nul"),
        make_post(3, "acme \ud800 lone surrogate"),
        b'{"platform": "x", "id": "4", "text": "acme \xff byte", "created_at": "2026-11-20T09:04:00Z"}',
        make_post(5, "acme long lang", lang="l" * 100),
        {**make_post(6, "acme long id"), "id": "6" * 250},
        {**make_post(7, "acme null id"), "id": None},
        make_post(8, "acme is great again"),
    ]
    replay = write_lines(tmp_path / "posts.jsonl", lines)
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[storage]
url = {json.dumps(db_url)}
[classifier]
model = {json.dumps(str(tiny_model_dir))}
[slack]
console = true
[[brands]]
name = "Acme"
terms = ["acme"]
[sources.replay]
path = {json.dumps(str(replay))}
page_size = 3
""",
        encoding="utf-8",
    )
    assert main(["run", "--once", "--config", str(config)], clock=clock, sleep=clock.sleep) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "run --once: fetched 7, new_posts 6, quarantined 2, failed_polls 0, classified 6" in err
    engine = make_engine(db_url)
    with engine.connect() as conn:
        ids = sorted(conn.execute(select(posts.c.post_id)).scalars())
        unclassified = conn.execute(select(func.count()).where(posts.c.classified_at.is_(None))).scalar_one()
        held = conn.execute(select(func.count()).select_from(quarantine)).scalar_one()
    engine.dispose()
    assert ids == ["1", "2", "3", "4", "5", "8"] and unclassified == 0 and held == 2
