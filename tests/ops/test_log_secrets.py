"""Secrets in the environment never reach the logs, in text or JSON, even at DEBUG with failing credentials."""

from __future__ import annotations

import json
import logging
import sys

from monitor import cli
from tests.support.fake_x import FakeX
from values.redaction import MASK, RedactingFormatter, Redactor, redact

SLACK_TOKEN = "xoxb-1111-2222-sEcReTsLaCk"
X_TOKEN = "AAAAbearer-very-secret-value-42"


def test_a_daemon_with_rejected_credentials_never_logs_them(tmp_path, fake_slack, clock, monkeypatch, capfd) -> None:
    with FakeX(bearer_token="the-right-one") as x:  # our token is wrong: 401, the source is disabled
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[storage]
url = "sqlite:///{tmp_path / 'd.db'}"
[slack]
base_url = "{fake_slack.base_url}"
timeout = "2s"
[logging]
format = "json"
level = "DEBUG"
[[brands]]
name = "Acme"
terms = ["acme"]
[sources.x]
base_url = "{x.base_url}"
timeout = "2s"
""",
            encoding="utf-8",
        )
        monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_TOKEN)
        monkeypatch.setenv("X_BEARER_TOKEN", X_TOKEN)
        # In-process, with file descriptors 1 and 2 captured: whatever anything writes, Python or not, is read.
        code = cli.main(["run", "--once", "--config", str(config)], clock=clock, sleep=clock.sleep)
        out, err = capfd.readouterr()
    # Slack refused the bot token too (the fake expects another): the ops alert waits, and the run says so.
    assert code == 1, err
    logged = out + err
    assert "credentials rejected" in logged or "disabled" in logged  # the failure itself is logged
    assert SLACK_TOKEN not in logged and X_TOKEN not in logged
    assert "invalid_auth" in logged or fake_slack.calls  # Slack refused our token (fake expects another)
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines)  # every line is one JSON object


def test_the_formatter_masks_messages_arguments_and_tracebacks() -> None:
    formatter = RedactingFormatter(logging.Formatter("%(message)s"), Redactor(["s3cr3t-value"]))
    try:
        raise RuntimeError("boom with s3cr3t-value inside")
    except RuntimeError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "with %s", ("s3cr3t-value",), sys.exc_info())
    text = formatter.format(record)
    assert "s3cr3t-value" not in text and text.count(MASK) >= 2  # message and traceback


def test_token_shapes_are_masked_without_being_configured() -> None:
    line = "headers={'Authorization': 'Bearer abc.def-123'} token=xoxb-12345-abcdef password=hunter22x"
    masked = redact(line)
    assert "abc.def-123" not in masked and "xoxb-12345-abcdef" not in masked and "hunter22x" not in masked
    assert redact("an ordinary line about tokens") == "an ordinary line about tokens"
