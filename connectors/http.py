"""Plain-HTTP access for the key-less sources: one status-code table, rate-limit headers, timeouts.

Reddit and X classify their client libraries' exceptions; Hacker News,
Bluesky, Mastodon and RSS talk HTTP through ``requests`` directly, and share
this table so they answer failures the same way:

=================  ===========================================================
401 / 403          :class:`AuthError` (the source is disabled, ops is told)
429                :class:`RateLimited`, waiting as long as the headers say
5xx, timeouts,     :class:`Unavailable` (retried with back-off; the cursor
refused, not JSON  stays where it was)
other 4xx          :class:`SourceError` naming the request (a config problem)
=================  ===========================================================

When a response says the window is spent (``remaining`` is 0) the next
request is not sent at all: it raises :class:`RateLimited` until the reset.
"""

from __future__ import annotations

import email.utils
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import requests

from connectors.base import AuthError, RateLimited, SourceError, Unavailable

log = logging.getLogger(__name__)

DEFAULT_WAIT = 60.0
MAX_WAIT = 3600.0
USER_AGENT = "brand-monitor/0.1 (+https://github.com/brand-monitor/brand-monitor)"
# Header pairs (remaining, reset) platforms use: Mastodon/Reddit, X, then the IETF draft Bluesky uses.
_RATE_HEADERS = (
    ("x-ratelimit-remaining", "x-ratelimit-reset"),
    ("x-rate-limit-remaining", "x-rate-limit-reset"),  # X
    ("ratelimit-remaining", "ratelimit-reset"),
)


def reset_wait(headers: Mapping[str, str], *, now: float, default: float = DEFAULT_WAIT) -> float:
    """Seconds to wait from ``Retry-After`` or a rate-limit reset header, bounded to [1 s, 1 h].

    ``Retry-After`` is seconds or an HTTP date. A reset is epoch seconds (X,
    Bluesky), seconds from now (Reddit), or an ISO 8601 time (Mastodon).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    candidates = [lowered.get("retry-after")] + [lowered.get(reset) for _, reset in _RATE_HEADERS]
    for value in candidates:
        seconds = _seconds_until(value, now) if value else None
        if seconds is not None:
            return min(max(seconds, 1.0), MAX_WAIT)
    return default


def _seconds_until(value: str, now: float) -> float | None:
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return number - now if number > 1e9 else number  # an epoch time, else a delay
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() - now
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).timestamp() - now
    except (TypeError, ValueError):
        return None


class HttpSource:
    """A ``requests`` session for one platform: base URL, timeout, and the failure table above."""

    def __init__(
        self,
        platform: str,
        *,
        base_url: str,
        timeout: float,
        clock: Callable[[], datetime],
        auth_hint: str,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._clock = clock
        self._auth_hint = auth_hint  # what a person should check on 401/403
        self._blocked_until: dict[str, float] = {}  # host -> epoch seconds: its window is spent
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.requests_sent = 0

    def url(self, path: str) -> str:
        """``path`` under the base URL; absolute URLs (feeds, other instances) pass through."""
        return path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"

    def send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request; transport failures become :class:`Unavailable`, statuses are left to :meth:`check`."""
        url = self.url(path)
        host = requests.utils.urlparse(url).netloc
        now = self._clock().timestamp()
        blocked = self._blocked_until.get(host, 0.0)
        if now < blocked:
            wait = blocked - now
            raise RateLimited(f"{self.platform}: request window spent; resets in {wait:.0f}s", retry_after=wait)
        kwargs.setdefault("timeout", self._timeout)
        self.requests_sent += 1
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.Timeout:
            raise Unavailable(f"{self.platform}: timed out after {self._timeout:g}s on {_short(url)}") from None
        except requests.RequestException as exc:
            raise Unavailable(f"{self.platform}: {type(exc).__name__} on {_short(url)}") from None
        self._observe(host, response)
        return response

    def check(self, response: requests.Response) -> requests.Response:
        """Raise the typed error for a failed ``response``; return it when it succeeded (2xx/304)."""
        status = response.status_code
        where = _short(response.url or "")
        if status < 300 or status == 304:
            return response
        if status in (401, 403):
            raise AuthError(f"{self.platform}: HTTP {status} on {where} ({_detail(response)}): {self._auth_hint}")
        if status == 429:
            wait = reset_wait(response.headers, now=self._clock().timestamp())
            host = requests.utils.urlparse(response.url or self.base_url).netloc
            self._blocked_until[host] = max(self._blocked_until.get(host, 0.0), self._clock().timestamp() + wait)
            raise RateLimited(f"{self.platform}: 429 Too Many Requests on {where}", retry_after=wait)
        if status >= 500:
            raise Unavailable(f"{self.platform}: HTTP {status} on {where}")
        raise SourceError(f"{self.platform}: HTTP {status} on {where} ({_detail(response)})")

    def get_json(self, path: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """GET ``path`` and return its JSON body, or raise the typed error."""
        response = self.check(self.send("GET", path, params=_clean(params), **kwargs))
        return json_body(response, self.platform)

    def _observe(self, host: str, response: requests.Response) -> None:
        for remaining_header, _ in _RATE_HEADERS:
            remaining = response.headers.get(remaining_header)
            if remaining is None:
                continue
            try:
                spent = float(remaining) < 1
            except ValueError:
                log.debug("%s: unreadable %s header %r", self.platform, remaining_header, remaining)
                return
            if spent and response.status_code != 429:
                now = self._clock().timestamp()
                wait = reset_wait(response.headers, now=now, default=DEFAULT_WAIT)
                self._blocked_until[host] = max(self._blocked_until.get(host, 0.0), now + wait)
                log.warning("%s: request window spent; pausing %.0fs", self.platform, wait)
            return


def json_body(response: requests.Response, platform: str) -> Any:
    """The response's JSON; a body that is not JSON (a proxy's error page) is :class:`Unavailable`."""
    try:
        return response.json()
    except ValueError:
        raise Unavailable(f"{platform}: HTTP {response.status_code} answer is not JSON") from None


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if params is None else {k: v for k, v in params.items() if v is not None}


def _short(url: str) -> str:
    """The URL without its query string: queries may hold search terms, never worth logging in full."""
    return url.split("?", 1)[0]


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or "no detail"
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("error", "message", "error_description") if body.get(k)]
        if parts:
            return ": ".join(parts)[:200]
    return response.reason or "no detail"
