"""Fuzz every connector's parser: any payload is parsed or refused with an error its caller handles."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from connectors.base import Post
from tests.fuzz.strategies import payloads
from tests.fuzz.targets import TARGETS, Target

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_the_sample_parses(target: Target) -> None:
    assert target.parse(target.sample) is not None


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_no_payload_crashes_the_parser(target: Target) -> None:
    @FUZZ
    @given(payloads(target.sample))
    def run(payload) -> None:
        try:
            result = target.parse(payload)
        except target.handled:
            return
        for post in _posts(result):
            assert isinstance(post, Post) and post.created_at.tzinfo is not None
            assert isinstance(post.text, str) and isinstance(post.post_id, str)

    run()


def _posts(result) -> list[Post]:
    if isinstance(result, Post):
        return [result]
    if isinstance(result, tuple):
        found = []
        for part in result:
            found.extend(_posts(part) if not isinstance(part, list) else [p for p in part if isinstance(p, Post)])
        return found
    return []
