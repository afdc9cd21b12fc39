"""The commented source sections (Reddit, X and the key-less ones) of the example config.toml are valid as written."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from monitor.config import ConfigError, parse_config

ROOT = Path(__file__).resolve().parents[2]


def _uncommented(enabled: bool) -> dict:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r"^# (\[sources\.(reddit|x|hn|bluesky|mastodon|rss)\]|\w+ = .*)$", r"\1", text, flags=re.MULTILINE)
    text = text.replace("enabled = false", f"enabled = {str(enabled).lower()}")
    return tomllib.loads(text)


def test_example_sections_parse_disabled_without_keys() -> None:
    config = parse_config(_uncommented(False), base_dir=ROOT, env={})
    assert config.sources.reddit is not None and config.sources.x is not None
    assert all(getattr(config.sources, name) is not None for name in ("hn", "bluesky", "mastodon", "rss"))
    assert set(config.enabled_sources()) == {"replay"}


def test_enabled_without_keys_names_each_variable_to_export() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(_uncommented(True), base_dir=ROOT, env={})
    text = str(raised.value)
    assert "REDDIT_CLIENT_ID" in text and "REDDIT_CLIENT_SECRET" in text and "X_BEARER_TOKEN" in text
    assert "BSKY_IDENTIFIER" in text and "BSKY_APP_PASSWORD" in text and "MASTODON_TOKEN" in text


def test_enabled_with_keys_in_the_environment() -> None:
    env = {
        "REDDIT_CLIENT_ID": "a",
        "REDDIT_CLIENT_SECRET": "b",
        "X_BEARER_TOKEN": "c",
        "BSKY_IDENTIFIER": "d",
        "BSKY_APP_PASSWORD": "e",
        "MASTODON_TOKEN": "f",
    }
    config = parse_config(_uncommented(True), base_dir=ROOT, env=env)
    assert set(config.enabled_sources()) == {"replay", "reddit", "x", "hn", "bluesky", "mastodon", "rss"}
    assert config.sources.mastodon.instances == ("https://mastodon.social", "https://fosstodon.org")
    assert "{query}" in config.sources.rss.feeds[0]
    assert config.brands[0].handles_on("bluesky") == ("acme.bsky.social",)
    assert config.sources.x.monthly_post_budget == 10000
    assert config.sources.reddit.subreddits == ("acme", "BuyItForLife")
