"""Delivery to Slack's Web API through slack-sdk.

Each posted message carries Slack message metadata with its outbox key, so
after a crash mid-send we can look in the channel and know whether it went out.
"""

from __future__ import annotations

import logging
import re
import socket
import urllib.error
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from connectors.failures import Kind, kind_of_status
from monitor.alerts.outbox import Message
from monitor.alerts.sink import Delivered, DeliveryError
from values.secrets import Secret

log = logging.getLogger(__name__)

METADATA_EVENT = "brand_monitor_alert"
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")

# Slack answers most failures with HTTP 200 and an error code. Each code is read as a kind of the one
# failure table every HTTP client of ours shares (connectors.failures); the kind decides what delivery does.
SLACK_ERRORS: Mapping[str, Kind] = {
    # The token itself is refused: nothing can be sent until a person fixes it. Delivery stops as a whole and
    # checks with auth.test once per hold interval (see monitor.alerts.delivery), rather than failing every alert.
    **dict.fromkeys(
        ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"), Kind.UNAUTHORIZED
    ),
    "missing_scope": Kind.FORBIDDEN,
    "ratelimited": Kind.RATE_LIMITED,
    **dict.fromkeys(("channel_not_found", "not_in_channel", "is_archived"), Kind.NOT_FOUND),
    # The payload itself is wrong: no retry will fix it.
    **dict.fromkeys(
        (
            "invalid_blocks",
            "invalid_blocks_format",
            "msg_too_long",
            "no_text",
            "invalid_arguments",
            "message_not_found",
            "cant_update_message",
            "edit_window_closed",
            "invalid_metadata_format",
            "invalid_metadata_schema",
        ),
        Kind.REFUSED,
    ),
    **dict.fromkeys(("internal_error", "fatal_error", "service_unavailable", "request_timeout"), Kind.SERVER_ERROR),
}
AUTH_ERRORS = frozenset(code for code, kind in SLACK_ERRORS.items() if kind is Kind.UNAUTHORIZED)
_CONFIG_RETRY_SECONDS = 300.0  # a channel or scope a person must fix: the alert waits, it does not vanish
_RATE_LIMIT_SECONDS = 30.0  # when a 429 does not say how long


class SlackSink:
    """Posts, threads and updates alerts with ``chat.postMessage`` / ``chat.update``."""

    name = "slack"
    paced = True  # about one message per second per channel (Slack's chat.postMessage limit)

    def __init__(self, token: Secret | str, *, base_url: str, timeout: timedelta = timedelta(seconds=15)) -> None:
        if not base_url.endswith("/"):
            base_url += "/"
        value = token.get_secret_value() if isinstance(token, Secret) else token
        self.client = WebClient(token=value, base_url=base_url, timeout=int(timeout.total_seconds()) or 1)
        self.client.retry_handlers = []  # the outbox retries; a hidden retry here could double-post
        self._channel_ids: dict[str, str] = {}

    def check_auth(self) -> None:
        """``auth.test``: raises :class:`DeliveryError` with ``auth`` set when Slack refuses the token."""
        self._call("auth_test")

    def post(self, message: Message, *, thread: Delivered | None) -> Delivered:
        """``chat.postMessage`` with our outbox key in the message metadata."""
        kwargs: dict[str, Any] = {
            "channel": thread.channel if thread else message.channel,
            "text": message.text,
            "unfurl_links": False,
            "unfurl_media": False,
            "metadata": {"event_type": METADATA_EVENT, "event_payload": {"key": message.dedup_key}},
        }
        if message.blocks:
            kwargs["blocks"] = list(message.blocks)
        if thread:
            kwargs["thread_ts"] = thread.ts
        response = self._call("chat_postMessage", **kwargs)
        channel = str(response["channel"])
        self._channel_ids.setdefault(message.channel, channel)
        return Delivered(channel, str(response["ts"]))

    def update(self, message: Message, *, target: Delivered) -> Delivered:
        """``chat.update`` an earlier message in place."""
        kwargs: dict[str, Any] = {"channel": target.channel, "ts": target.ts, "text": message.text}
        if message.blocks:
            kwargs["blocks"] = list(message.blocks)
        response = self._call("chat_update", **kwargs)
        return Delivered(str(response.get("channel") or target.channel), str(response.get("ts") or target.ts))

    def find(self, message: Message, *, thread: Delivered | None, since: datetime) -> Delivered | None:
        """Look in the channel (or thread) for a message carrying this outbox key."""
        if message.update_key:
            return None  # updates are idempotent: simply redo them
        channel = thread.channel if thread else self._channel_id(message.channel)
        oldest = f"{since.timestamp() - 60:.6f}"
        cursor = None
        while True:
            if thread:
                response = self._call(
                    "conversations_replies",
                    channel=channel,
                    ts=thread.ts,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            else:
                response = self._call(
                    "conversations_history",
                    channel=channel,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            for item in response.get("messages", []):
                payload = (item.get("metadata") or {}).get("event_payload") or {}
                if payload.get("key") == message.dedup_key:
                    return Delivered(channel, str(item["ts"]))
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    def _channel_id(self, channel: str) -> str:
        if _CHANNEL_ID.match(channel):
            return channel
        if channel not in self._channel_ids:
            name = channel.lstrip("#")
            cursor = None
            while True:
                response = self._call(
                    "conversations_list", types="public_channel,private_channel", limit=1000, cursor=cursor
                )
                for item in response.get("channels", []):
                    self._channel_ids["#" + item["name"]] = item["id"]
                    self._channel_ids[item["name"]] = item["id"]
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if name in self._channel_ids or not cursor:
                    break
            if name not in self._channel_ids:
                raise delivery_error(Kind.NOT_FOUND, f"Slack channel {channel} not found (is the bot invited?)")
            self._channel_ids[channel] = self._channel_ids[name]
        return self._channel_ids[channel]

    def _call(self, method: str, **kwargs: Any) -> Any:
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        name = method.replace("_", ".")  # as Slack documents it: chat.postMessage
        try:
            return getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            raise _classify(exc, name) from None
        except TimeoutError as exc:
            # The request may have been received: the caller must reconcile before retrying.
            raise DeliveryError(f"Slack {name}: timed out ({exc})", ambiguous=True) from None
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            ambiguous = isinstance(reason, TimeoutError | socket.timeout)
            raise DeliveryError(f"Slack {name}: unreachable ({reason})", ambiguous=ambiguous) from None


def _classify(exc: SlackApiError, method: str) -> DeliveryError:
    response = exc.response
    status = getattr(response, "status_code", 0)
    error = str(response.get("error", "") if hasattr(response, "get") else "") or f"http_{status}"
    headers = getattr(response, "headers", {}) or {}
    text = f"Slack {method}: {error} (HTTP {status})" + _details(response)
    return delivery_error(kind_of_slack_error(error, status), text, retry_after=_header(headers, "Retry-After"))


def kind_of_slack_error(error: str, status: int) -> Kind:
    """The failure kind of a Slack answer: its error code if we know it, else its HTTP status.

    A code we do not know is retried with back-off, never dropped: only codes known
    to be about the payload make an alert final.
    """
    known = SLACK_ERRORS.get(error)
    if known is not None:
        return known
    by_status = kind_of_status(status)
    return Kind.SERVER_ERROR if by_status in (None, Kind.REFUSED) else by_status


def delivery_error(kind: Kind, text: str, *, retry_after: float | None = None) -> DeliveryError:
    """What delivery does about a failure of ``kind``: hold everything, wait, hold the row, drop it, or retry."""
    if kind is Kind.UNAUTHORIZED:
        return DeliveryError(text, auth=True)
    if kind is Kind.RATE_LIMITED:
        return DeliveryError(text, retry_after=_RATE_LIMIT_SECONDS if retry_after is None else retry_after)
    if kind in (Kind.FORBIDDEN, Kind.NOT_FOUND):
        log.error("%s: fix the Slack app or channel configuration; alerts are held until then", text)
        return DeliveryError(text, retry_after=_CONFIG_RETRY_SECONDS)
    if kind is Kind.REFUSED:
        return DeliveryError(text, permanent=True)
    return DeliveryError(text, retry_after=retry_after)


def _details(response: Any) -> str:
    """What Slack says beyond the code (``invalid_blocks`` names the failing block in ``errors``), briefly."""
    if not hasattr(response, "get"):
        return ""
    found = response.get("errors") or (response.get("response_metadata") or {}).get("messages") or []
    if not isinstance(found, list) or not found:
        return ""
    return ": " + "; ".join(str(item) for item in found[:3])[:300]


def _header(headers: Any, name: str) -> float | None:
    for key, value in dict(headers).items():
        if key.lower() == name.lower():
            try:
                return max(0.0, float(value[0] if isinstance(value, list) else value))
            except (TypeError, ValueError):
                return None
    return None
