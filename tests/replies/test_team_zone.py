"""Issue 17: every time a person reads is in the team's zone; overdue says by how much; status reads as a sentence;
names read as written; a question is answered, not apologised to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from monitor.config import parse_config
from monitor.replies import messages, threads
from monitor.replies.settings import ReplySettings
from monitor.replies.store import Item
from tests.replies.test_snapshots import _row

WARSAW = ZoneInfo("Europe/Warsaw")
POSTED = datetime(2026, 11, 20, 16, 20, tzinfo=UTC)  # 17:20 in Warsaw (CET, UTC+1)


def _open(**over: object) -> Item:
    values: dict[str, object] = {"posted_at": POSTED - timedelta(hours=1), "due_at": POSTED, "post_author": "mike_r"}
    values.update(over)
    return _row(**values)


def test_fallback_text_is_in_the_teams_zone_and_an_overdue_post_says_by_how_much() -> None:
    on_time = messages.alert(_open(), brand_history=_history(), playbook="", mentions=(), key="k", zone=WARSAW,
                             now=POSTED - timedelta(minutes=30))  # fmt: skip
    assert on_time.text.startswith("Reply due 2026-11-20 17:20 CET: Acme on X")
    late = messages.alert(_open(), brand_history=_history(), playbook="", mentions=(), key="k", zone=WARSAW,
                          now=POSTED + timedelta(minutes=25))  # fmt: skip
    assert late.text.startswith("Reply overdue by 25 min: Acme on X")
    due_block = late.blocks[1]["text"]["text"]  # type: ignore[index]
    assert "*Due <!date^" in due_block and "|2026-11-20 17:20 CET>*" in due_block
    assert "*overdue by 25 min*" in due_block


def test_names_in_notification_text_carry_no_zero_width_spaces_but_markup_stays_inert() -> None:
    plain_name = messages.alert(_open(), brand_history=_history(), playbook="", mentions=(), key="k", zone=WARSAW)
    assert "mike_r" in plain_name.text and "\u200b" not in plain_name.text
    hostile = messages.alert(_open(post_author="*boss*"), brand_history=_history(), playbook="", mentions=(), key="k")
    assert "*\u200bboss*\u200b" in hostile.text  # an author named like bold markup still cannot format


def test_a_closed_thread_reads_as_one_sentence_in_the_teams_zone() -> None:
    replied = _open(
        status="replied",
        first_reply_at=POSTED + timedelta(minutes=36),
        closed_at=POSTED + timedelta(minutes=37),
        closed_by="platform",
        within_sla=False,
    )
    line = messages.status_line(replied, zone=WARSAW)
    assert line.startswith("*Status:* closed: the brand replied on the platform <!date^")
    assert line.endswith("|2026-11-20 17:56 CET>, 36 min after the deadline.")
    assert "(after the deadline)" not in line and " at <!date" not in line
    message = messages.alert(replied, brand_history=_history(), playbook="", mentions=(), key="k", zone=WARSAW)
    assert message.text == (
        "Acme on X, \u2068mike_r\u2069: closed: the brand replied on the platform 2026-11-20 17:56 CET, "
        "36 min after the deadline."
    )
    handled = _open(status="handled", closed_at=POSTED - timedelta(minutes=5), closed_by="U0ALICE", within_sla=True)
    assert messages.status_line(handled, zone=WARSAW).endswith(
        "closed: handled in Slack by <@U0ALICE> <!date^1795191300^{date_short_pretty} {time}|2026-11-20 17:15 CET>,"
        " 5 min before the deadline."
    )
    snoozed = _open(status="snoozed", snoozed_by="U0BOB", snoozed_until=POSTED + timedelta(minutes=30))
    assert messages.status_line(snoozed, zone=WARSAW).startswith("*Status:* snoozed by <@U0BOB> until <!date^")


def test_reminder_and_escalation_say_how_long_is_left_and_how_late() -> None:
    row = _open()
    reminder = messages.reminder(row, key="k", zone=WARSAW, now=POSTED - timedelta(minutes=15))
    assert "a reply is due <!date^" in reminder.text and "|2026-11-20 17:20 CET>, in 15 min." in reminder.text
    escalation = messages.escalation(row, key="k", page=("U0ONCALL",), cover="on_call", zone=WARSAW,
                                     now=POSTED + timedelta(minutes=25))  # fmt: skip
    assert escalation.text.startswith(":rotating_light: No reply yet, overdue by 25 min (due <!date^")
    assert escalation.text.endswith("<@U0ONCALL>: you are on call now.")


def test_replies_zone_defaults_to_the_schedule_zone_and_can_be_set() -> None:
    raw = {"brands": [{"name": "Acme", "terms": ["acme"]}], "schedule": {"timezone": "Europe/Warsaw"}}
    assert parse_config(raw, source="t", env={}).replies.zone == WARSAW
    own = {**raw, "replies": {"timezone": "America/New_York"}}
    assert parse_config(own, source="t", env={}).replies.zone == ZoneInfo("America/New_York")
    # A bad schedule zone is reported once, under [schedule], not again under [replies].
    bad = {**raw, "schedule": {"timezone": "Mars/Base"}}
    try:
        parse_config(bad, source="t", env={})
    except Exception as exc:  # noqa: BLE001 - the message is what is checked
        text = str(exc)
    assert "schedule.timezone" in text and "replies.timezone" not in text


def test_a_question_gets_an_answer_template_and_a_complaint_its_categorys_playbook() -> None:
    settings = ReplySettings.model_validate(
        {"categories": [{"name": "sales", "keywords": ["sale"], "playbook": "Sorry {author}, about the {category}."}]}
    )
    question = _open(post_text="@AcmeSupport when does the winter sale start?", post_sentiment="neutral",
                     category="sales")  # fmt: skip
    suggestion = threads.playbook_for(question, settings)
    assert suggestion == settings.question_playbook and "sorry" not in suggestion.lower()
    complaint = _open(post_text="@AcmeSupport the sale price was charged twice", post_sentiment="neutral",
                      category="sales")  # fmt: skip
    assert threads.playbook_for(complaint, settings) == "Sorry {author}, about the {category}."
    negative = _open(post_text="@AcmeSupport worst sale ever", post_sentiment="negative", category=None)
    assert threads.playbook_for(negative, settings) == settings.default_playbook
    message = messages.alert(complaint, brand_history=_history(), playbook="Sorry {author}, about the {category}.",
                             mentions=(), key="k")  # fmt: skip
    assert "Sorry mike_r, about the sales." in str(message.blocks)


def _history():  # type: ignore[no-untyped-def]
    from monitor.replies.store import History

    return History(total=0, negative=0, latest=())
