"""Every parser of untrusted input, with a realistic sample and the errors its caller handles.

To fuzz a new connector, add a :class:`Target` here: its parse function (one
raw payload in), a sample payload as the platform sends it, and the exception
types the connector catches around that call (anything else would crash a poll).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors import bluesky, hn, mastodon, reddit, replay, rss, x


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

HN_COMMENT = {
    "objectID": "42000002", "author": "lee", "created_at": "2026-11-20T12:00:00Z", "created_at_i": 1795176000,
    "_tags": ["comment", "author_lee", "story_42000001"], "comment_text": "<p>acme is down</p>",
    "parent_id": 42000001, "story_id": 42000001, "story_title": "Acme routers drop wifi", "story_url": None,
    "points": None, "num_comments": None,
}
BLUESKY_POST_VIEW = {
    "uri": "at://did:plc:e3e971a57e85c28570b085f1/app.bsky.feed.post/3l1rh56wpyi7a",
    "cid": "bafyreie132c732107660e320600e8f0c2b9280650ef03ffcfdbdfe51e5",
    "author": {"did": "did:plc:e3e971a57e85c28570b085f1", "handle": "b1.bsky.social", "displayName": "B1"},
    "record": {
        "$type": "app.bsky.feed.post", "text": "acme lost my parcel", "createdAt": "2026-11-20T12:00:00.000Z",
        "langs": ["en"],
        "reply": {
            "root": {"uri": "at://did:plc:aaa/app.bsky.feed.post/3l1", "cid": "bafy1"},
            "parent": {"uri": "at://did:plc:aaa/app.bsky.feed.post/3l1", "cid": "bafy1"},
        },
    },
    "replyCount": 0, "repostCount": 0, "likeCount": 1, "quoteCount": 0, "indexedAt": "2026-11-20T12:00:00.000Z",
}
MASTODON_STATUS = {
    "id": "117648654336000001", "created_at": "2026-11-20T12:00:00.000Z", "in_reply_to_id": None,
    "in_reply_to_account_id": None, "visibility": "public", "language": "en",
    "uri": "https://mastodon.social/users/m1/statuses/117648654336000001",
    "url": "https://mastodon.social/@m1/117648654336000001", "replies_count": 0, "reblogs_count": 0,
    "favourites_count": 1, "content": "<p>acme support is slow <a href=\"https://mastodon.social/tags/acme\">#acme</a></p>",
    "reblog": None,
    "account": {"id": "100", "username": "m1", "acct": "m1", "display_name": "M1", "followers_count": 10},
    "tags": [{"name": "acme", "url": "https://mastodon.social/tags/acme"}],
}
# As feedparser hands an entry over (a dict; the parsed date a 9-tuple like time.struct_time).
RSS_ENTRY = {
    "id": "tag:news.example.com,2026:1", "title": "Acme recall widens", "summary": "<p>Acme said sorry</p>",
    "link": "https://news.example.com/acme-recall", "author": "Newsroom",
    "published_parsed": (2026, 11, 20, 9, 15, 0, 4, 324, 0),
}
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

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
    # The key-less sources' items go through connectors.incremental, which also catches AttributeError.
    Target("hn hit", hn.parse_hit, HN_COMMENT, (*_ITEM_ERRORS, AttributeError)),
    Target("bluesky post view", bluesky.parse_post_view, BLUESKY_POST_VIEW, (*_ITEM_ERRORS, AttributeError)),
    Target(
        "mastodon status",
        lambda status: mastodon.parse_status(status, host="mastodon.social"),
        MASTODON_STATUS,
        (*_ITEM_ERRORS, AttributeError),
    ),
    Target("rss entry", lambda entry: rss.parse_entry(entry, feed="Example News", now=NOW), RSS_ENTRY, _ITEM_ERRORS),
]
