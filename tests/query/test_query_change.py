"""A changed query takes effect from the cursor the source has: a new search neither skips posts nor starts over."""

from __future__ import annotations

from connectors.base import Query
from tests.connectors.conformance import Store
from tests.connectors.harnesses import harness
from values.query_syntax import parse_query


def test_a_search_new_to_the_cursor_starts_where_the_others_had_got_to() -> None:
    with harness("hn", first_read_window="1h") as h:
        store = Store()
        connector = h.connector()
        first = h.server.story("acme launches a widget")
        h.advance(60)
        store.read(connector, Query("Acme", ("acme",)))
        assert store.ids() == {first}
        h.advance(60)
        missed_by_a_fresh_start = h.server.story("gizmo launch day")  # only the new alternative finds it
        h.advance(3 * 3600)  # longer ago than a first read would look back
        later = h.server.story("the gizmo is back")
        h.advance(60)
        sent = len(h.server.requests)
        store.read(connector, Query("Acme", (), expr=parse_query("acme OR gizmo")))
        assert store.ids() == {first, missed_by_a_fresh_start, later}
        assert all(n == 1 for n in store.deliveries.values()), "nothing handed out twice"
        searched = [r[2].get("query") for r in h.server.requests[sent:]]
        assert sorted(set(searched)) == ["acme", "gizmo"]
