"""Links shown shortened (``example.com/some/pa…``) read back as the full URL they point at.

Platforms show long links cut: Bluesky's app writes ``open.substack.com/pub/christac...``
into the post's text and keeps the URL only in a link facet; Hacker News cuts a
comment's link text with ``...`` and keeps the URL in ``href``. The text alone
would store a link nobody can follow, and brand terms in the rest of the URL
would go unseen.
"""

from __future__ import annotations

import urllib.parse

_ELLIPSES = ("...", "…")


def full_link(shown: str, target: str) -> str | None:
    """``target`` when ``shown`` is a shortened form of it (no scheme, no ``www.``, cut off); else None.

    Link text that is not a form of its URL ("click here", ``@name``, ``#tag``) is
    the writer's own words and stays as written: None.
    """
    if not target.startswith(("http://", "https://")):
        return None
    core = shown.strip()
    for ellipsis in _ELLIPSES:
        core = core.removesuffix(ellipsis)
    core = core.rstrip()
    host = urllib.parse.urlsplit(target).netloc.lower()
    bare = _without_scheme(target)
    forms = (target, bare, bare.removeprefix("www."))
    if len(_without_scheme(core)) < len(host.removeprefix("www.")):
        return None  # shorter than the host: a word, not a shortened URL
    return target if any(form.startswith(core) for form in forms) else None


def _without_scheme(url: str) -> str:
    return url.split("://", 1)[1] if "://" in url else url
