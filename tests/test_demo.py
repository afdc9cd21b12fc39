"""`brand-monitor demo`: the whole pipeline on the shipped sample posts, as a new user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.demo import sample_posts_path

ROOT = Path(__file__).resolve().parents[1]


def _demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SLACK_BOT_TOKEN" and k != "BRAND_MONITOR_CONFIG"}
    env["HF_HUB_OFFLINE"] = "1"  # a model that is not local must fail fast, not wait for the network
    env["PYTHONPATH"] = str(ROOT)  # this checkout's code, whatever copy of the package is installed
    return subprocess.run(
        [sys.executable, "-m", "monitor", "demo", *args],
        cwd=tmp_path,  # no config.toml here: the demo must need none
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_the_sample_posts_cover_the_languages_and_moods_the_demo_promises() -> None:
    posts = [json.loads(line) for line in sample_posts_path().read_text(encoding="utf-8").splitlines()]
    assert len(posts) >= 24
    text = " ".join(p["text"] for p in posts)
    assert re.search(r"[ąćęłńóśźż]", text), "Polish"
    assert re.search(r"[а-яА-Я]", text), "Russian"
    assert re.search(r"[\u0600-\u06ff]", text), "Persian"
    assert len({(p["platform"], p["id"]) for p in posts}) == len(posts), "ids are unique per platform"


@pytest.mark.e2e
def test_demo_runs_the_whole_pipeline_and_prints_every_alert(tmp_path: Path, tiny_model_dir: Path) -> None:
    result = _demo(tmp_path, "--model", str(tiny_model_dir))
    assert result.returncode == 0, result.stderr
    total = len(sample_posts_path().read_text(encoding="utf-8").splitlines())
    done = re.search(r"Done: (\d+) posts stored, (\d+) classified, (\d+) alerts sent", result.stdout)
    assert done, result.stdout
    stored, classified, sent = map(int, done.groups())
    assert stored == classified == total
    alerts = [line for line in result.stdout.splitlines() if line.startswith("[#brand-alerts]")]
    assert len(alerts) == sent > 0, "every alert the demo counts is printed on the console"
    assert "Traceback" not in result.stderr


@pytest.mark.e2e
def test_demo_with_a_model_it_cannot_load_says_how_to_fix_it(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--model", str(tmp_path / "no-such-model"))
    assert result.returncode == 1
    assert "sentiment model" in result.stderr and "no-such-model" in result.stderr
    assert "does not exist" in result.stderr
    assert "--model /path/to/a/local/model" in result.stderr
    assert "Traceback" not in result.stderr
