"""Fuzz the storage boundary: hostile posts through the real poll and store, on SQLite and PostgreSQL.

Never an exception out of a poll; every post the boundary accepts is stored exactly as
normalised; every other one, and every item the connector could not read, is
quarantined with a reason; stored text is free of what breaks databases and terminals.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from connectors.base import Cursor, Page, Post, Query, Rejected
from connectors.replay import parse_post, post_record
from monitor.storage import quarantine as quarantine_store
from monitor.storage.error_text import error_text
from monitor.storage.normalise import InvalidPost, normalise
from monitor.storage.schema import posts, quarantine
from tests.conftest import Clock
from tests.fuzz.post_strategies import hostile, huge, rejections
from tests.fuzz.post_strategies import posts as post_strategy
from tests.ops.apps import config_dict, make_app
from tests.support.poison import cursor

FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# Always tried: a megabyte of text with NUL and lone surrogates in it, and a post with a null id.
ALWAYS = (
    Post("x", "1", "dana", "\x00acme\ud800 " * 100_000, NOW, lang="e" * 40),
    Post("x", None, "dana", "acme", NOW),  # type: ignore[arg-type]
)
TABLES = ("mentions", "posts", "quarantine", "cursors", "source_health", "outbox")
ONE_LINE = ("platform", "post_id", "author", "author_id", "url", "reply_to", "thread_id", "platform_lang")


class Pages:
    """A connector handing back the pages a test gives it."""

    platform = "x"

    def __init__(self) -> None:
        self.pages: list[Page] = []

    def fetch(self, query: Query, cursor_: Cursor) -> Iterator[Page]:
        yield from self.pages


@pytest.fixture
def app(tmp_path, db_url, fake_slack):
    app = make_app(
        config_dict(db_url, tmp_path / "unused.jsonl", fake_slack.base_url),
        fake_slack,
        clock=Clock(NOW),
    )
    yield app
    app.engine.dispose()


def reset(app) -> None:
    """A clean database for the next example (a fresh one per test, emptied per example: fast)."""
    with app.engine.begin() as conn:
        for table in TABLES:
            conn.exec_driver_sql(f"DELETE FROM {table}")


def test_hostile_posts_are_stored_as_normalised_or_quarantined(app) -> None:
    connector = Pages()

    @FUZZ
    @given(st.lists(st.lists(post_strategy(), max_size=4), min_size=1, max_size=3), st.lists(rejections, max_size=2))
    @example(pages=[list(ALWAYS)], rejected=[Rejected(raw="\x00\ud800{", reason="\x00", item_id="\ud800")])
    def run(pages: list[list[Post]], rejected: list[Rejected]) -> None:
        reset(app)
        connector.pages = [
            Page(tuple(batch), Cursor(str(n + 1)), tuple(rejected) if n == 0 else ())
            for n, batch in enumerate(pages)
        ]
        result = app.pipeline.poll("x", connector, app.config.brands[0], force=True)
        keeps = app.pipeline.brand_filter(app.config.brands[0]).keeps
        assert result.error is None, result.error
        assert cursor(app.engine, source="x").position == str(len(pages))  # moved past everything

        expected: dict[tuple[str, str], Post] = {}
        refused: list[tuple[Post, str]] = []
        for post in (p for batch in pages for p in batch):
            try:
                clean = normalise(post)
            except InvalidPost as exc:
                refused.append((post, str(exc)))
                continue
            if keeps(clean):  # the brand's check (its query on the normalised text): others are not its mentions
                expected.setdefault((clean.platform, clean.post_id), clean)  # a repeat is upserted: the first stays
        with app.engine.connect() as conn:
            rows = {(r.platform, r.post_id): r for r in conn.execute(select(posts))}
            held = list(conn.execute(select(quarantine)))
        assert set(rows) == set(expected)
        for key, post in expected.items():
            assert_stored_as(rows[key], post)
            assert_clean(rows[key])

        by_stage = {quarantine_store.READ: [], quarantine_store.STORE: []}
        for row in held:
            by_stage[row.stage].append(row)
            assert row.reason and all(unicodedata.category(c) != "Cc" for c in row.reason)
            assert row.raw.isascii() and row.raw.isprintable()
        assert sorted(r.raw for r in by_stage[quarantine_store.STORE]) == sorted({_raw(p) for p, _ in refused})
        for row in by_stage[quarantine_store.STORE]:
            assert row.reason in {error_text(reason) for _, reason in refused}
            with pytest.raises((ValueError, TypeError, KeyError)):  # what retry will see: refused again
                normalise(parse_post(json.loads(row.raw)))
        assert len(by_stage[quarantine_store.READ]) == len({quarantine_store.storable_raw(r.raw) for r in rejected})
        for row in by_stage[quarantine_store.READ]:
            assert row.reason in {error_text(r.reason) or quarantine_store.NO_REASON for r in rejected}

    run()


def assert_stored_as(row, post: Post) -> None:
    """The stored row is exactly the normalised post."""
    assert (row.platform, row.post_id, row.author, row.author_id) == (
        post.platform, post.post_id, post.author, post.author_id
    )
    assert row.text == post.text
    assert (row.url, row.reply_to, row.thread_id, row.platform_lang) == (
        post.url, post.reply_to, post.thread_id, post.lang
    )
    assert row.created_at == post.created_at
    assert row.metrics == dict(post.metrics) and row.extra == dict(post.extra)


_BREAKING = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def assert_clean(row) -> None:
    """Nothing a database refuses or a terminal obeys; every field within its column."""
    assert not _BREAKING.search(row.text)
    for name in ONE_LINE:
        value = getattr(row, name)
        if value is None:
            continue
        assert not _BREAKING.search(value) and "\n" not in value and "\t" not in value, name
        length = getattr(posts.c[name].type, "length", None)
        assert length is None or len(value) <= length, name
    for key, value in row.metrics.items():
        assert not _BREAKING.search(key) and isinstance(value, int) and -(2**63) <= value < 2**63
    for key, value in row.extra.items():
        assert not _BREAKING.search(key) and not _BREAKING.search(value)


def _raw(post: Post) -> str:
    """How a refused post is kept: its replay-format JSON, bytes decoded, anything else JSON lacks as null."""
    fallback = lambda v: v.decode("utf-8", "replace") if isinstance(v, bytes) else None  # noqa: E731
    return json.dumps(post_record(post), ensure_ascii=True, sort_keys=True, default=fallback)


@st.composite
def replay_files(draw: st.DrawFn) -> list[bytes]:
    """Replay lines, each naming the brand twice, with hostile fields, missing ids, and one random byte inserted."""
    lines = []
    for n in range(draw(st.integers(1, 6))):
        record = {
            "platform": "x",
            "id": f"{n:04d}",  # one inserted byte cannot turn one id into another
            "author": draw(hostile),
            "text": f"{draw(hostile)} acme {n} {draw(st.one_of(hostile, huge()))} acme",
            "created_at": "2026-11-20T09:15:00Z",
            "lang": draw(st.one_of(st.none(), hostile)),
            "metrics": {draw(hostile): draw(st.integers(-(2**70), 2**70))},
        }
        if draw(st.integers(0, 5)) == 0:
            record["id"] = draw(st.sampled_from([None, "", " ", "\x00"]))
        line = json.dumps(record, ensure_ascii=draw(st.booleans())).encode("utf-8", "backslashreplace")
        if draw(st.booleans()):  # one byte anywhere, never a line break: it damages only this line
            at = draw(st.integers(0, len(line)))
            byte = draw(st.integers(0, 255).filter(lambda b: b not in (0x0A, 0x0D)))
            line = line[:at] + bytes([byte]) + line[at:]
        lines.append(line)
    return lines


def test_a_hostile_replay_file_is_stored_or_quarantined_line_by_line(app, tmp_path) -> None:
    from connectors.replay import ReplayConnector, ReplaySettings

    path = tmp_path / "hostile.jsonl"
    connector = ReplayConnector(ReplaySettings(path=path, page_size=2), clock=lambda: NOW)

    @FUZZ
    @given(replay_files())
    def run(lines: list[bytes]) -> None:
        reset(app)
        path.write_bytes(b"\n".join(lines) + b"\n")
        result = app.pipeline.poll("replay", connector, app.config.brands[0], force=True)
        assert result.error is None, result.error
        assert cursor(app.engine).position == str(len(lines))
        with app.engine.connect() as conn:
            rows = list(conn.execute(select(posts)))
            held = list(conn.execute(select(quarantine)))
        assert len(rows) + len(held) == len(lines)  # each line stored or quarantined: none lost, none twice
        for row in rows:
            assert_clean(row)

    run()
