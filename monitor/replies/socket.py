"""The Socket Mode listener: Slack pushes button clicks and reactions over a websocket (no public URL).

slack-sdk's built-in client (no extra dependency) asks ``apps.connections.open`` for a
websocket URL with the app-level token, keeps the connection alive and reconnects. Each
envelope is applied to the queue in one transaction and acknowledged only after it
committed, so an envelope lost to a crash is sent again by Slack. An envelope Slack re-sends
(its ack was lost, e.g. on a reconnect) is applied once: its id is recorded in the same
transaction as its actions (:mod:`monitor.storage.envelopes`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from sqlalchemy import Engine

from monitor.replies import actions, interactions
from monitor.replies.settings import ReplySettings
from monitor.storage import envelopes
from values.secrets import Secret

log = logging.getLogger(__name__)


class InteractionListener:
    """Applies Socket Mode envelopes to the reply queue; ``start()`` connects in the background."""

    def __init__(
        self,
        engine: Engine,
        settings: ReplySettings,
        *,
        app_token: Secret | str,
        base_url: str,
        clock: Callable[[], datetime],
        on_change: Callable[[], None] = lambda: None,
        retry: timedelta = timedelta(seconds=30),
        ping_interval: float = 5.0,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.on_change = on_change  # e.g. wake the delivery job
        self._app_token = app_token.get_secret_value() if isinstance(app_token, Secret) else app_token
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._retry = retry
        self._ping_interval = ping_interval
        self._client: SocketModeClient | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.handled = 0  # envelopes applied (for tests and logs)

    def start(self) -> None:
        """Connect in a background thread, retrying until connected or stopped."""
        self._thread = threading.Thread(target=self._connect_loop, name="slack-socket-mode", daemon=True)
        self._thread.start()

    def stop(self, *, wait: float = 5.0) -> None:
        """Close the websocket and stop reconnecting, waiting up to ``wait`` seconds for slack-sdk's threads."""
        self._stop.set()
        client = self._client
        # slack-sdk's close() joins its worker threads (about a second or more); bound the wait.
        closer = threading.Thread(
            target=client.close if client else lambda: None, name="socket-mode-close", daemon=True
        )
        closer.start()
        closer.join(timeout=wait)
        if self._thread is not None:
            self._thread.join(timeout=wait)

    def connected(self) -> bool:
        """True while the websocket is open."""
        return self._client is not None and self._client.is_connected()

    def handle(self, client: BaseSocketModeClient, request: SocketModeRequest) -> None:
        """Apply one envelope (once, however often Slack sends it), then acknowledge it."""
        found = interactions.from_envelope(request.type, request.payload or {}, reactions=self.settings.reactions)
        try:
            changed = 0
            if found:
                with self.engine.begin() as conn:
                    now = self.clock()
                    if request.envelope_id and not envelopes.first_time(conn, request.envelope_id, now=now):
                        log.info("replies: Slack re-sent envelope %s; applied already", request.envelope_id)
                    else:
                        for act in found:
                            changed += actions.apply(conn, act, self.settings, now=now)
        except Exception:
            # Not acknowledged: Slack delivers the envelope again.
            log.exception("replies: could not apply Slack envelope %s; Slack will resend it", request.envelope_id)
            return
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        self.handled += 1
        if changed:
            self.on_change()

    def _connect_loop(self) -> None:
        while not self._stop.is_set():
            client: SocketModeClient | None = None
            try:
                client = SocketModeClient(
                    app_token=self._app_token,
                    web_client=WebClient(base_url=self._base_url, timeout=15),
                    ping_interval=self._ping_interval,
                    logger=logging.getLogger("slack_sdk.socket_mode"),
                )
                client.socket_mode_request_listeners.append(self.handle)
                client.connect()
                if not client.is_connected():  # the handshake failed (slack-sdk logs why and does not raise)
                    raise ConnectionError("websocket handshake failed")
                self._client = client
                log.info("replies: Slack Socket Mode connected (buttons and reactions are live)")
                return  # the client keeps the connection alive and reconnects by itself
            except Exception as exc:  # noqa: BLE001 - any failure: log (never the token) and retry later
                log.warning(
                    "replies: Slack Socket Mode connection failed (%s); retrying in %.0fs",
                    _describe(exc),
                    self._retry.total_seconds(),
                )
                if client is not None:
                    client.close()
                self._stop.wait(self._retry.total_seconds())


def _describe(exc: Exception) -> str:
    # A SlackApiError's response (a SlackResponse, not a Mapping) has .get; other errors have none.
    get = getattr(getattr(exc, "response", None), "get", None)
    error = get("error") if callable(get) else None
    return f"{type(exc).__name__}: {error}" if error else type(exc).__name__
