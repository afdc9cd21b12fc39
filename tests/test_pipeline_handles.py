"""Which of the brand's own accounts a poll asks a source about: its platform's, or all for a mixed source."""

from __future__ import annotations

from connectors.base import Cursor, Page, Query
from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from tests.conftest import Clock


class Recording:
    """A source that records the query it was asked and has nothing new."""

    def __init__(self, platform: str, *, mixes_platforms: bool = False) -> None:
        self.platform = platform
        self.queries: list[Query] = []
        if mixes_platforms:
            self.mixes_platforms = True

    def fetch(self, query: Query, cursor: Cursor):
        self.queries.append(query)
        yield Page(posts=(), cursor=cursor)


def test_a_source_gets_the_handles_of_its_platform_and_a_mixed_source_those_of_every_platform(tmp_path) -> None:
    config = parse_config(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'd.db'}"},
            "slack": {"console": True},
            "brands": [{"name": "Acme", "terms": ["acme"], "handles": {"x": "AcmeSupport", "reddit": ["acme_a", "b"]}}],
        },
        env={},
    )
    app = bootstrap(config, clock=Clock(), classifier=object(), connectors={})
    brand = config.brand("Acme")
    x, mixed = Recording("x"), Recording("replay", mixes_platforms=True)
    app.pipeline.poll("x", x, brand)
    app.pipeline.poll("replay", mixed, brand)
    assert x.queries[0].handles == ("AcmeSupport",)
    assert sorted(mixed.queries[0].handles) == ["AcmeSupport", "acme_a", "b"]
    app.engine.dispose()
