"""Finding 6 end to end: `run --once` with a refused Slack token exits 1 naming [slack] token_env; the next run with
the corrected token delivers what was held at once (one auth.test, then the alert)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.fake_x import FakeX

ROOT = Path(__file__).resolve().parents[2]


def _run_once(config: Path, slack_token: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLACK_BOT_TOKEN": slack_token, "X_BEARER_TOKEN": "rejected-bearer", "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "monitor", "run", "--once", "--config", str(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_refused_token_fails_the_run_and_the_corrected_one_delivers_at_once(tmp_path, fake_slack) -> None:
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
        refused = _run_once(config, "xoxb-revoked-0000")
        assert refused.returncode == 1, refused.stderr
        assert "[slack] token_env" in refused.stderr and "$SLACK_BOT_TOKEN" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert [m for m, _ in fake_slack.calls] == ["auth.test"], "one rejected call, not one per alert"

        fixed = _run_once(config, fake_slack.token)
    assert fixed.returncode == 0, fixed.stderr
    assert [m for m, _ in fake_slack.calls][1:] == ["auth.test", "chat.postMessage"]
    assert "disabled" in fake_slack.messages[0].text
