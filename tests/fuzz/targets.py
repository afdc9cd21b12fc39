"""Every parser of untrusted input, with a realistic sample and the errors its caller handles.

To fuzz a new connector, add a :class:`Target` here: its parse function (one
raw payload in), a sample payload as the platform sends it, and the exception
types the connector catches around that call (anything else would crash a poll).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors import reddit, replay, x


@dataclass(frozen=True)
class Target:
    """One parser under fuzz."""

    name: str
    parse: Callable[[Any], Any]
    sample: Any
    handled: tuple[type[BaseException], ...]  # what the caller catches and turns into "skip, log"


REDDIT_SUBMISSION = {
    "kind": "t3",
    "data": {
        "id": "1abcde", "title": "Acme broke my order", "selftext": "third time", "author": "dana",
        "author_fullname": "t2_xyz", "created_utc": 1763630100.0, "score": 12, "num_comments": 3,
        "subreddit": "acme", "permalink": "/r/acme/comments/1abcde/acme_broke/", "author_link_karma": 10,
    },
}
REDDIT_COMMENT = {
    "kind": "t1",
    "data": {
        "id": "c0ffee", "body": "same here", "author": "lee", "created_utc": 1763630200, "score": 1,
        "parent_id": "t3_1abcde", "link_id": "t3_1abcde", "link_title": "Acme broke my order", "subreddit": "acme",
        "permalink": "/r/acme/comments/1abcde/x/c0ffee/",
    },
}
X_PAGE = {
    "data": [
        {
            "id": "1860000000000000001", "text": "acme is down again", "author_id": "1000",
            "created_at": "2026-11-20T09:15:00.000Z", "conversation_id": "1860000000000000001", "lang": "en",
            "public_metrics": {"retweet_count": 0, "reply_count": 1, "like_count": 3, "quote_count": 0},
            "referenced_tweets": [{"type": "replied_to", "id": "1860000000000000000"}],
            "in_reply_to_user_id": "1001",
        }
    ],
    "includes": {"users": [{"id": "1000", "username": "dana", "public_metrics": {"followers_count": 120}}]},
    "meta": {"newest_id": "1860000000000000001", "oldest_id": "1860000000000000001", "result_count": 1},
}
REPLAY_LINE = {
    "platform": "x", "id": "1", "author": "dana", "text": "acme …", "created_at": "2026-11-20T09:15:00Z",
    "url": "https://x.com/dana/status/1", "reply_to": None, "metrics": {"followers": 120, "likes": 3},
}

# Huge numbers (1e309 is inf in JSON) overflow int() and datetime: callers catch OverflowError too.
_ITEM_ERRORS = (KeyError, TypeError, ValueError, OverflowError)


def _replay_line(payload: Any) -> Any:
    """As the replay connector reads a line: JSON text, then one post."""
    return replay.parse_post(json.loads(json.dumps(payload)))


TARGETS = [
    Target("reddit submission", reddit.parse_thing, REDDIT_SUBMISSION, _ITEM_ERRORS),
    Target("reddit comment", reddit.parse_thing, REDDIT_COMMENT, _ITEM_ERRORS),
    # A whole search page: malformed tweets inside are skipped and counted, never raised.
    Target("x page", lambda body: x.parse_page(body if isinstance(body, dict) else {"data": body}), X_PAGE, ()),
    Target("x tweet", lambda item: x.parse_tweet(item, {}), X_PAGE["data"][0], _ITEM_ERRORS),
    Target("replay line", _replay_line, REPLAY_LINE, _ITEM_ERRORS),
]
