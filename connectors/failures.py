"""The one table from a failed request to the typed error a source raises.

Every HTTP connector turns what went wrong into a :class:`Kind` (from a status
code with :func:`kind_of_status`, from a transport exception with
:func:`kind_of_transport`, or directly, e.g. prawcore's ``Redirect`` is
``NOT_FOUND``) and raises ``failure(platform, kind, ...)``: the kind alone
decides the error class, and so what the core does.

==============  ===============  =====================================================
kind            error            the core
==============  ===============  =====================================================
unauthorized    AuthError        disables the source, tells a person (401)
forbidden       AuthError        same (403: the plan or scope does not allow it)
rate_limited    RateLimited      waits as long as the platform said (429)
not_found       SourceError      retries with back-off; the message names the setting
refused         SourceError      same, for any other 4xx
server_error    Unavailable      retries with back-off, cursor unchanged (5xx)
timeout         Unavailable      same
connection      Unavailable      same (refused, reset, DNS)
bad_answer      Unavailable      same (not JSON, an error page from a proxy)
==============  ===============  =====================================================

Messages say ``platform: HTTP status what on where (detail): hint`` with the
query string never included (it may hold search terms or tokens). The module
depends on nothing but :mod:`connectors.base` (and ``requests`` for its timeout
type), so any client of an HTTP API can use it: the Slack sink (``monitor.alerts.slack``) reads Slack's
``"error"`` codes and statuses as these kinds (``invalid_auth`` -> UNAUTHORIZED, ``ratelimited`` ->
RATE_LIMITED, ``channel_not_found`` -> NOT_FOUND, ``invalid_blocks`` -> REFUSED, ...) and decides per kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import requests

from connectors.base import AuthError, RateLimited, SourceError, Unavailable

DEFAULT_RETRY_AFTER = 60.0


class Kind(StrEnum):
    """What went wrong with a request, whatever the client library."""

    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"
    NOT_FOUND = "not_found"
    REFUSED = "refused"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    BAD_ANSWER = "bad_answer"


@dataclass(frozen=True)
class Row:
    """One row of the table: the error to raise and how the failure reads."""

    error: type[SourceError]
    says: str


TABLE: Mapping[Kind, Row] = {
    Kind.UNAUTHORIZED: Row(AuthError, "credentials rejected"),
    Kind.FORBIDDEN: Row(AuthError, "access refused"),
    Kind.RATE_LIMITED: Row(RateLimited, "too many requests"),
    Kind.NOT_FOUND: Row(SourceError, "not found"),
    Kind.REFUSED: Row(SourceError, "request refused"),
    Kind.SERVER_ERROR: Row(Unavailable, "server error"),
    Kind.TIMEOUT: Row(Unavailable, "timed out"),
    Kind.CONNECTION: Row(Unavailable, "connection failed"),
    Kind.BAD_ANSWER: Row(Unavailable, "unreadable answer"),
}

# Statuses with a kind of their own; other 4xx are REFUSED and 5xx SERVER_ERROR.
_STATUSES = {401: Kind.UNAUTHORIZED, 403: Kind.FORBIDDEN, 404: Kind.NOT_FOUND, 429: Kind.RATE_LIMITED}


def kind_of_status(status: int) -> Kind | None:
    """The kind of failure an HTTP status means; None for success (2xx, 304)."""
    if status < 300 or status == 304:
        return None
    if status in _STATUSES:
        return _STATUSES[status]
    return Kind.SERVER_ERROR if status >= 500 else Kind.REFUSED


def kind_of_transport(exc: BaseException) -> Kind:
    """The kind of a request that got no answer: a timeout, or any other connection failure."""
    return Kind.TIMEOUT if isinstance(exc, requests.Timeout) else Kind.CONNECTION


def failure(
    platform: str,
    kind: Kind,
    *,
    status: int | None = None,
    where: str = "",
    detail: str = "",
    hints: Mapping[Kind, str] | None = None,
    retry_after: float | None = None,
) -> SourceError:
    """The error to raise for ``kind``, with a message a person can act on (``hints`` per kind)."""
    row = TABLE[kind]
    parts = (f"HTTP {status}" if status else "", row.says, f"on {where}" if where else "")
    message = f"{platform}: " + " ".join(part for part in parts if part)
    if detail:
        message += f" ({detail[:300]})"
    hint = (hints or {}).get(kind)
    if hint:
        message += f": {hint}"
    if row.error is RateLimited:
        return RateLimited(message, retry_after=DEFAULT_RETRY_AFTER if retry_after is None else retry_after)
    return row.error(message)


def short_url(url: str) -> str:
    """``url`` without its query string, fit for messages and logs."""
    return url.split("?", 1)[0]
