"""A spike of negative mentions opens one incident thread (or joins the one its posts formed), explained in it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor.alerts.delivery import Delivery
from monitor.alerts.slack import SlackSink
from monitor.config import BrandSettings
from monitor.replies.settings import ReplySettings
from monitor.replies.spike_incidents import SpikeIncidents
from monitor.spikes.settings import SpikeSettings
from monitor.spikes.watch import SpikeWatch
from monitor.storage.engine import make_engine
from monitor.storage.schema import reply_incidents, spikes
from tests.conftest import Clock
from tests.replies.helpers import drain, ingest, items, make_app, post
from tests.support.databases import migrated_sqlite_url
from tests.test_spike_watch import START, Feed


@pytest.mark.slow
def test_a_spike_opens_one_incident_thread_with_its_explanation(tmp_path, fake_slack) -> None:
    # SQLite only: three days of buckets, and the subject (which thread the spike uses) is not the database's.
    engine = make_engine(migrated_sqlite_url(tmp_path))
    clock = Clock(START)
    feed = Feed(engine)
    settings = ReplySettings(enabled=True, channel="#brand-replies", on_call=("U0ONCALL",))
    hook = SpikeIncidents(
        settings=settings, brands={"Acme": BrandSettings(name="Acme", terms=("acme",))}, default_channel="#alerts"
    )
    watch = SpikeWatch(
        engine,
        brands=["Acme"],
        settings=SpikeSettings(),
        channel="#alerts",
        clock=clock,
        settle=timedelta(minutes=1),
        incidents=hook,
    )
    delivery = Delivery(
        engine, SlackSink(fake_slack.token, base_url=fake_slack.base_url), clock=clock,
        min_interval=timedelta(0), sleep=lambda s: None,
    )  # fmt: skip
    for _ in range(3 * 24):  # three quiet days, checked hourly
        feed.buckets(clock.now, [0, 1] * 6)
        clock.advance(hours=1)
        watch.check()
    events = []
    for n in (10, 25, 60, 60, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1):
        feed.bucket(clock.now, n, text="acme outage, site down")
        clock.advance(minutes=5)
        events += [e.kind for r in watch.check() for e in r.events]
        for _ in range(5):
            delivery.run_once()
    assert events.count("opened") == 1 and events[-1] == "resolved"

    top = [m for m in fake_slack.messages if m.thread_ts is None]
    assert len(top) == 1, "one crisis, one thread: the incident's"
    incident = top[0]
    with engine.connect() as conn:
        record = conn.execute(select(reply_incidents)).mappings().one()
        spike = conn.execute(select(spikes)).mappings().one()
    assert record["kind"] == "spike" and record["spike_key"] == spike["spike_key"]
    assert spike["drivers"]["incident"] == record["incident_key"] == incident.metadata["event_payload"]["key"]
    shown = json.dumps(incident.blocks, ensure_ascii=False)
    assert "Incident: spike in negative mentions of Acme" in incident.text and "<@U0ONCALL>" in incident.text
    assert "*Spike:*" in shown and "expected" in shown and "outage" in shown  # the spike's explanation
    thread = [m for m in fake_slack.messages if m.thread_ts == incident.ts]
    assert thread[0].text.startswith("Spike in negative mentions of Acme")  # the spike's own summary, in it
    assert thread[-1].text.startswith("Resolved") and thread[0].edits  # updates in the same thread
    engine.dispose()


def test_a_spike_joins_the_incident_its_posts_already_formed(db_url, fake_slack) -> None:
    clock = Clock()
    app = make_app(fake_slack, db_url, clock)
    ingest(app, *[post(f"@AcmeSupport acme app is down again #{n}", clock.now, author=f"u{n}") for n in range(6)])
    (key,) = {i["incident_key"] for i in items(app)}
    drain(app)
    explanation = {"headline": "60 negative mentions in 5 min vs 1.2 expected", "summary": "", "terms": ["down"]}
    with app.engine.begin() as conn:
        found = app.spikes.incidents(conn, brand="Acme", spike_key="Acme:negative:1", explanation=explanation,
                                     now=clock.now)  # fmt: skip
        again = app.spikes.incidents(conn, brand="Acme", spike_key="Acme:share:1", explanation=explanation,
                                     now=clock.now)  # fmt: skip
    assert found == again == (key, "#brand-replies")  # both metrics' spikes land in the one incident
    drain(app)
    (message,) = [m for m in fake_slack.messages if m.thread_ts is None]
    assert message.edits and "60 negative mentions in 5 min" in json.dumps(message.blocks)
    with app.engine.connect() as conn:
        assert conn.execute(select(reply_incidents.c.spike_key)).scalars().all() == ["Acme:negative:1"]


def test_a_spike_takes_in_the_posts_queued_just_before_it(db_url, fake_slack) -> None:
    clock = Clock()
    app = make_app(fake_slack, db_url, clock)
    ingest(app, post("@AcmeSupport acme app is down", clock.now, author="first"))
    clock.advance(seconds=30)
    ingest(app, post("@AcmeSupport acme app is down again", clock.now, author="second"))
    first, second = items(app)
    assert first["alert_key"] == "reply:1" and second["alert_key"] == ""  # the second waits: a cluster may form
    explanation = {"headline": "9 negative mentions in 5 min vs 0.5 expected", "summary": "", "terms": ["down"]}
    with app.engine.begin() as conn:
        key, channel = app.spikes.incidents(conn, brand="Acme", spike_key="Acme:negative:7", explanation=explanation,
                                            now=clock.now)  # fmt: skip
    assert (key, channel) == ("incident:spike:Acme:negative:7", "#brand-replies")
    assert {i["incident_key"] for i in items(app)} == {key}
    assert all(i["summary_key"] == key for i in items(app))  # timers in the incident's thread from now on
    clock.advance(minutes=10)
    assert app.replies.check().released == 0  # the held post joined the incident: no thread of its own
    drain(app)
    top = [m.metadata["event_payload"]["key"] for m in fake_slack.messages if m.thread_ts is None]
    assert top == ["reply:1", key]
    with app.engine.connect() as conn:
        assert conn.execute(select(reply_incidents.c.posts)).scalar_one() == 2
