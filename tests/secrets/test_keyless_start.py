"""Finding 3: the key-less Bluesky and Mastodon set-ups (no ``*_env`` secrets) start and poll."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.fake_bluesky import FakeBluesky
from tests.support.fake_mastodon import FakeMastodon

ROOT = Path(__file__).resolve().parents[2]


def test_run_once_with_keyless_bluesky_and_mastodon_polls_both(tmp_path, fake_slack) -> None:
    with FakeBluesky() as bsky, FakeMastodon() as masto:
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[storage]
url = "sqlite:///{tmp_path / "d.db"}"
[slack]
base_url = "{fake_slack.base_url}"
timeout = "2s"
[[brands]]
name = "Acme"
terms = ["acme"]
[sources.bluesky]
base_url = "{bsky.base_url}"
timeout = "2s"
[sources.mastodon]
instances = ["{masto.base_url}"]
timeout = "2s"
""",
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BSKY_", "MASTODON_"))}
        env.update({"SLACK_BOT_TOKEN": fake_slack.token, "HF_HUB_OFFLINE": "1"})
        out = subprocess.run(
            [sys.executable, "-m", "monitor", "run", "--once", "--config", str(config)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        assert "Traceback" not in out.stderr
        assert any("searchPosts" in path for _, path, _ in bsky.requests)
        assert any("/timelines/tag/acme" in path for _, path, _ in masto.requests)
