"""Slack messages read outside Slack (the console sink, the demo, `digest --dry-run`): same facts, no markup."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from monitor.alerts.console import ConsoleSink
from monitor.alerts.messages import AlertPost, negative_post, platform_name
from monitor.alerts.outbox import Message
from monitor.alerts.sink import Delivered
from monitor.alerts.terminal import mrkdwn, render_blocks

WARSAW = ZoneInfo("Europe/Warsaw")
AT = datetime(2026, 11, 20, 16, 20, tzinfo=UTC)


def _post(**over: object) -> AlertPost:
    values: dict[str, object] = {
        "pk": 1, "platform": "x", "post_id": "9", "author": "mike_r", "text": "<!channel> *Acme* is down & out",
        "url": "https://x.com/mike_r/status/9", "created_at": AT, "followers": 1200, "negative": 0.91, "lang": "en",
    }  # fmt: skip
    values.update(over)
    return AlertPost(**values)  # type: ignore[arg-type]


def test_mrkdwn_reads_as_plain_text_with_dates_in_the_teams_zone() -> None:
    text = (
        "*Due <!date^1795191600^{date_short_pretty} {time}|2026-11-20 16:20 UTC>* <https://x.com/a|open> <@U1>"
        " :rotating_light:"
    )
    assert mrkdwn(text, zone=WARSAW) == "Due Fri 20 Nov 17:20 open (https://x.com/a) @U1 🚨"
    assert mrkdwn(text, zone=WARSAW, style="markdown") == "**Due Fri 20 Nov 17:20** [open](https://x.com/a) @U1 🚨"


def test_a_negative_alert_on_the_console_shows_score_language_reach_and_link_and_never_pings() -> None:
    out = io.StringIO()
    ConsoleSink(out, zone=WARSAW).post(negative_post("Acme", _post(), channel="#alerts"), thread=None)
    printed = out.getvalue()
    assert printed.startswith("[#alerts] ▌ Negative mention of Acme on X\n")
    for fact in ("by mike_r", "1,200 followers", "negative 91%", "language en", "posted Fri 20 Nov 17:20",
                 "open the post (https://x.com/mike_r/status/9)"):  # fmt: skip
        assert fact in printed
    # The post's own text is shown as written (a terminal cannot be pinged), with no guard characters left.
    assert "<!channel> *Acme* is down & out" in printed
    assert "\u200b" not in printed and "\u2068" not in printed and "&amp;" not in printed


def test_an_edit_on_the_console_shows_only_what_changed() -> None:
    out = io.StringIO()
    sink = ConsoleSink(out, zone=WARSAW)
    first = [
        {"type": "header", "text": {"type": "plain_text", "text": "Reply due: Acme on X"}},
        {"type": "section", "text": {"type": "plain_text", "text": "the post text"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "*Status:* open, waiting for a reply."}]},
    ]
    edited = [
        {"type": "header", "text": {"type": "plain_text", "text": "Closed: Acme on X"}},
        first[1],
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "*Status:* closed: handled in Slack."}]},
    ]
    where = sink.post(Message("k", "reply", "#replies", "fallback", blocks=first), thread=None)
    assert isinstance(where, Delivered)
    out.truncate(0), out.seek(0)
    sink.update(Message("k2", "reply_update", "#replies", "fallback", blocks=edited), target=where)
    assert out.getvalue() == "    ✎ edited: [#replies] ▌ Closed: Acme on X\n        Status: closed: handled in Slack.\n"


def test_blocks_render_dividers_context_and_buttons() -> None:
    blocks = [
        {"type": "divider"},
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Handled"}}]},
    ]
    assert render_blocks(blocks, zone=WARSAW) == ["─" * 60, "  [Handled]"]
    assert render_blocks(blocks, zone=WARSAW, buttons=False) == ["─" * 60]


def test_hacker_news_is_named_like_the_other_platforms() -> None:
    assert platform_name("hn") == "Hacker News"


def test_the_negative_alerts_fallback_times_are_in_the_teams_zone() -> None:
    message = negative_post("Acme", _post(), channel="#alerts", zone=WARSAW)
    assert "|2026-11-20 17:20 CET>" in str(message.blocks)
