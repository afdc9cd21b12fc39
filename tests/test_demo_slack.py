"""Issue 17: with a bot token the demo posts the same story to Slack: threads, edits, the spike, the digest and
its chart (a local Slack speaking the Web API; a keyword classifier stands in for the model)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from models.base import Sentiment
from monitor.demo import run_demo
from tests.support.fake_slack import FakeSlack

NEGATIVE = re.compile(
    r"down|outage|worst|refund|scam|charged|awaria|nie działa|leży|не работает|сбой|قطع|کار نمی", re.IGNORECASE
)


class Keywords:
    """Negative on outage and complaint words, else neutral: predictable labels without weights."""

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        return [
            Sentiment("negative", 0.9, 0.9, lang="en") if NEGATIVE.search(t) else Sentiment("neutral", 0.8, 0.1)
            for t in texts
        ]


def test_with_a_bot_token_the_demo_tells_the_story_in_slack(
    tmp_path: Path, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.toml").write_text(
        f"""
[slack]
console = false
base_url = "{fake_slack.base_url}"
min_interval = "1ms"
[[brands]]
name = "Mine"
terms = ["mine"]
""",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.delenv("BRAND_MONITOR_CONFIG", raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert run_demo(out=out, err=err, classifier=Keywords()) == 0, err.getvalue()
    assert "Alerts: posted to Slack: #brand-alerts, #brand-replies, #brand-digest." in out.getvalue()

    def posted(channel: str) -> list:  # type: ignore[type-arg]
        cid = fake_slack.channel_id(channel)
        return [m for m in fake_slack.messages if m.channel == cid]

    threads = [m for m in posted("#brand-replies") if m.thread_ts is None]
    dana = next(m for m in threads if "dana_k" in str(m.blocks))
    assert dana.blocks[0]["text"]["text"] == "Closed: Acme on X"  # edited in place when the brand answered
    assert "closed: the brand replied on the platform" in str(dana.blocks) and dana.edits
    tomw = next(m for m in threads if "tomw" in str(m.blocks))
    versions = str([tomw.blocks, *tomw.edits])
    assert "thanks for asking!" in versions and "sorry" not in versions.lower()  # a question, not an apology
    # The outage is one incident: its thread carries the spike's explanation, updates and all-clear.
    incident = next(m for m in threads if m.blocks[0]["text"]["text"] == "Incident: spike in negative mentions of Acme")
    in_it = [m for m in posted("#brand-replies") if m.thread_ts == incident.ts]
    assert any(m.blocks and m.blocks[0]["text"]["text"] == "Spike in negative mentions of Acme" for m in in_it)
    assert any("Resolved: back to baseline" in m.text for m in in_it)
    digest = [m for m in posted("#brand-digest") if m.blocks]
    assert digest and digest[0].blocks[0]["text"]["text"] == "Digest so far: Fri 20 Nov 2026"
    (chart,) = fake_slack.files.values()
    assert chart.name.startswith("brand-digest-2026-11-20-")
    assert chart.shared_in == [fake_slack.channel_id("#brand-digest")]
    assert "Digest chart: uploaded to Slack with it" in out.getvalue()
