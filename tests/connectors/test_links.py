"""Shortened links read back as their full URL: HTML anchors and Bluesky link facets."""

from __future__ import annotations

from connectors.bluesky import parse_post_view
from connectors.html_text import html_to_text
from connectors.links import full_link


def test_a_shortened_form_of_the_url_becomes_the_url_and_other_link_text_stays() -> None:
    url = "https://open.substack.com/pub/christacollins/p/a-long-title"
    assert full_link("open.substack.com/pub/christac...", url) == url
    assert full_link("open.substack.com/pub/christac…", url) == url
    assert full_link("https://open.substack.com/pub/christac...", url) == url
    assert full_link("bsvars.org", "https://bsvars.org/") == "https://bsvars.org/"
    assert full_link("www.youtube.com/RiffomonasPr...", "https://www.youtube.com/RiffomonasProject")
    assert full_link("democracy", "http://bsky.app/search?q=democracy") is None
    assert full_link("@Gargron", "https://mastodon.social/@Gargron") is None
    assert full_link("open", url) is None, "shorter than the host: a word"
    assert full_link("open.substack.com/other", url) is None
    assert full_link("x.com/a", "javascript:alert(1)") is None


def test_html_anchor_with_cut_text_is_its_href_and_mentions_keep_their_text() -> None:
    html = (
        '<p>See <a href="https://example.com/a/long/path?q=1">example.com/a/lo...</a> and '
        '<a href="https://mastodon.social/@bob">@<span>bob</span></a> '
        '<a href="https://mastodon.social/tags/acme">#<span>acme</span></a></p>'
    )
    assert html_to_text(html) == "See https://example.com/a/long/path?q=1 and @bob #acme"


def _view(text: str, facets: list[object]) -> dict[str, object]:
    return {
        "uri": "at://did:plc:a/app.bsky.feed.post/1",
        "author": {"handle": "a.bsky.social", "did": "did:plc:a"},
        "record": {"text": text, "createdAt": "2025-07-04T08:00:00Z", "facets": facets},
    }


def _link(start: int, end: int, uri: str) -> dict[str, object]:
    feature = {"$type": "app.bsky.richtext.facet#link", "uri": uri}
    return {"index": {"byteStart": start, "byteEnd": end}, "features": [feature]}


def test_bluesky_facets_are_byte_offsets_and_broken_ones_leave_the_text_as_written() -> None:
    text = "Café ☕ read example.com/pa... now"
    start = len("Café ☕ read ".encode())
    end = start + len(b"example.com/pa...")
    url = "https://example.com/path/to/post"
    assert parse_post_view(_view(text, [_link(start, end, url)]))[2].text == f"Café ☕ read {url} now"
    # Character offsets (what a client with the wrong idea writes) point into the wrong bytes: left as written.
    char_start = len("Café ☕ read ")
    assert parse_post_view(_view(text, [_link(char_start, char_start + 17, url)]))[2].text == text
    for broken in (_link(end, start, url), _link(0, 10_000, url), _link(4, 5, url), {"index": "x"}, "facet"):
        assert parse_post_view(_view(text, [broken]))[2].text == text
