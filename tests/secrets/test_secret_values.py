"""Secrets as a type: read once from the env mapping given at load, never printed, all of them known to the redactor."""

from __future__ import annotations

import copy
import pickle

import pytest

from connectors.base import Cursor, Query
from connectors.x import XConnector, XSettings
from monitor.config import parse_config
from tests.conftest import Clock
from tests.support.fake_x import FakeX
from values.redaction import MASK, Redactor
from values.secrets import MissingSecret, Secret

BRANDS = {"brands": [{"name": "Acme", "terms": ["acme"]}]}


def test_a_secret_names_its_variable_and_never_shows_its_value() -> None:
    secret = Secret("hunter2-value", source="DB_PASSWORD")
    assert "hunter2" not in str(secret) + repr(secret) + f"{secret}" + repr([secret])
    assert "DB_PASSWORD" in str(secret) and secret.get_secret_value() == "hunter2-value"
    assert secret == Secret("hunter2-value", source="OTHER") and secret != Secret("other", source="DB_PASSWORD")
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert copy.deepcopy(secret) is secret


def test_every_secret_is_read_once_from_the_given_env_and_optional_ones_are_simply_absent(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-process-env")  # must not be read: env= says otherwise
    env = {
        "SLACK_BOT_TOKEN": "xoxb-given",
        "SLACK_APP_TOKEN": "app-level-given",
        "REDDIT_CLIENT_ID": "rid-given",
        "REDDIT_CLIENT_SECRET": "rsecret-given",
        "X_OFF": "x-bearer-of-a-disabled-source",
    }
    config = parse_config(
        {
            **BRANDS,
            "replies": {"enabled": True},
            "sources": {
                "reddit": {},
                "x": {"enabled": False, "bearer_token_env": "X_OFF"},
                "bluesky": {},  # key-less: identifier_env / password_env not configured
                "mastodon": {"instances": ["https://mastodon.example"]},  # no access_token_env
            },
        },
        env=env,
    )
    assert config.slack.token == Secret("xoxb-given", source="SLACK_BOT_TOKEN")
    assert sorted(s.get_secret_value() for s in config.secrets()) == sorted(env.values())
    assert not config.sources.bluesky.secrets() and not config.sources.mastodon.secrets()
    with pytest.raises(MissingSecret, match="not configured"):
        config.sources.mastodon.secret("access_token_env")
    assert "given" not in repr(config) + config.model_dump_json()


def test_the_redactor_is_derived_from_the_config_whatever_the_variables_are_called() -> None:
    config = parse_config(
        {**BRANDS, "replies": {"enabled": True, "app_token_env": "MY_APP"}, "slack": {"token_env": "BOT"}},
        env={"MY_APP": "plain-app-level-value", "BOT": "plain-bot-value-1"},
    )
    redactor = Redactor.for_config(config)
    line = "refused plain-app-level-value and plain-bot-value-1 and plain%2Dbot is fine"
    assert redactor(line) == f"refused {MASK} and {MASK} and plain%2Dbot is fine"
    in_url = parse_config({**BRANDS, "storage": {"url": "postgresql://bm:db-pass%21word@db/bm"}}, env={})
    assert Redactor.for_config(in_url)("login db-pass!word refused") == f"login {MASK} refused"
    # Re-encoded on the way into a message: URL-encoded or JSON-escaped.
    tricky = Redactor(['pa ss"word/1'])
    assert "pa%20ss%22word%2F1" not in tricky("body=pa%20ss%22word%2F1")
    assert 'pa ss\\"word/1' not in tricky('{"x": "pa ss\\"word/1"}')


@pytest.mark.parametrize(
    "line",
    [
        "socket mode with xapp-1-A01B2C3D4E5-1234567890-abcdef refused",
        "refresh xoxe.xoxp-1-Mi0yLTEyMzQ1Ng and xoxe-1-My0xLTIzNDU2Nzg5",
        "bot xoxb-1234-5678-AbCdEfGh",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc123",
        "header Basic dXNlcjpwYXNzd29yZDEyMw==",
        '{"accessJwt": "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ", "password": "hunter22hunter"}',
        "POST /token grant_type=password&password=correct-horse&client_secret=s3cr3tvalue",
        "access_token=abcdef123456&next=1",
    ],
)
def test_token_shapes_are_masked_without_being_configured(line: str) -> None:
    masked = Redactor()(line)
    for secret in (
        "xapp-1-A01B2C3D4E5",
        "Mi0yLTEyMzQ1Ng",
        "My0xLTIzNDU2Nzg5",
        "AbCdEfGh",
        "eyJhbGciOiJIUzI1NiJ9",
        "dXNlcjpwYXNzd29yZDEyMw",
        "eyJ0eXAiOiJhdCtqd3Qi",
        "hunter22hunter",
        "correct-horse",
        "s3cr3tvalue",
        "abcdef123456",
    ):
        assert secret not in masked, masked
    assert MASK in masked


def test_ordinary_text_is_left_alone() -> None:
    redactor = Redactor()
    for line in (
        "an ordinary line about tokens and passwords",
        "Basic plan, bearer of bad news",
        "credentials rejected: check X_BEARER_TOKEN",
    ):
        assert redactor(line) == line


def test_a_connector_uses_the_secret_its_settings_read_not_the_process_env(monkeypatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", "the-wrong-one-from-os-environ")
    clock = Clock()
    with FakeX(bearer_token="the-right-one", clock=clock) as x:
        x.tweet("acme rocks")
        clock.advance(seconds=5)
        settings = XSettings.model_validate(
            {"base_url": x.base_url, "settle": "1s", "timeout": "2s"},
            context={"env": {"X_BEARER_TOKEN": "the-right-one"}},
        )
        pages = list(XConnector(settings, clock=clock).fetch(Query("Acme", ("acme",)), Cursor()))
    assert sum(len(p.posts) for p in pages) == 1
