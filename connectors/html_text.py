"""HTML fragments (Mastodon statuses, HN comments, feed summaries) as plain text.

A link whose text is its URL shortened (Hacker News cuts long ones with ``...``)
is written as the full URL from its ``href`` (see :mod:`connectors.links`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from connectors.links import full_link

_BREAKS = {"br", "p", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr"}
_SKIP = {"script", "style"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._link: tuple[str, int] | None = None  # the open <a>'s href, and where its text starts in parts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            self._link = (href, len(self.parts)) if href else None
        elif tag in _SKIP:
            self._skipping += 1
        elif tag == "p":  # a paragraph, closed or not (Hacker News only opens them): a blank line before it
            self.parts.append("\n\n")
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            href, start = self._link
            self._link = None
            url = full_link("".join(self.parts[start:]), href)
            if url is not None:
                self.parts[start:] = [url]
        elif tag in _SKIP:
            self._skipping = max(self._skipping - 1, 0)
        elif tag in _BREAKS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Visible text of ``fragment``: tags dropped, entities decoded, paragraphs kept as line breaks."""
    if "<" not in fragment and "&" not in fragment:
        return fragment.strip()
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
