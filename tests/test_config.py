"""Config loading: typed values, every problem reported at once, naming the field."""

from __future__ import annotations

import subprocess
import sys
from datetime import time, timedelta
from pathlib import Path

import pytest

from monitor.config import ConfigError, load_config, parse_config
from values.durations import format_duration, parse_duration

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = {"brands": [{"name": "Acme", "terms": ["acme"]}]}


def problems(raw: dict, env: dict | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, env=env or {})
    return info.value.problems


def test_the_shipped_example_config_is_valid() -> None:
    config = load_config(ROOT / "config.toml", env={})
    assert config.brands[0].terms
    assert "replay" in config.enabled_sources()
    assert config.enabled_sources()["replay"].path.is_absolute()


def test_defaults_and_types() -> None:
    config = parse_config({**MINIMAL, "schedule": {"timezone": "Europe/Warsaw", "digest_time": "08:30"}}, env={})
    assert config.storage.url.startswith("sqlite:///")
    assert config.schedule.digest_time == time(8, 30)
    assert config.schedule.tz.key == "Europe/Warsaw"
    assert config.slack.base_url == "https://slack.com/api/"


def test_every_problem_is_reported_at_once_with_its_field() -> None:
    found = problems(
        {
            "brands": [{"name": "Acme", "terms": "acme", "colour": "red"}],
            "schedule": {"timezone": "Mars/Olympus", "classify_interval": "5 minutes"},
            "sources": {"replay": {}, "myspace": {}},
            "storage": {"url": "mysql://db"},
        }
    )
    text = "\n".join(found)
    assert "brands.0.terms" in text and "list" in text
    assert "brands.0.colour: unknown key" in text
    assert "schedule.timezone: unknown time zone 'Mars/Olympus'" in text
    assert "schedule.classify_interval: bad duration '5 minutes'" in text
    assert "sources.replay.path: required key is missing" in text
    assert "sources.myspace: unknown key" in text
    assert "storage.url: unsupported database URL" in text
    assert len(found) >= 7


def test_a_missing_secret_env_var_is_named_with_the_fix() -> None:
    from connectors.settings import SourceSettings

    class Needy(SourceSettings):
        secret_fields = ("token_env",)
        token_env: str = "ACME_TOKEN"

    with pytest.raises(Exception) as info:
        Needy.model_validate({}, context={"env": {}})
    assert "token_env names environment variable ACME_TOKEN which is not set" in str(info.value)
    assert (
        Needy.model_validate({}, context={"env": {"ACME_TOKEN": "s3cret"}}).secret("token_env").get_secret_value()
        == "s3cret"
    )
    assert Needy.model_validate({"enabled": False}, context={"env": {}})


def test_secrets_never_appear_in_the_config_object() -> None:
    config = parse_config(MINIMAL, env={"SLACK_BOT_TOKEN": "xoxb-very-secret"})
    assert "xoxb-very-secret" not in repr(config)
    assert config.slack.token_env == "SLACK_BOT_TOKEN"


def test_duplicate_brands_and_unknown_brand_restrictions() -> None:
    text = "\n".join(
        problems(
            {
                "brands": [{"name": "A", "terms": ["a"]}, {"name": "A", "terms": ["b"]}],
            }
        )
    )
    assert "duplicate brand name" in text
    text = "\n".join(problems({**MINIMAL, "sources": {"replay": {"path": "p.jsonl", "brands": ["Nope"]}}}))
    assert "sources.replay.brands: unknown brand(s) ['Nope']" in text


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("1h30m", 5400), ("2d", 172800), ("250ms", 0.25), ("1 h", 3600)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["5 minutes", "", "m5", "10", "-5m", "0s", "5x"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_duration_round_trip() -> None:
    assert format_duration(parse_duration("1h30m")) == "1h30m"


def test_sqlite_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('[storage]\nurl = "sqlite:///data/m.db"\n[[brands]]\nname="A"\nterms=["a"]\n')
    config = load_config(tmp_path / "c.toml", env={})
    assert config.storage.url == f"sqlite:///{tmp_path / 'data' / 'm.db'}"


@pytest.mark.e2e  # the exit codes a shell or a service manager sees, from a real process
def test_check_config_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[slack]\nconsole = true\n[[brands]]\nname = "Acme"\nterms = ["acme"]\n')
    bad = tmp_path / "bad.toml"
    bad.write_text('[[brands]]\nname = "Acme"\nterms = ["acme"]\n[schedule]\ndeliver_interval = "5 minutes"\n')
    broken = tmp_path / "broken.toml"
    broken.write_text("[[brands]\n")

    def check(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "monitor", "check-config", "--config", str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )

    assert check(good).returncode == 0
    result = check(bad)
    assert result.returncode == 2
    assert "schedule.deliver_interval: bad duration '5 minutes'" in result.stderr
    assert "Traceback" not in result.stderr
    result = check(broken)
    assert result.returncode == 2 and "not valid TOML" in result.stderr
    result = check(tmp_path / "missing.toml")
    assert result.returncode == 2 and "file not found" in result.stderr
