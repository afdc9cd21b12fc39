"""The conformance suite every connector passes, run against its local fake API.

A connector's test module supplies a :class:`Harness` (its fake server, a way
to add matching posts, inject faults and build a connector on a shared test
clock) and runs every function in :data:`CHECKS` on a fresh harness, e.g.::

    @pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
    def test_conformance(harness, check):
        check(harness)

The checks mirror what the pipeline does: store each page, then save its
cursor; a failure keeps what was stored and the last saved cursor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import pytest

from connectors.base import AuthError, Connector, Cursor, Post, Query, RateLimited, Unavailable

FAULTS = ("429", "401", "500", "timeout", "malformed", "reorder")
# How soon a connector gives up on a server that does not answer, in the timeout check: the check is about what
# a timeout becomes (Unavailable, nothing lost), not how long the production timeout is.
QUICK_TIMEOUT = 0.2


class Harness(Protocol):
    """One connector and its fake platform, sharing a clock the test moves."""

    platform: str
    query: Query
    page_size: int  # posts per API page, so checks can make a read span several pages

    def add_posts(self, count: int) -> list[str]:
        """Publish ``count`` new posts matching ``query``; returns their ``Post.post_id`` values, oldest first."""
        ...

    def fault(self, kind: str, *, times: int = 1) -> None:
        """Make the next ``times`` API requests fail as ``kind`` (one of :data:`FAULTS`)."""
        ...

    def clear_faults(self) -> None:
        """Serve normally again."""
        ...

    def connector(self, *, timeout: float | None = None) -> Connector:
        """A new connector instance, as after a restart of the daemon (giving up on a request after ``timeout`` s)."""
        ...

    def advance(self, seconds: float) -> None:
        """Move the shared clock (time passing, or waiting out a rate limit)."""
        ...


@dataclass
class Store:
    """What the pipeline keeps: every stored post (by id, with repeats counted) and the saved cursor."""

    cursor: Cursor = field(default_factory=Cursor)
    posts: dict[str, Post] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)
    skipped: int = 0

    def read(self, connector: Connector, query: Query, *, pages: int | None = None) -> list[Post]:
        """Fetch from the saved cursor, storing page by page; stop after ``pages`` pages if given."""
        got: list[Post] = []
        for n, page in enumerate(connector.fetch(query, self.cursor), start=1):
            for post in page.posts:
                assert post.platform, "every post names its platform"
                assert post.created_at.utcoffset() == timedelta(0), "created_at in UTC, whatever offset the API wrote"
                self.posts[post.post_id] = post
                self.deliveries[post.post_id] = self.deliveries.get(post.post_id, 0) + 1
            got.extend(page.posts)
            self.skipped += page.skipped
            self.cursor = page.cursor
            if pages is not None and n >= pages:
                break
        return got

    def ids(self) -> set[str]:
        """Ids of everything stored."""
        return set(self.posts)


def with_timeout(settings: Any, timeout: float | None) -> Any:
    """``settings`` (a connector's pydantic settings) with another request timeout, when one is given."""
    return settings if timeout is None else settings.model_copy(update={"timeout": timedelta(seconds=timeout)})


def _ids(posts: list[Post]) -> list[str]:
    return [p.post_id for p in posts]


def check_first_read_gets_every_post(h: Harness) -> None:
    """A first read returns the posts that exist, each once."""
    added = h.add_posts(3)
    store = Store()
    got = store.read(h.connector(), h.query)
    assert sorted(_ids(got)) == sorted(added)


def check_cursor_round_trip(h: Harness) -> None:
    """The saved cursor survives JSON and a restart: a new connector from it returns only newer posts."""
    first = h.add_posts(2)
    store = Store()
    store.read(h.connector(), h.query)
    assert store.ids() == set(first)
    restored = Cursor.from_json(json.loads(json.dumps(store.cursor.to_json())))
    assert restored == store.cursor
    later = h.add_posts(2)
    after_restart = Store(cursor=restored)
    assert sorted(_ids(after_restart.read(h.connector(), h.query))) == sorted(later)


def check_nothing_new_changes_nothing(h: Harness) -> None:
    """A read with nothing new yields no posts and leaves the cursor as it was."""
    h.add_posts(3)
    store = Store()
    connector = h.connector()
    store.read(connector, h.query)
    before = store.cursor
    h.advance(60)
    assert store.read(connector, h.query) == []
    assert store.cursor == before


def check_rate_limited_backs_off_without_loss(h: Harness) -> None:
    """A 429 raises RateLimited with a positive wait; after waiting, the next read loses nothing."""
    store = Store()
    connector = h.connector()
    store.read(connector, h.query)
    added = h.add_posts(h.page_size * 2 + 1)
    h.fault("429")
    with pytest.raises(RateLimited) as raised:
        store.read(connector, h.query)
    assert raised.value.retry_after > 0
    h.advance(raised.value.retry_after + 1)
    store.read(connector, h.query)
    assert set(added) <= store.ids()


def check_rate_limited_mid_read_keeps_stored_pages(h: Harness) -> None:
    """A 429 on a later page keeps the pages stored before it; the next read completes the set."""
    store = Store()
    connector = h.connector()
    store.read(connector, h.query)
    added = h.add_posts(h.page_size * 2 + 1)
    pages = connector.fetch(h.query, store.cursor)
    first = next(pages)
    store.posts.update({p.post_id: p for p in first.posts})
    store.cursor = first.cursor
    h.fault("429")
    with pytest.raises(RateLimited) as raised:
        for page in pages:
            store.posts.update({p.post_id: p for p in page.posts})
            store.cursor = page.cursor
    h.clear_faults()
    h.advance(raised.value.retry_after + 1)
    store.read(connector, h.query)
    assert set(added) <= store.ids()


def check_auth_error_on_rejected_credentials(h: Harness) -> None:
    """401 from the platform (token endpoint or API) raises AuthError, not a retryable error."""
    h.add_posts(1)
    h.fault("401", times=20)
    with pytest.raises(AuthError):
        Store().read(h.connector(), h.query)


def check_outage_is_unavailable_and_cursor_unchanged(h: Harness) -> None:
    """5xx raises Unavailable and saves no cursor past unread posts; after the outage nothing is lost."""
    store = Store()
    connector = h.connector()
    store.read(connector, h.query)
    added = h.add_posts(2)
    h.fault("500", times=20)
    with pytest.raises(Unavailable):
        store.read(connector, h.query)
    h.clear_faults()
    h.advance(120)
    store.read(connector, h.query)
    assert set(added) <= store.ids()


def check_timeout_is_unavailable(h: Harness) -> None:
    """A server that never answers in time gives Unavailable; the next read loses nothing."""
    store = Store()
    connector = h.connector(timeout=QUICK_TIMEOUT)
    store.read(connector, h.query)
    added = h.add_posts(2)
    h.fault("timeout", times=20)
    with pytest.raises(Unavailable):
        store.read(connector, h.query)
    h.clear_faults()
    h.advance(120)
    store.read(connector, h.query)
    assert set(added) <= store.ids()


def check_malformed_item_skipped_and_counted(h: Harness) -> None:
    """A broken item inside a page is skipped and counted; the good posts around it are kept."""
    added = h.add_posts(4)
    h.fault("malformed")
    store = Store()
    store.read(h.connector(), h.query)
    assert store.skipped >= 1
    assert set(added) <= store.ids()


def check_restart_mid_pagination_loses_and_repeats_nothing(h: Harness) -> None:
    """Stop after the first page (a crash), restart from its cursor: every post stored, none handed out twice."""
    store = Store()
    store.read(h.connector(), h.query)
    added = h.add_posts(h.page_size * 2 + 1)
    store.read(h.connector(), h.query, pages=1)
    store.read(h.connector(), h.query)  # the restarted daemon
    assert set(added) <= store.ids()
    assert {i: store.deliveries[i] for i in added} == dict.fromkeys(added, 1)
    assert store.read(h.connector(), h.query) == []


def check_overlap_and_reorder_are_deduplicated(h: Harness) -> None:
    """When the platform reorders and repeats items at the edge, each post is handed out once."""
    store = Store()
    connector = h.connector()
    old = h.add_posts(3)
    store.read(connector, h.query)
    new = h.add_posts(3)
    h.fault("reorder", times=3)
    got = store.read(connector, h.query)
    assert sorted(_ids(got)) == sorted(new)
    assert all(store.deliveries[i] == 1 for i in old + new)


CHECKS: tuple[Callable[[Harness], None], ...] = (
    check_first_read_gets_every_post,
    check_cursor_round_trip,
    check_nothing_new_changes_nothing,
    check_rate_limited_backs_off_without_loss,
    check_rate_limited_mid_read_keeps_stored_pages,
    check_auth_error_on_rejected_credentials,
    check_outage_is_unavailable_and_cursor_unchanged,
    check_timeout_is_unavailable,
    check_malformed_item_skipped_and_counted,
    check_restart_mid_pagination_loses_and_repeats_nothing,
    check_overlap_and_reorder_are_deduplicated,
)
