"""`brand-monitor demo`: the whole pipeline on the shipped sample posts, as a new user runs it."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.demo import run_demo, sample_posts_path

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


@dataclass(frozen=True)
class Played:
    out: str
    err: str
    code: int
    charts: Path


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Played:
    """The demo, run once in this process on its manual clock, as `brand-monitor demo --model DIR` runs it."""
    here = tmp_path_factory.mktemp("demo")
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(here)  # no config.toml here: the demo must need none
        mp.delenv("SLACK_BOT_TOKEN", raising=False)
        mp.delenv("BRAND_MONITOR_CONFIG", raising=False)
        code = run_demo(model=str(tiny_model_dir), out=out, err=err, chart_dir=here / "charts")
    return Played(out.getvalue(), err.getvalue(), code, here / "charts")


def test_the_demo_tells_the_morning_in_the_teams_zone(played: Played) -> None:
    assert played.code == 0, played.err
    out = played.out
    # The first post is 07:00 UTC: the console speaks Warsaw time (CET), as the config's [schedule] does.
    assert "Times are in Europe/Warsaw." in out
    markers = re.findall(r"^── (\d\d:\d\d) ─", out, flags=re.MULTILINE)
    assert markers[0] == "08:00" and markers == sorted(markers)
    # What the console shows is Slack's blocks read in a terminal: no markup, escapes or guard characters.
    for leftover in ("<!date^", "*Status:*", "\u200b", "&amp;", "&lt;"):
        assert leftover not in out


def test_the_demo_opens_a_reply_thread_and_closes_it_when_the_brand_answers(played: Played) -> None:
    out = played.out
    opened = out.index("[#brand-replies] ▌ Reply due: Acme on X")
    assert "Why: negative (100%); mentions @AcmeSupport" in out[opened:]
    assert (
        "by dana_k · reach 1,840 · sentiment negative" in out
        and "open the post (https://x.com/dana_k/status/1001)" in out
    )
    closed = out.index(
        "Status: closed: the brand replied on the platform Fri 20 Nov 08:35, 25 min before the deadline."
    )
    assert opened < closed
    # Unanswered past its deadline: escalated in its thread, and the digest lists it as a breach.
    assert "No reply yet, overdue by 2 min (due Fri 20 Nov 09:08): high priority post by mike_r." in out
    assert "High priority · Due Fri 20 Nov 09:08 · overdue by 2 min" in out  # the alert, edited


def test_the_demo_shows_the_outage_as_a_spike(played: Played) -> None:
    out = played.out
    incident = out.index("[#brand-replies] ▌ Incident: spike in negative mentions of Acme")
    spike = out.index("↳ [#brand-replies] ▌ Spike in negative mentions of Acme", incident)
    assert "Where: X" in out[spike:] and "Languages: en" in out[spike:]
    assert "Resolved: back to baseline" in out[spike:]


def test_the_demo_prints_what_it_stored_and_the_digest_with_its_chart(played: Played) -> None:
    out = played.out
    total = len(sample_posts_path().read_text(encoding="utf-8").splitlines())
    table = out[out.index("What was stored and how it was labelled") : out.index("The digest of the day so far")]
    rows = [line for line in table.splitlines() if re.match(r"^\d\d:\d\d  ", line)]
    assert len(rows) == total
    assert any("dana_k" in r and "reply queue: replied (outage)" in r for r in rows)
    assert any("AcmeSupport" in r and "the brand's own post" in r for r in rows)
    digest = out[out.index("The digest of the day so far") :]
    assert "[#brand-digest] ▌ Digest so far: Fri 20 Nov 2026" in digest
    assert "Spikes: 1" in digest and "Breaches" in digest
    chart = re.search(r"^Digest chart: (.+\.png)$", out, flags=re.MULTILINE)
    assert chart, out[-500:]
    path = Path(chart.group(1))
    assert path.parent == played.charts and path.read_bytes()[:4] == b"\x89PNG"
    done = re.search(
        r"Done: (\d+) posts stored, (\d+) classified .*; (\d+) reply threads \((\d+) closed\); (\d+) spike", out
    )
    assert done, out[-500:]
    stored, classified, threads, closed, spikes = map(int, done.groups())
    assert stored == classified == total and threads >= 3 and closed == 2 and spikes == 1


@pytest.mark.e2e
def test_the_demo_command_plays_the_morning_as_a_process(tmp_path: Path, tiny_model_dir: Path) -> None:
    result = _demo(tmp_path, "--model", str(tiny_model_dir))
    assert result.returncode == 0, result.stderr
    assert "Reply due: Acme on X" in result.stdout and "Incident: spike in negative mentions of Acme" in result.stdout
    chart = re.search(r"^Digest chart: (.+\.png)$", result.stdout, flags=re.MULTILINE)
    assert chart and Path(chart.group(1)).read_bytes()[:4] == b"\x89PNG"
    # The story is on stdout; routine INFO logs would bury it, so stderr holds none (nor a traceback).
    assert " INFO " not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.e2e
def test_demo_with_a_model_it_cannot_load_says_how_to_fix_it(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--model", str(tmp_path / "no-such-model"))
    assert result.returncode == 1
    assert "sentiment model" in result.stderr and "no-such-model" in result.stderr
    assert "does not exist" in result.stderr
    assert "--model /path/to/a/local/model" in result.stderr
    assert "Traceback" not in result.stderr
