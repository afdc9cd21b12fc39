"""Plain-HTTP access for the key-less sources: timeouts, rate-limit windows per host, the failure table.

Hacker News, Bluesky, Mastodon and RSS talk HTTP through ``requests``
directly. A failed request becomes the error :mod:`connectors.failures`
says (401/403 disable the source, 429 waits, 5xx and timeouts retry, other
4xx name the setting to check), as it does for Reddit's and X's client
libraries. Each host has a :class:`~connectors.ratelimit.RateWindow`: when a
response says the window is spent (``remaining`` 0, or a 429), no request
to that host is sent until the reset.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import requests

from connectors.failures import Kind, failure, kind_of_status, kind_of_transport, short_url
from connectors.ratelimit import RateWindow, reset_wait

log = logging.getLogger(__name__)

USER_AGENT = "brand-monitor/0.1 (+https://github.com/brand-monitor/brand-monitor)"

__all__ = ["USER_AGENT", "HttpSource", "json_body", "reset_wait"]


class HttpSource:
    """A ``requests`` session for one platform: base URL, timeout, a rate window per host, the failure table."""

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
        self.hints: dict[Kind, str] = {Kind.UNAUTHORIZED: auth_hint, Kind.FORBIDDEN: auth_hint}
        self._windows: dict[str, RateWindow] = {}  # host -> its request window
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.requests_sent = 0

    def url(self, path: str) -> str:
        """``path`` under the base URL; absolute URLs (feeds, other instances) pass through."""
        return path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"

    def window(self, url: str) -> RateWindow:
        """The request window of ``url``'s host."""
        host = requests.utils.urlparse(url).netloc
        window = self._windows.get(host)
        if window is None:  # setdefault: brands polled in parallel threads end up with the same window
            window = self._windows.setdefault(host, RateWindow(self.platform, clock=self._clock))
        return window

    def send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request; no answer is :class:`Unavailable`, statuses are left to :meth:`check`."""
        url = self.url(path)
        window = self.window(url)
        window.check()
        kwargs.setdefault("timeout", self._timeout)
        self.requests_sent += 1
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.RequestException as exc:
            kind = kind_of_transport(exc)
            detail = f"after {self._timeout:g}s" if kind is Kind.TIMEOUT else type(exc).__name__
            raise failure(self.platform, kind, where=short_url(url), detail=detail) from None
        window.observe(response.headers, status=response.status_code)
        return response

    def check(self, response: requests.Response, *, hints: Mapping[Kind, str] | None = None) -> requests.Response:
        """Raise the table's error for a failed ``response``; return it when it succeeded (2xx/304)."""
        kind = kind_of_status(response.status_code)
        if kind is None:
            return response
        raise self.failure(response, kind, hints=hints)

    def failure(self, response: requests.Response, kind: Kind, *, hints: Mapping[Kind, str] | None = None) -> Exception:
        """The table's error for ``response`` failing as ``kind`` (a platform may say more than its status)."""
        url = response.url or self.base_url
        return failure(
            self.platform,
            kind,
            status=response.status_code,
            where=short_url(url),
            detail="" if kind is Kind.SERVER_ERROR else _detail(response),
            hints={**self.hints, **(hints or {})},
            retry_after=self.window(url).wait() if kind is Kind.RATE_LIMITED else None,
        )

    def get_json(self, path: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """GET ``path`` and return its JSON body, or raise the typed error."""
        response = self.check(self.send("GET", path, params=_clean(params), **kwargs))
        return json_body(response, self.platform)


def json_body(response: requests.Response, platform: str) -> Any:
    """The response's JSON; a body that is not JSON (a proxy's error page) is :class:`Unavailable`."""
    try:
        return response.json()
    except ValueError:
        where = short_url(response.url or "")
        raise failure(platform, Kind.BAD_ANSWER, status=response.status_code, where=where, detail="not JSON") from None


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if params is None else {k: v for k, v in params.items() if v is not None}


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("error", "message", "error_description") if body.get(k)]
        if parts:
            return ": ".join(parts)[:200]
    return response.reason or ""
