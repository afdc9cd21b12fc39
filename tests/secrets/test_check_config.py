"""Finding 8: check-config checks what it can (storage, files, secrets; --online: Slack and sources), and `run`
with storage it cannot open says so in a line naming [storage] url, without a traceback."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from monitor import cli
from tests.support.databases import PG_ADMIN_URL, postgres_available
from tests.support.fake_hn import FakeHN
from tests.support.fake_x import FakeX

BRAND = '[[brands]]\nname = "Acme"\nterms = ["acme"]\n'


def _write(tmp_path: Path, body: str, *, storage: str | None = None) -> Path:
    url = storage or f"sqlite:///{tmp_path / 'ok.db'}"
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\nurl = "{url}"\n{body}\n{BRAND}', encoding="utf-8")
    return path


def _check(capsys, config: Path, *args: str) -> tuple[int, str]:
    code = cli.main(["check-config", "--config", str(config), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def run_once(capsys, clock, monkeypatch):
    """`brand-monitor run --once --config CONFIG` in-process, with no Slack token set: (exit code, stderr)."""
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)

    def run(config: Path) -> tuple[int, str]:
        code = cli.main(["run", "--once", "--config", str(config)], clock=clock, sleep=clock.sleep)
        return code, capsys.readouterr().err

    return run


def test_a_console_only_config_with_what_it_needs_is_ok(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    code, text = _check(capsys, _write(tmp_path, "[slack]\nconsole = true"))
    assert code == 0 and "OK" in text and "alerts: console" in text


def test_storage_at_an_unusable_path_is_named_by_check_config_and_run(tmp_path, capsys, run_once) -> None:
    (tmp_path / "afile").write_text("not a directory")
    config = _write(tmp_path, "[slack]\nconsole = true", storage=f"sqlite:///{tmp_path / 'afile' / 'db' / 'x.db'}")
    code, text = _check(capsys, config)
    assert code == 2 and "storage.url: cannot create" in text and "is a file, not a directory" in text
    code, err = run_once(config)
    assert code == 2, err
    assert "Traceback" not in err and "[storage] url" in err
    assert len(err.strip().splitlines()) <= 3


@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL is not reachable on 127.0.0.1:5432")
def test_a_postgresql_database_that_does_not_exist_is_one_clear_line(tmp_path, capsys, run_once) -> None:
    name = f"bm_missing_{uuid.uuid4().hex[:8]}"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    config = _write(tmp_path, "[slack]\nconsole = true", storage=url)
    code, text = _check(capsys, config)
    assert code == 2 and f'storage.url: database "{name}" does not exist' in text and "createdb" in text
    code, err = run_once(config)
    assert code == 2 and "Traceback" not in err, err
    assert "does not exist" in err and len(err.strip().splitlines()) <= 3


def test_a_postgresql_server_that_does_not_answer_fails_run_with_exit_1(tmp_path, capsys, run_once) -> None:
    config = _write(tmp_path, "[slack]\nconsole = true", storage="postgresql://postgres:pw-in-url@127.0.0.1:1/brand")
    code, text = _check(capsys, config)
    assert code == 2 and "storage.url: the PostgreSQL server at 127.0.0.1:1 does not answer" in text
    assert "pw-in-url" not in text
    code, err = run_once(config)  # may come back by itself: a runtime failure, so a service manager retries
    assert code == 1 and "Traceback" not in err and "[storage] url" in err


def test_unset_secret_variables_are_errors_unless_slack_is_console_only(
    tmp_path, capsys, monkeypatch, run_once
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    code, text = _check(capsys, _write(tmp_path, "[replies]\nenabled = true"))
    assert code == 2
    assert "slack.token_env: environment variable SLACK_BOT_TOKEN (the bot token) is not set" in text
    assert "[slack] console = true" in text
    assert "replies.app_token_env: environment variable SLACK_APP_TOKEN" in text
    # run refuses too, rather than sending alerts silently to the console.
    code, err = run_once(_write(tmp_path, ""))
    assert code == 2 and "slack.token_env" in err and "Traceback" not in err
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-set")
    code, text = _check(capsys, _write(tmp_path, "[replies]\nenabled = true\nsocket_mode = false"))
    assert code == 0, text


def test_referenced_files_must_exist(tmp_path, capsys) -> None:
    config = _write(
        tmp_path,
        f'[slack]\nconsole = true\n[classifier]\nmodel = "{tmp_path / "no-model"}"\nbackend = "onnx"\n'
        f'onnx_model = "{tmp_path / "m.onnx"}"\n[sources.replay]\npath = "missing.jsonl"',
    )
    code, text = _check(capsys, config)
    assert code == 2 and "3 problem(s)" in text
    assert f"sources.replay.path: {tmp_path / 'missing.jsonl'} is not a file" in text
    assert f"classifier.model: model directory {tmp_path / 'no-model'} does not exist" in text
    assert "classifier.onnx_model:" in text and "model export" in text


def test_online_asks_slack_and_each_source_within_the_time_limit(tmp_path, capsys, monkeypatch, fake_slack) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-the-one")
    monkeypatch.setenv("X_BEARER_TOKEN", "wrong-bearer")
    with FakeX(bearer_token="right-bearer") as x, FakeHN() as hn:
        hn.hang_seconds = 2.0
        hn.fault("timeout", times=5)
        config = _write(
            tmp_path,
            f'[slack]\nbase_url = "{fake_slack.base_url}"\n'
            f'[sources.x]\nbase_url = "{x.base_url}"\ntimeout = "5s"\n'
            f'[sources.hn]\nbase_url = "{hn.base_url}"\ntimeout = "5s"',
        )
        code, text = _check(capsys, config, "--online", "--timeout", "0.5")
        assert code == 2, text
        assert "slack.token_env: Slack refused auth.test" in text and "invalid_auth" in text
        assert "sources.x: credentials rejected" in text
        assert "sources.hn: no answer within 0.5s" in text
        assert "wrong-bearer" not in text and "xoxb-not-the-one" not in text

        monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.token)
        monkeypatch.setenv("X_BEARER_TOKEN", "right-bearer")
        hn.clear_faults()
        code, text = _check(capsys, config, "--online", "--timeout", "10")
        assert code == 0 and "online checks passed" in text, text
    assert "auth.test" in [m for m, _ in fake_slack.calls]
