"""Pure parts of the reply queue: which posts need a reply, deadlines in staffed hours, priority, config."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import ConfigError, parse_config
from monitor.replies import interactions, priority, routing, rules, sla
from monitor.replies.settings import ChannelHours, NeedsReply, PrioritySettings, ReplySettings, Window
from values.phrases import PhraseMatcher

RULES = NeedsReply()
SAFETY_NET = PhraseMatcher(ReplySettings().safety_net())


def candidate(text: str, **kw) -> rules.Candidate:
    hit = SAFETY_NET.find(text)
    base = {
        "complaint": hit.found if hit else None,
        "model_score": 0.62,
        "text": text,
        "from_brand": False,
        "negative": False,
        "negative_score": 0.1,
        "handles": ("AcmeSupport",),
        "in_brand_thread": False,
    }
    return rules.Candidate(**{**base, **kw})


@pytest.mark.parametrize(
    ("text", "kw", "needed", "why"),
    [
        ("acme is awful", {"negative": True, "negative_score": 0.9}, True, "negative (90%); names the brand"),
        ("@AcmeSupport how do I export my data", {}, True, "a question; mentions @AcmeSupport"),
        ("@acmesupport czy to działa?", {}, True, "a question"),
        ("@AcmeSupport мой заказ не пришёл до сих пор", {}, True, "keyword “не пришёл”, model said neutral 62%"),
        ("@AcmeSupport سفارش من هنوز نرسید", {}, True, "keyword “نرسید”, model said neutral 62%"),
        ("thanks @AcmeSupport, all good", {}, False, "not negative"),
        ("is acme any good?", {}, False, "not negative"),  # a question, but not addressed to the brand
        ("why is it still broken", {"in_brand_thread": True}, True, "replies in the brand's thread"),
        ("acme is awful", {"negative": True, "from_brand": True}, False, "brand's own account"),
        ("RT @bob: acme is awful", {"negative": True}, False, "a retweet"),
        ("acme awful http://a.io http://b.io http://c.io http://d.io", {"negative": True}, False, "4 links"),
        ("acme awful giveaway now", {"negative": True}, False, "spam"),
        ("@AcmeSupportTeam why?", {}, False, "not negative"),  # another account, not the brand's
    ],
)
def test_which_posts_need_a_reply(text, kw, needed, why) -> None:
    decision = rules.decide(candidate(text, **kw), RULES)
    assert decision.needed is needed
    assert why in decision.reason


def test_addressed_only_and_switched_off_rules() -> None:
    strict = NeedsReply(addressed_only=True, questions=False)
    assert not rules.decide(candidate("acme is awful", negative=True, negative_score=0.9), strict).needed
    assert rules.decide(candidate("@AcmeSupport acme is awful", negative=True, negative_score=0.9), strict).needed
    assert not rules.decide(candidate("@AcmeSupport how do I export?"), strict).needed


WARSAW = ChannelHours(
    timezone="Europe/Warsaw",
    business=(Window(days=("mon", "tue", "wed", "thu", "fri"), start="09:00", end="17:00"),),
)


def test_due_at_counts_only_staffed_time() -> None:
    hour = timedelta(hours=1)
    posted = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # Friday 16:30 in Warsaw
    assert sla.due_at(posted, hour, None) == posted + hour  # 24/7 by default
    # 30 minutes left on Friday, the other 30 on Monday from 09:00 Warsaw (08:00 UTC).
    assert sla.due_at(posted, hour, WARSAW) == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    # Posted on Saturday: the clock starts on Monday morning.
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert sla.due_at(saturday, hour, WARSAW) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert sla.cover(saturday, WARSAW) == "none"


def test_on_call_windows_extend_cover_past_midnight_and_across_dst() -> None:
    hours = ChannelHours(
        timezone="Europe/Warsaw",
        business=WARSAW.business,
        on_call=(Window(days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"), start="17:00", end="01:00"),),
    )
    friday_late = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # 00:30 Saturday in Warsaw: on call until 01:00
    assert sla.cover(friday_late, hours) == "on_call"
    assert sla.due_at(friday_late, timedelta(hours=1), hours) == datetime(2026, 11, 21, 16, 30, tzinfo=UTC)
    # DST ends 2026-10-25 in Warsaw: a 9:00-17:00 day is still 8 real hours, starting 08:00 UTC after it.
    posted = datetime(2026, 10, 23, 14, 0, tzinfo=UTC)  # Friday 16:00 CEST, one hour left
    assert sla.due_at(posted, timedelta(hours=2), WARSAW) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_priority_from_negativity_reach_velocity_and_keywords() -> None:
    settings = PrioritySettings()
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    keywords = ReplySettings().escalation_keywords

    def level(text="acme bad", negative=0.6, metrics=None, age=timedelta(hours=1)):
        return priority.score(
            negative=negative,
            metrics=metrics or {},
            posted_at=now - age,
            now=now,
            text=text,
            keywords=keywords,
            settings=settings,
        )

    assert level(negative=0.9, metrics={"followers": 120}).level == "normal"
    assert level(negative=0.2).level == "low"
    assert level(metrics={"followers": 1_000_000}, negative=0.9).level == "high"
    assert level(metrics={"likes": 500, "retweets": 300}, negative=0.8).level == "high"
    assert level(metrics={"link_karma": 50_000, "comment_karma": 60_000}, negative=0.9).level == "high"
    for text in ("we will sue acme", "это мошенники", "pozew przeciwko acme", "این کلاهبرداری است", "BOYCOTT acme"):
        assert level(text=text, negative=0.5).level == "high", text
    assert level(text="this issue is annoying").keyword is None  # "sue" is a whole word, not part of "issue"
    # One like on a post seconds old is not viral: velocity is measured over at least 15 minutes.
    assert level(metrics={"likes": 10}, age=timedelta(seconds=5)).score < 0.5


def test_routing_picks_the_category_with_most_hits() -> None:
    settings = ReplySettings(
        channel="#replies",
        high_priority_channel="#urgent",
        categories=(
            {"name": "billing", "keywords": ["invoice", "charged", "faktura"], "channel": "#billing"},
            {"name": "delivery", "keywords": ["parcel", "courier", "доставка"], "playbook": "Hi {author}, tracking?"},
        ),
    )
    route = routing.route("my parcel and the courier, ugh; also charged", priority="normal", settings=settings,
                          default_channel="#alerts")  # fmt: skip
    assert (route.category, route.channel, route.playbook) == ("delivery", "#replies", "Hi {author}, tracking?")
    assert routing.route("faktura!", priority="normal", settings=settings, default_channel="#a").channel == "#billing"
    assert routing.route("faktura!", priority="high", settings=settings, default_channel="#a").channel == "#urgent"
    none = routing.route("hello", priority="low", settings=settings, default_channel="#a")
    assert none.category is None and none.playbook == settings.default_playbook


def test_envelopes_become_actions() -> None:
    reactions = ReplySettings().reactions
    click = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "actions": [{"action_id": "reply_handled", "value": "item:7"}, {"action_id": "other_button", "value": "x"}],
    }
    assert interactions.from_envelope("interactive", click, reactions=reactions) == [
        interactions.Action("handled", "U1", target="item:7")
    ]
    event = {"event": {"type": "reaction_added", "user": "U2", "reaction": "eyes", "item": {"type": "message",
             "channel": "C1", "ts": "1.5"}}}  # fmt: skip
    assert interactions.from_envelope("events_api", event, reactions=reactions) == [
        interactions.Action("acknowledge", "U2", channel="C1", ts="1.5")
    ]
    assert interactions.from_envelope("slash_commands", {"command": "/x"}, reactions=reactions) == []


def _config(replies: dict) -> object:
    return parse_config({"brands": [{"name": "Acme", "terms": ["acme"]}], "replies": replies}, env={})


def test_config_defaults_and_errors_name_the_field() -> None:
    config = _config({"enabled": True})
    assert config.replies.sla_for("x", "normal") == timedelta(hours=1)
    assert config.replies.sla_for("reddit", "high") == timedelta(hours=1)
    config = _config({"sla": {"default": "45m", "x": {"high": "15m"}}})
    assert config.replies.sla_for("x", "high") == timedelta(minutes=15)
    assert config.replies.sla_for("x", "low") == timedelta(minutes=45)
    with pytest.raises(ConfigError) as raised:
        _config(
            {
                "on_call": ["@alice"],
                "sla": {"x": {"urgent": "5m"}},
                "hours": {"#c": {"timezone": "Mars/Olympus", "business": [{"days": ["funday"]}]}},
                "reactions": {"eyes": "explode"},
                "categories": [{"name": "a", "keywords": ["x"]}, {"name": "a", "keywords": ["y"]}],
                "burst_threshold": 0,
                "incidents": {"posts": 1, "hold": "soon"},
                "complaint_phrases": {"pl": "pozew"},
            }
        )
    text = str(raised.value)
    for expected in (
        "replies.on_call",
        "U… for a person or S… for a user group",
        "replies.sla",
        "unknown priority",
        "replies.hours.#c.timezone",
        "replies.hours.#c.business.0.days",
        "replies.reactions",
        "replies.burst_threshold",
        "replies.incidents.posts",
        "replies.incidents.hold",
        "replies.complaint_phrases.pl",
    ):
        assert expected in text, expected
    with pytest.raises(ConfigError, match="duplicate name"):
        _config({"categories": [{"name": "a", "keywords": ["x"]}, {"name": "a", "keywords": ["y"]}]})


def test_similar_posts_near_duplicates_or_shared_terms() -> None:
    from monitor.replies import similarity
    from monitor.replies.settings import IncidentSettings

    settings = IncidentSettings()
    brand = similarity.brand_words(("Acme", "acme"))

    def fp(text: str) -> similarity.Fingerprint:
        return similarity.fingerprint(text, exclude=brand)

    down = fp("@AcmeSupport acme app is down. Fix it!")
    assert "acmesupport" not in down.words and "acme" not in down.terms  # mentions and the brand say nothing
    assert down.terms == {"app", "down", "fix"}  # "down" names an outage, though it is a stopword
    assert similarity.similar(down, fp("acme app is down again, fix it please"), settings)  # shared terms
    assert similarity.similar(fp("Приложение ACME не работает"), fp("приложение acme не работает!!"), settings)
    assert not similarity.similar(down, fp("acme charged me twice"), settings)
    assert not similarity.similar(fp("acme is worst"), fp("acme is scam"), settings)  # one word apart is not enough
    group = [down, fp("acme app down, fix it"), fp("the acme app is down")]
    signature = similarity.signature(group)
    assert set(signature["terms"]) == {"app", "down", "fix"}
    assert similarity.joins(signature, fp("app down since 9am"), settings)
    assert not similarity.joins(signature, fp("love the new acme logo"), settings)
