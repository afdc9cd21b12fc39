"""Finding 7: with JSON logging every line on stderr is JSON, model loading included (no progress bars)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_post, write_posts

ROOT = Path(__file__).resolve().parents[2]
# Real processes: what reaches the process's stderr, from the first import on (library warnings, progress bars,
# an uncaught exception), is the point.
pytestmark = pytest.mark.e2e


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_HUB_DISABLE", "TQDM", "SLACK_"))}
    return {**env, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


def _json_lines(stderr: str) -> list[dict]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON line on stderr: {line!r}") from None
    return parsed


def test_run_once_with_json_logging_writes_only_json_on_stderr(tmp_path, tiny_model_dir) -> None:
    posts = write_posts(tmp_path / "posts.jsonl", [make_post(1, "acme support is terrible"), make_post(2, "acme ok")])
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[storage]
url = "sqlite:///{tmp_path / "d.db"}"
[classifier]
model = "{tiny_model_dir}"
[slack]
console = true
[logging]
format = "json"
[[brands]]
name = "Acme"
terms = ["acme"]
[sources.replay]
path = "{posts}"
""",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "run", "--once", "--config", str(config)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    records = _json_lines(result.stderr)
    assert any(r["logger"] == "models.loading" and "loaded" in r["message"] for r in records)
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)


def test_log_json_flag_covers_classify_too(tmp_path, tiny_model_dir) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[classifier]\nmodel = "{tiny_model_dir}"\n[[brands]]\nname = "A"\nterms = ["a"]\n')
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "--log-json", "classify", "--config", str(config)],
        cwd=ROOT,
        env=_env(),
        input='{"text": "acme support is terrible"}\n',
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["label"] in {"negative", "neutral", "positive"}
    assert any("loaded" in r["message"] for r in _json_lines(result.stderr))


def test_a_crash_is_one_masked_json_line_too(tmp_path) -> None:
    script = (
        "from monitor import logs\n"
        "from values import redaction\n"
        "redaction.install(redaction.Redactor(['configured-secret-1']))\n"
        "logs.configure(json_lines=True)\n"
        "raise RuntimeError('boom: configured-secret-1 xapp-1-A0B1C2-99887766')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    (record,) = _json_lines(result.stderr)
    assert record["level"] == "critical" and "RuntimeError: boom" in record["exception"]
    assert "configured-secret-1" not in result.stderr and "xapp-1-A0B1C2" not in result.stderr
