"""``brand-monitor digest``: --dry-run prints and writes the chart without sending; a send happens once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor import cli
from monitor.storage import migrate
from monitor.storage.engine import make_engine
from monitor.storage.schema import digest_runs, outbox
from tests.conftest import Clock
from tests.digest import scenario
from tests.support.fake_slack import FakeSlack


def main(argv: list[str]) -> int:
    """`brand-monitor ARGV` in-process, at the time the scenario's digest is due."""
    clock = Clock(scenario.NOW)
    return cli.main(argv, clock=clock, sleep=clock.sleep)


def write_config(tmp_path: Path, db_url: str, slack_url: str = "https://slack.invalid/api/") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[storage]
url = "{db_url}"
[slack]
base_url = "{slack_url}"
digest_channel = "#digest"
min_interval = "1ms"
[schedule]
timezone = "Europe/Warsaw"
[[brands]]
name = "Acme"
terms = ["acme"]
""",
        encoding="utf-8",
    )
    return path


def seeded(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'bm.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    scenario.seed_week(engine)
    engine.dispose()
    return url


def counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        runs = conn.execute(select(func.count()).select_from(digest_runs)).scalar_one()
        queued = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
    engine.dispose()
    return runs, queued


def test_dry_run_prints_the_digest_and_the_chart_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = seeded(tmp_path)
    chart = tmp_path / "chart.png"
    config = write_config(tmp_path, url)
    assert main(["digest", "--config", str(config), "--date", "2026-03-29", "--dry-run", "--chart", str(chart)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("▌ Daily digest: Sun 29 Mar 2026\n")
    assert "6 mentions (+50% vs last week's 4)" in out
    assert out.rstrip().endswith(f"Chart: {chart}")
    # Plain text: no Slack markup, escapes, date tokens or invisible guard characters.
    assert not any(mark in out for mark in ("*6 mentions*", "<!date^", "&lt;", "&amp;", "```", "\u200b", "\u2068"))
    assert chart.read_bytes()[:4] == b"\x89PNG"
    assert counts(url) == (0, 0)  # nothing queued, nothing recorded


def test_bad_date_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, seeded(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        main(["digest", "--config", str(config), "--date", "29/03/2026", "--dry-run"])
    assert exit_info.value.code == 2
    assert "use YYYY-MM-DD" in capsys.readouterr().err


def test_send_delivers_once(tmp_path: Path, fake_slack: FakeSlack, monkeypatch, capsys) -> None:
    url = seeded(tmp_path)
    config = write_config(tmp_path, url, fake_slack.base_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.token)
    assert main(["digest", "--config", str(config), "--date", "2026-03-29"]) == 0
    assert main(["digest", "--config", str(config), "--date", "2026-03-29"]) == 0
    out = capsys.readouterr().out
    assert "digest 2026-03-29 sent to #digest" in out and "already queued; not sent again" in out
    delivered = fake_slack.keys()
    assert [k for k in delivered if k] == ["digest:2026-03-29:#digest"]
    assert sum(1 for m in fake_slack.messages if m.files) == 1
    assert counts(url) == (1, 1)
