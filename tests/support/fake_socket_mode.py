"""A local Slack Socket Mode endpoint: a real RFC 6455 websocket server pushing envelopes, collecting acks.

slack-sdk's built-in Socket Mode client connects here after ``apps.connections.open``
(served by :class:`tests.support.fake_slack.FakeSlack`). The server greets with
``hello`` as Slack does, answers pings, and :meth:`push` sends an envelope
(``interactive`` for button clicks, ``events_api`` for reactions) and waits for its ack.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import socket
import struct
import threading
from typing import Any

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class FakeSocketMode:
    """Start with ``with FakeSocketMode() as ws:``; ``url`` is what apps.connections.open returns."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._clients: list[socket.socket] = []
        self._lock = threading.Lock()
        self._acks: dict[str, dict[str, Any]] = {}
        self._ack_event = threading.Condition()
        self._ids = itertools.count(1)
        self.connections = 0
        self.refuse_handshake = False  # answer the upgrade with 400 (a bad or expired ticket)
        self._stopping = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def url(self) -> str:
        """The websocket URL (ws://, local)."""
        host, port = self._listener.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket=test-ticket&app_id=A0001"

    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping = True
        self._listener.close()
        with self._lock:
            for client in self._clients:
                with contextlib.suppress(OSError):
                    client.close()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """Block until a client has completed the handshake."""
        with self._ack_event:
            return self._ack_event.wait_for(lambda: bool(self._clients), timeout=timeout)

    def wait_connections(self, count: int, timeout: float = 10.0) -> bool:
        """Block until ``count`` handshakes have completed since the start (a client that reconnected: two)."""
        with self._ack_event:
            return self._ack_event.wait_for(lambda: self.connections >= count, timeout=timeout)

    def push(
        self, kind: str, payload: dict[str, Any], *, timeout: float = 10.0, resend: str | None = None
    ) -> dict[str, Any] | None:
        """Send an envelope to every connected client; return the ack (None if none came in time).

        ``resend`` sends the envelope with that id again, as Slack does when it did not get the ack.
        """
        envelope_id = resend or f"env-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind == "interactive",
            "retry_attempt": 1 if resend else 0,
            "retry_reason": "timeout" if resend else "",
        }
        data = json.dumps(envelope).encode()
        with self._lock:
            clients = list(self._clients)
        with self._ack_event:
            self._acks.pop(envelope_id, None)  # a re-send waits for a new ack
        for client in clients:
            _send_frame(client, 0x1, data)
        with self._ack_event:
            self._ack_event.wait_for(lambda: envelope_id in self._acks, timeout=timeout)
            return self._acks.get(envelope_id)

    # -- server side ---------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            headers = {}
            for line in request.decode("latin-1").split("\r\n")[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            if self.refuse_handshake or headers.get("upgrade", "").lower() != "websocket":
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                conn.close()
                return
            accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + _GUID).encode()).digest()).decode()
            conn.sendall(
                (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
                ).encode()
            )
            hello = {"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}, "connection_info": {}}
            _send_frame(conn, 0x1, json.dumps(hello).encode())
            with self._ack_event:
                self._clients.append(conn)
                self.connections += 1
                self._ack_event.notify_all()
            self._read_loop(conn)
        except OSError:
            pass
        finally:
            with self._ack_event:
                if conn in self._clients:
                    self._clients.remove(conn)

    def _read_loop(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        while True:
            head = reader.read(2)
            if len(head) < 2:
                return
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            masked = head[1] & 0x80
            if length == 126:
                length = struct.unpack("!H", reader.read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", reader.read(8))[0]
            mask = reader.read(4) if masked else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(reader.read(length)))
            if opcode == 0x8:  # close
                _send_frame(conn, 0x8, data[:2])
                conn.close()
                return
            if opcode == 0x9:  # ping
                _send_frame(conn, 0xA, data)
            elif opcode == 0x1:
                message = json.loads(data.decode())
                if "envelope_id" in message:
                    with self._ack_event:
                        self._acks[message["envelope_id"]] = message
                        self._ack_event.notify_all()


def _send_frame(conn: socket.socket, opcode: int, data: bytes) -> None:
    """One unmasked frame (servers never mask)."""
    head = bytes([0x80 | opcode])
    if len(data) < 126:
        head += bytes([len(data)])
    elif len(data) < 65536:
        head += bytes([126]) + struct.pack("!H", len(data))
    else:
        head += bytes([127]) + struct.pack("!Q", len(data))
    with contextlib.suppress(OSError):
        conn.sendall(head + data)


def button_click(action: str, value: str, *, user: str = "U0ALICE", channel: str = "C00000001", ts: str = "") -> dict:
    """A ``block_actions`` payload as Slack sends it when someone clicks one of our buttons."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "alice", "team_id": "T0001"},
        "team": {"id": "T0001", "domain": "example"},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": "brand-replies"},
        "message": {"type": "message", "ts": ts},
        "response_url": "https://hooks.slack.com/actions/T0001/1/xyz",
        "trigger_id": "1.2.3",
        "actions": [
            {
                "type": "button",
                "action_id": f"reply_{action}",
                "block_id": "reply_actions",
                "value": value,
                "action_ts": "1700000000.000100",
                "text": {"type": "plain_text", "text": action},
            }
        ],
    }


def reaction_added(reaction: str, *, channel: str, ts: str, user: str = "U0BOB") -> dict:
    """An ``events_api`` payload for an emoji reaction added to a message."""
    return {
        "token": "verification-token",
        "team_id": "T0001",
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": f"Ev{abs(hash((reaction, ts))) % 10**8:08d}",
        "event_time": 1700000000,
        "event": {
            "type": "reaction_added",
            "user": user,
            "reaction": reaction,
            "item_user": "U0BOT",
            "item": {"type": "message", "channel": channel, "ts": ts},
            "event_ts": "1700000000.000200",
        },
    }
