"""Finding 3: the key-less Bluesky and Mastodon set-ups (no ``*_env`` secrets) start and poll."""

from __future__ import annotations

import os

import pytest

from monitor import cli
from tests.support.fake_bluesky import FakeBluesky
from tests.support.fake_mastodon import FakeMastodon


def test_run_once_with_keyless_bluesky_and_mastodon_polls_both(
    tmp_path, fake_slack, clock, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
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
        for name in [name for name in os.environ if name.startswith(("BSKY_", "MASTODON_"))]:
            monkeypatch.delenv(name)  # no keys at all
        monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.token)
        code = cli.main(["run", "--once", "--config", str(config)], clock=clock, sleep=clock.sleep)
        err = capsys.readouterr().err
        assert code == 0, err
        assert "Traceback" not in err
        assert any("searchPosts" in path for _, path, _ in bsky.requests)
        assert any("/timelines/tag/acme" in path for _, path, _ in masto.requests)
