"""SlackChartUploader.find pages through conversations.history with Slack's cursor, through the real slack-sdk."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk import WebClient

from monitor.digest.upload import SlackChartUploader
from tests.support.fake_http import FakeServer, Reply

SINCE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class PagedHistory(FakeServer):
    """conversations.history in two pages: the first names the second by its cursor."""

    def __init__(self, pages: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__()
        self.pages = pages  # cursor ("" for the first page) -> messages
        self.calls: list[tuple[str, dict[str, str]]] = []

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        # slack-sdk sends a GET method's arguments form-encoded in the body.
        args = {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode()).items()}
        self.calls.append((path, args))
        cursor = args.get("cursor", "")
        # An unknown cursor, or a client asking again and again (not following the cursor), is refused.
        if path != "/api/conversations.history" or cursor not in self.pages or len(self.calls) > len(self.pages):
            return 200, {"ok": False, "error": "invalid_arguments"}, {}
        keys = list(self.pages)
        following = keys[keys.index(cursor) + 1] if keys.index(cursor) + 1 < len(keys) else ""
        return 200, {"ok": True, "messages": self.pages[cursor], "response_metadata": {"next_cursor": following}}, {}


def _pages(found_on_second: str) -> dict[str, list[dict[str, Any]]]:
    return {
        "": [{"type": "message", "ts": "1.0", "text": "no file"}, {"type": "message", "ts": "2.0", "files": []}],
        "page-2": [{"type": "message", "ts": "3.0", "files": [{"id": "F2", "name": found_on_second}]}],
    }


@pytest.mark.parametrize(("name", "expected"), [("digest-2026-11-20.png", "F2"), ("another.png", None)])
def test_find_follows_the_cursor_to_the_last_page(name: str, expected: str | None) -> None:
    with PagedHistory(_pages(name)) as server:
        uploader = SlackChartUploader(WebClient(token="xoxb-test", base_url=server.base_url + "/api/"))
        found = uploader.find(channel="C1", filename="digest-2026-11-20.png", since=SINCE)
        queries = [args for _, args in server.calls]
    assert found == expected
    # The first page is asked for without a cursor (not an empty or "None" one), the second with Slack's.
    assert "cursor" not in queries[0] and queries[1]["cursor"] == "page-2"
    assert len(queries) == 2 and all(q["channel"] == "C1" and q["limit"] == "200" for q in queries)
    assert float(queries[0]["oldest"]) == SINCE.timestamp() - 60
