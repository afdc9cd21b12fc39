"""``brand-monitor query test``: the stored posts a changed query would gain and lose, before the daemon uses it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from connectors.base import Cursor, Page, Post, Query
from monitor import cli
from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from tests.conftest import Clock
from tests.connectors.recorded_store import _Neutral


class Pages:
    platform = "x"

    def __init__(self, posts: list[Post]) -> None:
        self.posts = posts

    def fetch(self, query: Query, cursor: Cursor) -> Iterator[Page]:
        yield Page(tuple(self.posts), Cursor("1"))


def _store(db_url: str, clock: Clock) -> None:
    """Posts stored under the old config: Acme by its terms, and a post only the brand "Other" fetched."""
    now = clock()
    posts = [
        Post("x", "1", "ann", "acme lost my parcel", now - timedelta(days=1)),
        Post("x", "2", "bob", "Acme Corp quarterly results", now - timedelta(days=2)),
        Post("x", "3", "cat", "#acme love it", now - timedelta(days=30)),  # outside --days
        Post("x", "4", "dan", "Sklep ACME: zwrot odrzucony, reklamacja też", now - timedelta(hours=3)),
    ]
    other = [Post("x", "5", "eve", "wile e coyote bought acmeproducts again", now - timedelta(hours=1))]
    raw = {
        "storage": {"url": db_url},
        "slack": {"console": True},
        "brands": [{"name": "Acme", "terms": ["acme"]}, {"name": "Other", "terms": ["wile"]}],
    }
    app = bootstrap(parse_config(raw, env={}), clock=clock, classifier=_Neutral(), connectors={})
    try:
        app.pipeline.poll("x", Pages(posts), app.config.brand("Acme"))
        app.pipeline.poll("x", Pages(other), app.config.brand("Other"))
    finally:
        app.engine.dispose()


def _config(tmp_path: Path, db_url: str, query: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage]\nurl = "{db_url}"\n[slack]\nconsole = true\n'
        f"[[brands]]\nname = \"Acme\"\nquery = '{query}'\n[[brands]]\nname = \"Other\"\nterms = [\"wile\"]\n",
        encoding="utf-8",
    )
    return path


def test_a_narrower_and_wider_query_lists_what_it_would_gain_and_lose(db_url, tmp_path, capsys) -> None:
    clock = Clock()
    _store(db_url, clock)
    config = _config(tmp_path, db_url, '(acme OR acmeproducts) NOT "acme corp"')
    code = cli.main(["query", "test", "--brand", "Acme", "--days", "7", "--config", str(config)], clock=clock)
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == (
        "Acme: 4 posts stored in the last 7 day(s); 2 mentions still match,"
        " 1 would match (+), 1 would no longer match (-)"
    )
    assert out[1].startswith("+ ") and out[1].endswith("x:5 wile e coyote bought acmeproducts again")
    assert out[2].startswith("- ") and out[2].endswith("x:2 Acme Corp quarterly results")
    assert len(out) == 3


def test_json_lists_every_post_and_an_unknown_brand_is_a_usage_error(db_url, tmp_path, capsys) -> None:
    clock = Clock()
    _store(db_url, clock)
    config = _config(tmp_path, db_url, "acme NEAR/2 zwrot")
    code = cli.main(["query", "test", "--brand", "Acme", "--json", "--config", str(config)], clock=clock)
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["checked"] == 4 and report["still_matching"] == 1
    assert [p["id"] for p in report["would_no_longer_match"]] == ["2", "1"]  # oldest first
    assert report["would_match"] == []
    code = cli.main(["query", "test", "--brand", "Nope", "--config", str(config)], clock=clock)
    assert code == 2 and "unknown brand 'Nope'" in capsys.readouterr().err
