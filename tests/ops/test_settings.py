"""The production sections: the commented example in config.toml is valid, and bad values name the field."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from monitor.config import ConfigError, parse_config

ROOT = Path(__file__).resolve().parents[2]
BRANDS = {"brands": [{"name": "Acme", "terms": ["acme"]}]}


def test_the_commented_production_example_is_valid() -> None:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    block = text[text.index("# Production") :]
    block = "\n".join(re.sub(r"^#\s+(\[\w+\]|\w+ = .*)$", r"\1", line) for line in block.splitlines())
    config = parse_config({**tomllib.loads(block), **BRANDS}, env={})
    assert config.observability.address == ("127.0.0.1", 9464)
    assert config.logging.format == "json"
    assert (config.retention.posts_days, config.retention.outbox_days, config.retention.enabled) == (90, 30, True)


def test_defaults_are_off() -> None:
    config = parse_config(BRANDS, env={})
    assert config.observability.address is None and not config.retention.enabled
    assert config.logging.format == "text"


@pytest.mark.parametrize(
    ("section", "values", "field"),
    [
        ("observability", {"listen": "localhost"}, "observability.listen"),
        ("logging", {"format": "xml"}, "logging.format"),
        ("retention", {"posts_days": -1}, "retention.posts_days"),
        ("retention", {"interval": "soon"}, "retention.interval"),
        ("retention", {"keep": 1}, "retention.keep"),
    ],
)
def test_bad_values_name_the_field(section, values, field) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({**BRANDS, section: values}, env={})
    assert any(p.startswith(field) for p in raised.value.problems), raised.value.problems
