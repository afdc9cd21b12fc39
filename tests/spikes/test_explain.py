"""What drives a spike: over-represented terms, shared vs independent posts, top posts, any script."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from monitor.alerts.slack_text import inline
from monitor.spikes import duplicates
from monitor.spikes.alerts import explanation, messages_for
from monitor.spikes.detector import SpikeEvent
from monitor.spikes.explain import explain
from monitor.spikes.settings import SpikeSettings
from monitor.spikes.text import tokens

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)

# Ordinary days: varied talk about the brand, some of it negative, none of it about batteries.
BASELINE_TEXTS = [
    "acme phone camera is great in low light",
    "my acme phone screen cracked after a drop",
    "acme support took two days to answer me",
    "the new acme phone update changed the camera app",
    "acme store queue was long today",
    "acme phone price is too high this year",
    "acme earbuds keep disconnecting from my phone",
    "why is the acme phone camera app so slow",
]
COMPLAINTS = [
    "my acme phone battery exploded on the desk",
    "acme battery exploded while charging overnight",
    "battery exploded, acme phone totally burned",
    "smoke everywhere, the acme battery exploded in my bag",
    "acme please explain why my battery exploded",
    "second acme phone this month with a battery exploded",
    "kids were scared when the acme battery exploded",
    "acme battery exploded and nobody from support calls back",
    "acme customer service ignoring a battery exploded report",
    "so the acme battery exploded, is it a recall now",
]


def post(text: str, i: int, **kw) -> dict:
    return {
        "text": text,
        "author": kw.get("author", f"user{i}"),
        "platform": kw.get("platform", "x"),
        "lang": kw.get("lang", "en"),
        "url": kw.get("url", f"https://x.com/user{i}/status/{i}"),
        "metrics": kw.get("metrics", {"followers": 10 + i, "likes": i % 3}),
        "created_at": (T0 + timedelta(seconds=i)).isoformat(),
    }


def baseline(n: int = 80) -> list[dict]:
    return [post(BASELINE_TEXTS[i % len(BASELINE_TEXTS)] + f" {i}", 1000 + i) for i in range(n)]


def test_one_viral_post_shared_is_told_apart_from_many_independent_complaints() -> None:
    viral = "Acme phone battery EXPLODED in my kid's room. Never buying again #AcmeFail https://t.co/abc"
    shared = [post(viral, 0, author="bigvoice", metrics={"followers": 250_000, "likes": 9000, "reposts": 4000})]
    shared += [post(f"RT @bigvoice: {viral}", i) for i in range(1, 40)]
    shared += [post(f"this is insane {viral}", 40), post(COMPLAINTS[0], 41), post(COMPLAINTS[1], 42)]
    d = explain(shared, baseline(), brand=["Acme"], count=43, expected=4.0, minutes=15)
    assert d["nature"] == "one_post_shared"
    assert d["clusters"][0]["count"] == 41, "retweets and a quote with three words added are one post"
    assert d["clusters"][0]["origin"] in {"bigvoice", "@bigvoice"}
    assert "bigvoice" in d["summary"]
    top = d["top_posts"][0]
    assert top["author"] == "bigvoice" and top["copies"] == 41 and top["url"].startswith("https://")
    assert top["reach"] == 250_000 and top["engagement"] >= 13_000
    assert d["links"] == [["t.co/abc", 41]]
    assert d["volume"] == {"count": 43, "expected": 4.0, "ratio": 10.75, "minutes": 15}

    independent = [post(text, i) for i, text in enumerate(COMPLAINTS)]
    d = explain(independent, baseline(), brand=["Acme"])
    assert d["nature"] == "independent"
    assert d["distinct"] == len(COMPLAINTS) and d["clusters"] == []
    assert "10 distinct posts by 10 authors" in d["summary"]


def test_a_term_that_dominates_the_spike_is_listed_and_everyday_words_are_not() -> None:
    spike = [post(text, i) for i, text in enumerate(COMPLAINTS)] + [post(BASELINE_TEXTS[1], 99)]
    d = explain(spike, baseline(), brand=["Acme"])
    assert d["terms"][0] == "battery exploded"
    listed = {item["term"] for item in d["over_represented"]}
    assert "battery" not in listed and "exploded" not in listed, "words folded into the phrase they come in"
    assert not listed & {"acme", "phone", "my", "the", "camera"}, "brand, stopwords and everyday words left out"
    first = d["over_represented"][0]
    assert first["kind"] == "phrase" and first["spike"] == len(COMPLAINTS) and first["baseline"] == 0
    assert first["z"] >= 1.96


def test_hashtags_are_drivers_of_their_own_and_brand_hashtags_are_not() -> None:
    spike = [post(f"{COMPLAINTS[i]} #boycottacme #acme", i) for i in range(10)]
    d = explain(spike, baseline(), brand=["Acme"])
    assert "#boycottacme" in d["terms"]
    assert "#acme" not in d["terms"] and "acme" not in d["terms"]


def test_cyrillic_and_persian_posts_are_tokenised_and_their_drivers_found() -> None:
    ru_base = [post(f"телефон acme хороший, камера отличная {i}", i, lang="ru") for i in range(30)]
    ru_spike = [post(f"у меня батарея acme взорвалась, это ужас {i}", i, lang="ru") for i in range(12)]
    d = explain(ru_spike, ru_base, brand=["Acme"])
    assert {"батарея", "взорвалась", "ужас"} <= set(d["terms"])
    assert not {"у", "меня", "это"} & set(d["terms"]), "Russian stopwords are not drivers"
    assert d["languages"] == [["ru", 12]]

    # Arabic yeh/kaf and a zero-width non-joiner: the same Persian words however they are typed.
    fa_spike = [post("باتری گوشی اکمی منفجر شد و می‌خواهم پولم برگردد", i, lang="fa") for i in range(6)]
    fa_spike += [post("باتري گوشي اكمي منفجر شد و مي‌خواهم پولم برگردد", 10 + i, lang="fa") for i in range(6)]
    fa_base = [post(f"گوشی اکمی دوربین خوبی دارد {i}", 100 + i, lang="fa") for i in range(30)]
    d = explain(fa_spike, fa_base, brand=["اکمی"])
    assert "باتری" in " ".join(d["terms"]) and "منفجر" in " ".join(d["terms"])
    assert not {"و", "شد", "اکمی"} & {w for t in d["terms"] for w in t.split()}
    assert "می\u200cخواهم" in tokens("می‌خواهم").words
    assert d["clusters"][0]["count"] == 12, "the same words in Arabic and Persian letters are copies"


def test_near_duplicates_are_grouped_and_different_posts_are_not() -> None:
    texts = [
        "Acme app deleted all my photos, thanks for nothing",
        "RT @someone: Acme app deleted all my photos, thanks for nothing",
        "acme app deleted ALL my photos!!! thanks for nothing @acme",
        "Acme app deleted all my photos, thanks for nothing. Again.",
        "the acme app is slow but works",
        "acme deleted my account without warning",
        "https://t.co/only-a-link",
        "https://t.co/another-link",
    ]
    assert duplicates.group(texts) == [[0, 1, 2, 3], [4], [5], [6], [7]]


def test_the_slack_summary_shows_the_drivers_and_never_lets_post_text_ping_or_format() -> None:
    spike_posts = [post(f"<!channel> *acme* battery exploded {i}", i, url="https://x.com/a/status/1") for i in range(8)]
    drivers = explain(spike_posts, baseline(), brand=["Acme"], count=40, expected=5.0, minutes=15)
    spike, event = _opened_spike(T0, drivers=drivers)
    (message,) = messages_for(event, spike, channel="#alerts", settings=SpikeSettings())
    body = "\n".join(b["text"]["text"] for b in message.blocks if b["type"] == "section")
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body
    assert "*What it is:*" in body and "*Over-represented:*" in body
    assert inline("battery exploded", 40) in body
    assert "<https://x.com/a/status/1|open>" in body
    assert "*40* negative mentions in 15 min vs *5.0* expected (8.0×)" in body


def test_spike_times_are_written_in_the_teams_zone() -> None:
    """Slack's date tokens show each reader their own zone; the fallback and the incident's plain text the team's."""
    warsaw = ZoneInfo("Europe/Warsaw")
    opened = datetime(2026, 11, 20, 9, 15, tzinfo=UTC)
    spike, event = _opened_spike(opened, drivers={})
    said = explanation(spike, event, settings=SpikeSettings(), zone=warsaw)
    assert said["headline"].endswith("since 2026-11-20 10:15 CET")
    (message,) = messages_for(event, spike, channel="#alerts", settings=SpikeSettings(), zone=warsaw)
    assert "|2026-11-20 10:15 CET>" in str(message.blocks)


def _opened_spike(opened: datetime, *, drivers: dict) -> tuple[dict, SpikeEvent]:
    """A spike row and the event that opened it: 40 negative mentions in 15 min against 5.0 expected."""
    spike = {
        "spike_key": "Acme:negative:1",
        "brand": "Acme",
        "metric": "negative",
        "status": "open",
        "opened_at": opened,
        "peak_count": 20,
        "peak_at": opened,
        "updates": 0,
        "drivers": drivers,
    }
    event = SpikeEvent(
        kind="opened",
        spike_id="1",
        at=opened,
        count=20,
        expected=2.0,
        window=3,
        window_count=40,
        window_expected=5.0,
        p_value=1e-9,
        peak_count=20,
        reopened=False,
    )
    return spike, event
