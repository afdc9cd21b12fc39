"""Finding 6 end to end: `run --once` with a refused Slack token exits 1 naming [slack] token_env; the next run with
the corrected token delivers what was held at once (one auth.test, then the alert)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import cli
from tests.conftest import Clock
from tests.support.fake_x import FakeX


def _run_once(config: Path, slack_token: str, *, clock: Clock, monkeypatch, capsys) -> tuple[int, str]:
    """`brand-monitor run --once` in-process with these secrets in the environment: (exit code, stderr)."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_token)
    monkeypatch.setenv("X_BEARER_TOKEN", "rejected-bearer")
    code = cli.main(["run", "--once", "--config", str(config)], clock=clock, sleep=clock.sleep)
    return code, capsys.readouterr().err


def test_a_refused_token_fails_the_run_and_the_corrected_one_delivers_at_once(
    tmp_path, fake_slack, clock, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    with FakeX(bearer_token="the-right-one") as x:  # X refuses us too: that is what makes an ops alert to send
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[storage]
url = "sqlite:///{tmp_path / 'd.db'}"
[slack]
base_url = "{fake_slack.base_url}"
timeout = "2s"
[[brands]]
name = "Acme"
terms = ["acme"]
[sources.x]
base_url = "{x.base_url}"
timeout = "2s"
""",
            encoding="utf-8",
        )
        code, err = _run_once(config, "xoxb-revoked-0000", clock=clock, monkeypatch=monkeypatch, capsys=capsys)
        assert code == 1, err
        assert "[slack] token_env" in err and "$SLACK_BOT_TOKEN" in err
        assert "Traceback" not in err
        assert [m for m, _ in fake_slack.calls] == ["auth.test"], "one rejected call, not one per alert"

        clock.advance(minutes=1)  # the operator fixes the token and runs it again
        code, err = _run_once(config, fake_slack.token, clock=clock, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, err
    assert [m for m, _ in fake_slack.calls][1:] == ["auth.test", "chat.postMessage"]
    assert "disabled" in fake_slack.messages[0].text
