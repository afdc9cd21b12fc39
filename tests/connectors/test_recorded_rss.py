"""Real saved RSS and Atom feeds, fetched over HTTP and parsed with feedparser by the connector's fetch path.

Each feed is checked against the document itself, read independently with
ElementTree: every entry is read (or rejected, never lost), with its own
author or the Atom feed's, UTC times from offsets and zone names (``EST``),
links resolved against the feed's URL, FeedBurner's ``origLink``, text
decoded from windows-1251 and from content escaped twice.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from connectors.base import Post, Query
from connectors.rss import RssConnector, RssSettings
from tests.conftest import Clock
from tests.connectors.recorded_store import as_row_fields, poll_and_read_rows, read_all
from tests.support.fake_http import FakeServer
from tests.support.recorded import RecordedServer, recorded_files, recording

ATOM = "{http://www.w3.org/2005/Atom}"
FEEDBURNER = "{http://rssnamespace.org/feedburner/ext/1.0}"
FEEDS = {  # recording -> (path it is served at, content type)
    "rss/intertwingly.atom.xz": ("/blog/index.atom", "application/atom+xml"),
    "rss/tpm.atom.xz": ("/account/feed/all", "application/atom+xml"),
    "rss/iconv.xml": ("/rss/news", "application/rss+xml"),  # no charset: the XML prolog says windows-1251
    "rss/guid-dupes.xml": ("/braingle/newteasers", "application/rss+xml"),
    "rss/illegally-nested.xml.xz": ("/ziffdavis/pcmag/dvorak", "application/rss+xml"),
}
ENTITY = re.compile(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", re.IGNORECASE)


def _read(file: str, *terms: str, clock: Clock | None = None) -> tuple[list[Post], list[Any], str]:
    path, content_type = FEEDS[file]
    with RecordedServer() as server:
        server.serve(path, file, headers={"content-type": content_type})
        url = server.base_url + path
        settings = RssSettings.model_validate({"feeds": [url], "timeout": "2s", "first_read_window": "9999d"})
        posts, rejected, _ = read_all(RssConnector(settings, clock=clock or Clock()), Query("B", terms))
        assert not server.unmatched
        return posts, rejected, server.base_url


def _atom_entries(file: str) -> list[dict[str, Any]]:
    root = ET.fromstring(recording(file).body)
    out = []
    for entry in root.findall(f"{ATOM}entry"):
        author = entry.find(f"{ATOM}author")
        link = next(x.get("href") for x in entry.findall(f"{ATOM}link") if x.get("rel") in (None, "alternate"))
        out.append(
            {
                "title": entry.findtext(f"{ATOM}title"),
                "author": None if author is None else author.findtext(f"{ATOM}name"),
                "when": datetime.fromisoformat(entry.findtext(f"{ATOM}published") or entry.findtext(f"{ATOM}updated")),
                "link": link,
            }
        )
    return out


def _rss_items(file: str) -> list[dict[str, Any]]:
    root = ET.fromstring(recording(file).body)
    return [
        {
            "title": item.findtext("{*}title"),
            "when": parsedate_to_datetime(item.findtext("{*}pubDate").replace(" EST", " -0500")),
            "link": item.findtext(f"{FEEDBURNER}origLink") or item.findtext("{*}link"),
        }
        for item in root.iter()
        if item.tag.endswith("item") and item.findtext("{*}title") is not None  # not the empty nested <item/>
    ]


def _utc(posts: list[Post]) -> None:
    assert all(p.created_at.utcoffset() == timedelta(0) for p in posts)


def test_atom_feed_with_authors_only_at_feed_level_and_relative_links() -> None:
    file = "rss/intertwingly.atom.xz"
    posts, rejected, base = _read(file, "127.0.0.1")  # in every entry's link, as resolved against the local feed
    entries = _atom_entries(file)
    assert rejected == [] and len(posts) == len(entries) == 20
    assert {e["author"] for e in entries} == {None}, "no entry has its own <author>"
    for post, entry in zip(posts, entries, strict=True):
        assert post.author == "Sam Ruby", "the feed's <author><name>, without its e-mail address"
        assert post.url == base + entry["link"], "a relative link, resolved against the feed's URL"
        assert post.created_at == entry["when"].astimezone(UTC)
        assert post.text.split("\n\n", 1)[0] == entry["title"]
        assert post.extra == {"feed": "Sam Ruby", "title": entry["title"]}
    _utc(posts)
    assert posts[0].text.startswith("Inhibiting Suspend\n\nThe interface is a bit low level, but workable:")
    assert "<svg" not in posts[0].text and "<path" not in posts[0].text


def test_an_atom_entry_without_an_author_has_the_feeds_not_the_feeds_title() -> None:
    document = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>Acme Reviews</title><id>urn:r</id><updated>2026-11-20T10:00:00Z</updated>"
        b"<author><name>Jane Critic</name><email>jane@reviews.example</email></author>"
        b'<entry><title>Acme toaster review</title><id>urn:r:1</id><link href="/toaster"/>'
        b"<updated>2026-11-20T10:00:00Z</updated></entry>"
        b'<entry><title>Acme kettle review</title><id>urn:r:2</id><link href="/kettle"/>'
        b"<updated>2026-11-20T09:00:00Z</updated><author><name>Sam Guest</name></author></entry></feed>"
    )

    class Feed(FakeServer):
        def handle(self, method: str, path: str, query: dict, headers: dict, body: bytes) -> Any:
            return 200, document, {"content-type": "application/atom+xml"}

    with Feed() as server:
        settings = RssSettings.model_validate({"feeds": [f"{server.base_url}/atom"], "timeout": "2s"})
        posts, _, _ = read_all(RssConnector(settings, clock=Clock()), Query("Acme", ("acme",)))
    assert [(p.author, p.extra["feed"]) for p in posts] == [
        ("Jane Critic", "Acme Reviews"),
        ("Sam Guest", "Acme Reviews"),
    ]


def test_atom_entries_with_own_authors_offsets_and_content_escaped_twice() -> None:
    file = "rss/tpm.atom.xz"
    posts, rejected, base = _read(file, "127.0.0.1")
    entries = _atom_entries(file)
    assert rejected == [] and len(posts) == len(entries) == 20
    for post, entry in zip(posts, entries, strict=True):
        assert post.author == entry["author"]
        assert post.created_at == entry["when"].astimezone(UTC) and entry["when"].utcoffset() == timedelta(hours=-5)
        assert post.url == base + entry["link"]
        assert post.lang == "en-US", "the feed's xml:lang"
        assert not ENTITY.search(post.text), "content escaped twice is decoded twice, and no more"
    _utc(posts)
    first = posts[0]
    assert first.created_at == datetime(2017, 11, 8, 23, 15, 58, tzinfo=UTC)
    assert "\n\n“Joining us now is Dr. Sebastian Gorka,” Hannity said on his radio show." in first.text
    assert "Gorka’s" in first.text


def test_windows_1251_feed_without_guids() -> None:
    file = "rss/iconv.xml"
    posts, rejected, _ = _read(file, "oren.ru")
    items = _rss_items(file)
    assert rejected == [] and len(posts) == len(items) == 10
    assert len({p.post_id for p in posts}) == 10, "without <guid>, each entry's identity comes from its link"
    for post, item in zip(posts, items, strict=True):
        assert post.text.split("\n\n", 1)[0] == item["title"].strip()
        assert post.url == item["link"]
        assert post.created_at == item["when"].astimezone(UTC) and item["when"].utcoffset() == timedelta(hours=6)
        assert post.author == "Новости Оренбурга и области / Раздел Новости", "no author: the feed's name"
    assert posts[0].text.startswith("В Бузулуке главные стройплощадки – детсад и Ледовый дворец\n\nРаботы")
    assert posts[0].created_at == datetime(2014, 1, 22, 14, 31, 31, tzinfo=UTC)


def test_feedburner_item_with_its_guid_twice_and_flare_html() -> None:
    file = "rss/guid-dupes.xml"
    posts, rejected, _ = _read(file, "braingle")
    assert rejected == []
    assert posts == [
        Post(
            platform="rss",
            post_id=posts[0].post_id,
            author="Braingle's Newest Brain Teasers and Riddles",
            text="Huh?\n\nWhat's the Rebus?\n\nHow's that; how's that\n\nCheck Braingle.com for the answer.",
            created_at=datetime(2014, 6, 19, 6, 0, tzinfo=UTC),
            url="http://www.braingle.com/50366.html",
            lang="en-us",
            extra={"feed": "Braingle's Newest Brain Teasers and Riddles", "title": "Huh?"},
        )
    ]
    again, _, _ = _read(file, "braingle")
    assert again[0].post_id == posts[0].post_id, "the id comes from the <guid>, the same on every fetch"


def test_illegally_nested_empty_items_est_dates_and_orig_link() -> None:
    file = "rss/illegally-nested.xml.xz"
    posts, rejected, _ = _read(file, "pcmag")
    items = _rss_items(file)
    # The empty <item/> nested in each item is not an entry: 10 items, not 20 with 10 empty ones.
    assert rejected == [] and len(posts) == len(items) == 10
    for post, item in zip(posts, items, strict=True):
        assert post.url == item["link"] and post.url.startswith("http://www.pcmag.com/article2/")
        assert post.created_at == item["when"].astimezone(UTC)
        assert post.author == "PCMag.com: the Official John C. Dvorak RSS Feed", "managingEditor is no author"
        assert "feedflare" not in post.text and "feeds.feedburner.com" not in post.text
    assert posts[0].created_at == datetime(2018, 1, 17, 20, 50, tzinfo=UTC), "15:50 EST"


def test_stored_rows_equal_the_posts_read_from_the_recorded_feed(db_url: str) -> None:
    path, content_type = FEEDS["rss/tpm.atom.xz"]
    clock = Clock()
    with RecordedServer() as server:
        server.serve(path, "rss/tpm.atom.xz", headers={"content-type": content_type})
        settings = RssSettings.model_validate(
            {"feeds": [server.base_url + path], "timeout": "2s", "first_read_window": "9999d"}
        )
        expected, _, _ = read_all(RssConnector(settings, clock=clock), Query("Acme", ("trump",)))
        connector = RssConnector(settings, clock=clock)
        result, rows = poll_and_read_rows(db_url, connector, source="rss", terms=["trump"], clock=clock)
    assert result.error is None and result.new_posts == len(expected) > 5
    for post in expected:
        assert {k: rows[post.post_id][k] for k in as_row_fields(post)} == as_row_fields(post)


def test_every_rss_recording_is_read_by_these_tests() -> None:
    assert recorded_files("rss") == set(FEEDS)
