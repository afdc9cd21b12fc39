"""Fuzz config loading: any TOML text or mapping gives a Config or a ConfigError naming the problem, never a crash."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.config import Config, ConfigError, load_config, parse_config
from tests.fuzz.strategies import json_values, mutations

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "X_BEARER_TOKEN": "b", "REDDIT_CLIENT_ID": "i", "REDDIT_CLIENT_SECRET": "s"}

VALID = {
    "storage": {"url": "sqlite:///bm.db", "echo": False},
    "classifier": {"model": "some/model", "batch_size": 32, "negative_threshold": 0.5},
    "slack": {"token_env": "SLACK_BOT_TOKEN", "alerts_channel": "#a", "min_interval": "1s", "timeout": "15s"},
    "schedule": {"timezone": "Europe/Warsaw", "digest_time": "09:00", "classify_interval": "30s"},
    "alerts": {"negative_posts": True},
    "observability": {"listen": "127.0.0.1:9464", "stale_after_intervals": 3},
    "logging": {"format": "json", "level": "INFO"},
    "retention": {"posts_days": 90, "outbox_days": 30, "interval": "1h", "batch_size": 500},
    "brands": [{"name": "Acme", "terms": ["acme", "#acme"], "handles": {"x": "acme", "reddit": ["a", "b"]}}],
    "sources": {
        "replay": {"path": "posts.jsonl", "mode": "live", "speed": 60, "interval": "1m"},
        "x": {"bearer_token_env": "X_BEARER_TOKEN", "languages": ["en"], "interval": "15m"},
        "reddit": {"client_id_env": "REDDIT_CLIENT_ID", "client_secret_env": "REDDIT_CLIENT_SECRET",
                   "user_agent": "test/1.0", "subreddits": ["acme"]},
    },
}

VALID_TOML = """
[storage]
url = "sqlite:///bm.db"
[slack]
alerts_channel = "#a"
min_interval = "1s"
[schedule]
timezone = "UTC"
digest_time = "09:00"
[retention]
posts_days = 90
[[brands]]
name = "Acme"
terms = ["acme"]
handles = { x = "acme" }
[sources.replay]
path = "posts.jsonl"
interval = "1m"
"""


def test_the_samples_are_valid() -> None:
    assert isinstance(parse_config(VALID, env=ENV), Config)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.toml"
        path.write_text(VALID_TOML, encoding="utf-8")
        assert isinstance(load_config(path, env=ENV), Config)


@FUZZ
@given(st.one_of(mutations(VALID), mutations(VALID), st.dictionaries(st.text(max_size=12), json_values, max_size=5)))
def test_any_mapping_is_a_config_or_a_config_error(raw) -> None:
    try:
        config = parse_config(raw, env=ENV)
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        return
    assert isinstance(config, Config)


@st.composite
def edited_toml(draw: st.DrawFn) -> str:
    text = VALID_TOML
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 8))
        text = text[:at] + draw(st.text(max_size=8)) + text[at + cut :]
    return text


@FUZZ
@given(st.one_of(edited_toml(), st.text(max_size=200)))
def test_any_file_is_a_config_or_a_config_error(text) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_config(path, env=ENV)
        except ConfigError as exc:
            assert exc.problems
