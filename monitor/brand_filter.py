"""Which fetched posts are a brand's mentions: its query on the normalised text, its excluded authors and sites.

Every source's posts pass here, whatever its connector pushed down into the
platform's search, so all sources give the same answer for the same post. The
brand's own posts (its replies close threads) are always kept, and so are posts
that @-mention one of its own accounts (they are addressed to the brand).
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from connectors.base import Post
from connectors.registry import SOURCES
from monitor.config import BrandSettings
from values.query_match import Subject, matches
from values.query_tree import languages
from values.textfold import tagged_words

log = logging.getLogger(__name__)

# The language of each text (ISO 639 codes, None when the text does not say): models.language's detector.
Detect = Callable[[Sequence[str]], list[str | None]]


@dataclass
class BrandFilter:
    """The one check of a post against a brand: :meth:`keeps`."""

    brand: BrandSettings
    own_handles: tuple[str, ...]
    detect: Callable[[], Detect] | None = None  # loaded only when the query says lang:
    _authors: dict[str, set[str]] = field(init=False)

    def __post_init__(self) -> None:
        self._authors = {}
        for entry in self.brand.exclude_authors:
            platform, _, name = entry.partition(":")
            if platform.lower() not in SOURCES:  # no platform named: the whole entry is the author (did:plc:…)
                platform, name = "", entry
            self._authors.setdefault(platform.lower(), set()).add(_account(name))
        self._own = {_account(h) for h in self.own_handles}
        self._addressed = [tagged_words("@" + h) for h in self._own if h]  # as connectors.base.addresses reads them
        self._needs_lang = languages(self.brand.tree)

    def keeps(self, post: Post) -> bool:
        """True when ``post`` (normalised) is one of the brand's mentions, or the brand's own post."""
        author = _account(post.author)
        if author in self._own:
            return True
        if author in self._authors.get("", ()) or author in self._authors.get(post.platform.lower(), ()):
            return False
        link = shared_link(post)
        if self.brand.exclude_domains and any(
            _on_site(_host(url), d) for url in (link, post.url) if url for d in self.brand.exclude_domains
        ):
            return False
        subject = Subject(f"{post.text}\n{link}" if link else post.text, post.platform, self._language(post))
        if any(subject.index.contains(handle) for handle in self._addressed):  # addressed to the brand
            return True
        return matches(self.brand.tree, subject)

    def _language(self, post: Post) -> str | None:
        if post.lang or not self._needs_lang or self.detect is None:
            return post.lang
        try:
            return self.detect()([post.text])[0]
        except Exception as exc:  # noqa: BLE001 - a broken detector must not stop the source: language unknown
            log.warning("%s: language not detected for %s:%s (%s)", self.brand.name, post.platform, post.post_id, exc)
            return None


def shared_link(post: Post) -> str | None:
    """The link a post shares (a Reddit or HN link post's target, a feed entry's article), matched with its text."""
    return post.extra.get("link") or (post.url if post.platform == "rss" else None)


def _account(name: str) -> str:
    return name.strip().lstrip("@").removeprefix("u/").lower()


def _host(url: str) -> str:
    try:
        return (urllib.parse.urlsplit(url if "://" in url else f"//{url}").hostname or "").lower()
    except ValueError:  # a malformed URL (an invalid port, a bad IPv6 literal) names no site
        return ""


def _on_site(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)
