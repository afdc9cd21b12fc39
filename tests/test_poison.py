"""Issue 14: no post stops a source. Poisoned fields are cleaned at the one boundary, what still cannot be
stored is quarantined with its reason, every other post is stored and the cursor moves past them all."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from tests.conftest import Clock, make_post
from tests.ops.apps import config_dict, make_app
from tests.support.poison import (
    alert_keys,
    append_lines,
    cursor,
    ops_messages,
    quarantined,
    refuse_text,
    stored,
    write_lines,
)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))


@pytest.fixture
def replay_app(tmp_path, db_url, fake_slack, clock):
    """Build an app over a replay file made of ``lines``; page_size lets a test split the file in pages."""
    apps = []

    def build(lines, *, page_size: int = 10, brands=None):
        path = write_lines(tmp_path / "posts.jsonl", lines)
        raw = config_dict(db_url, path, fake_slack.base_url)
        raw["sources"]["replay"]["page_size"] = page_size
        if brands is not None:
            raw["brands"] = brands
        app = make_app(raw, fake_slack, clock=clock)
        apps.append(app)
        return app, path

    yield build
    for app in apps:
        app.engine.dispose()


def poll(app, brand: int = 0):
    """One forced poll of the replay source for the app's ``brand``-th brand."""
    return app.pipeline.poll("replay", app.connectors["replay"], app.config.brands[brand], force=True)


def good(n: int, text: str = "acme order arrived") -> dict:
    return make_post(n, f"{text} {n}")


def test_a_nul_in_text_is_removed_and_the_post_stored(replay_app) -> None:
    app, _ = replay_app([good(1), make_post(2, "acme\x00 is broken"), good(3)])
    result = poll(app)
    assert result.error is None
    posts = stored(app.engine)
    assert sorted(posts) == ["1", "2", "3"]
    assert posts["2"].text == "acme is broken"
    assert cursor(app.engine).position == "3"


def test_a_lone_surrogate_is_removed_wherever_it_is(replay_app) -> None:
    poisoned = make_post(2, "acme \ud800is broken", author="dana\udfff", lang="en\ud800")
    poisoned["metrics"] = {"likes\ud800": 3}
    app, _ = replay_app([good(1), poisoned, good(3)])
    result = poll(app)
    assert result.error is None
    posts = stored(app.engine)
    assert sorted(posts) == ["1", "2", "3"]
    assert (posts["2"].text, posts["2"].author, posts["2"].platform_lang) == ("acme is broken", "dana", "en")
    assert posts["2"].metrics == {"likes": 3}
    assert cursor(app.engine).position == "3"


def test_one_invalid_utf8_byte_damages_only_its_own_line(replay_app) -> None:
    inside_text = b'{"platform": "x", "id": "2", "text": "acme \xff broken", "created_at": "2026-11-20T09:02:00Z"}'
    breaks_json = b'{"platform": "x", "id": "3", "text": "acme", \xff "created_at": "2026-11-20T09:03:00Z"}'
    app, _ = replay_app([good(1), inside_text, breaks_json, good(4)])
    result = poll(app)
    assert result.error is None
    posts = stored(app.engine)
    assert sorted(posts) == ["1", "2", "4"]
    assert posts["2"].text == "acme \ufffd broken"  # replaced, per the boundary
    rows = quarantined(app.engine)
    assert [(r.source, r.brand, r.stage) for r in rows] == [("replay", "Acme", "read")]
    assert "line 3" in rows[0].reason and "JSONDecodeError" in rows[0].reason
    assert cursor(app.engine).position == "4"


def test_an_over_long_lang_is_truncated_and_an_over_long_id_quarantined(replay_app) -> None:
    long_lang = make_post(2, "acme is fine", lang="x" * 40)
    long_id = {**make_post(3, "acme is broken"), "id": "9" * 250}
    app, _ = replay_app([good(1), long_lang, long_id, good(4)])
    result = poll(app)
    assert result.error is None
    posts = stored(app.engine)
    assert sorted(posts) == ["1", "2", "4"]
    assert posts["2"].platform_lang == "x" * 16  # the column's length, read from the schema
    rows = quarantined(app.engine)
    assert len(rows) == 1 and rows[0].stage == "store"
    assert "post id" in rows[0].reason and "191" in rows[0].reason
    assert rows[0].item_id == "9" * 191 and rows[0].platform == "x"
    assert cursor(app.engine).position == "4"


@pytest.mark.parametrize(
    "identity",
    [{"id": None}, {"platform": None}, {"id": "  "}, {"id": ""}, {"platform": ""}],
    ids=["null id", "null platform", "blank id", "empty id", "empty platform"],
)
def test_a_post_without_identity_is_quarantined_never_stored_as_none(replay_app, identity) -> None:
    first = {**make_post(2, "acme is broken"), **identity}
    second = {**make_post(3, "acme is broken again"), **identity}
    missing = {k: v for k, v in make_post(5, "acme is broken too").items() if k not in identity}
    app, _ = replay_app([good(1), first, second, good(4), missing])
    result = poll(app)
    assert result.error is None
    assert sorted(stored(app.engine)) == ["1", "4"]
    rows = quarantined(app.engine)
    assert len(rows) == 3  # each on its own: not dropped as a duplicate of the first
    assert all(r.reason for r in rows)
    app.pipeline.classify_pending()
    assert alert_keys(app.engine) == []  # nothing alerted under a made-up id
    assert cursor(app.engine).position == "5"


def test_a_post_the_database_refuses_is_quarantined_and_the_page_stored(replay_app) -> None:
    lines = [good(1), good(2), make_post(3, "acme POISON is broken"), good(4), good(5)]
    app, _ = replay_app(lines, page_size=10)
    refuse_text(app.engine, "POISON")
    result = poll(app)
    assert result.error is None
    assert sorted(stored(app.engine)) == ["1", "2", "4", "5"]
    rows = quarantined(app.engine)
    assert len(rows) == 1 and rows[0].stage == "store" and rows[0].item_id == "3"
    assert "refused by rule" in rows[0].reason
    assert "POISON" not in rows[0].reason  # the post's text is not in the reason (untrusted, maybe huge)
    assert cursor(app.engine).position == "5"
    assert result.new_posts == 4 and result.quarantined == 1


def test_a_reread_quarantines_nothing_twice(replay_app) -> None:
    lines = [good(1), {**make_post(2, "acme"), "id": None}, b"{not json acme", make_post(3, "acme POISON")]
    app, _ = replay_app(lines)
    refuse_text(app.engine, "POISON")
    poll(app)
    assert len(quarantined(app.engine)) == 3
    with app.engine.begin() as conn:  # read the whole file again (a platform's overlap window does this)
        conn.exec_driver_sql("DELETE FROM cursors")
    again = poll(app)
    assert again.error is None and again.quarantined == 0
    assert len(quarantined(app.engine)) == 3


def test_a_database_outage_is_not_blamed_on_the_posts(replay_app) -> None:
    app, _ = replay_app([good(1), good(2), good(3)])

    def outage(conn, cursor_, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO POSTS"):
            raise OperationalError(statement, parameters, Exception("server closed the connection unexpectedly"))

    event.listen(app.engine, "before_cursor_execute", outage)
    result = poll(app)  # never raises
    event.remove(app.engine, "before_cursor_execute", outage)
    assert result.error and "server closed the connection" in result.error
    assert stored(app.engine) == {} and quarantined(app.engine) == []
    assert cursor(app.engine).position is None  # read again next time, nothing lost
    assert poll(app).error is None
    assert sorted(stored(app.engine)) == ["1", "2", "3"]


def test_quarantine_commits_with_the_page_and_its_cursor(replay_app) -> None:
    app, _ = replay_app([good(1), {**make_post(2, "acme"), "id": None}, good(3)])

    def cursor_fails(conn, cursor_, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO CURSORS"):
            raise OperationalError(statement, parameters, Exception("disk I/O error"))

    event.listen(app.engine, "before_cursor_execute", cursor_fails)
    result = poll(app)
    event.remove(app.engine, "before_cursor_execute", cursor_fails)
    assert result.error
    assert stored(app.engine) == {} and quarantined(app.engine) == []  # all or nothing
    poll(app)
    assert sorted(stored(app.engine)) == ["1", "3"] and len(quarantined(app.engine)) == 1


def test_ops_hears_once_per_source_per_incident(replay_app, clock) -> None:
    brands = [{"name": "Acme", "terms": ["acme"]}, {"name": "Globex", "terms": ["globex"]}]
    poison = {**make_post(2, "acme and globex"), "id": None}
    other_poison = {**make_post(3, "acme and globex"), "platform": None}
    app, path = replay_app([good(1), poison, good(4), other_poison], page_size=1, brands=brands)
    for brand in (0, 1):  # two brands, several pages, two poisoned posts: one incident of this source
        assert poll(app, brand).quarantined == 2
    assert len(quarantined(app.engine)) == 4  # per brand
    messages = ops_messages(app.engine)
    assert len(messages) == 1
    assert "replay" in messages[0] and "quarantine list --source replay" in messages[0]
    assert "id is null" in messages[0]  # the first reason

    clock.advance(minutes=5)
    append_lines(path, [good(5)])
    for brand in (0, 1):  # clean polls: the incident is over
        assert poll(app, brand).quarantined == 0
    assert len(ops_messages(app.engine)) == 1

    clock.advance(minutes=5)
    append_lines(path, [{**make_post(6, "acme"), "id": ""}])
    assert poll(app, 0).quarantined == 1
    assert len(ops_messages(app.engine)) == 2  # a new incident pages again


def test_a_poll_that_raises_anything_is_recorded_not_raised(replay_app, clock) -> None:
    app, _ = replay_app([good(1)])

    class Broken:
        platform = "replay"

        def fetch(self, query, cursor_):
            raise ZeroDivisionError("a bug in a parser")
            yield  # pragma: no cover

    brand = app.config.brands[0]
    for _ in range(3):
        result = app.pipeline.poll("replay", Broken(), brand, force=True)
        assert result.error == "ZeroDivisionError: a bug in a parser"
        clock.advance(minutes=1)
    with app.engine.connect() as conn:
        from monitor import health

        state = health.read(conn, source="replay", brand="Acme")
    assert state.consecutive_failures == 3 and state.next_poll_at is not None
    messages = ops_messages(app.engine)
    assert len(messages) == 1 and "ZeroDivisionError: a bug in a parser" in messages[0]
