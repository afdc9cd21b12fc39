"""A threaded local HTTP server with scripted faults, the base of the fake platform APIs.

Subclasses implement ``handle(method, path, query, headers, body)`` returning
``(status, json_body, headers)``. Faults apply to the next requests in order:
``"429"``, ``"401"``, ``"500"``, ``"timeout"`` (answer after the client gave up)
and ``"malformed"`` (left to the subclass: a broken item inside a real page).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, Any, dict[str, str]]
# How often a serving thread checks whether it should stop: shutdown() waits up to this long, and a test
# stops several servers (about 400 stops in a run of the suite); an idle wake-up costs microseconds.
POLL_INTERVAL = 0.005


class FakeServer:
    """Start with ``with Sub() as server:``; ``base_url`` is where the client library points."""

    hang_seconds = 3.0  # a "timeout" fault answers this late (clients in tests time out after 1s)

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, path, query)
        self.faults: list[str] = []
        self.down = False  # every request answers 503 until cleared
        self.lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        serve = {"poll_interval": POLL_INTERVAL}
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs=serve, daemon=True)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fault(self, kind: str, *, times: int = 1, after: int = 0) -> None:
        """Make ``times`` requests fail as ``kind``, after ``after`` more requests are served normally."""
        with self.lock:
            self.faults.extend(["ok"] * after + [kind] * times)

    def clear_faults(self) -> None:
        """Serve normally again."""
        with self.lock:
            self.faults.clear()
            self.down = False

    def take_fault(self, *, allowed: tuple[str, ...] | None = None) -> str | None:
        """Pop the next scripted fault (only of the ``allowed`` kinds, when given)."""
        with self.lock:
            if self.down:
                return "500"
            if self.faults and (allowed is None or self.faults[0] in allowed):
                kind = self.faults.pop(0)
                return None if kind == "ok" else kind
            return None

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        """Answer one request; subclasses implement the platform."""
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # keep-alive with headers and body in two writes: no 40 ms ACK stalls

            def log_message(self, *args: object) -> None:  # quiet test output
                pass

            def _serve(self, method: str) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server.lock:
                    server.requests.append((method, parsed.path, query))
                status, payload, extra = server.handle(method, parsed.path, query, headers, body)
                if status == 0:  # a hang: answer after the client gave up
                    time.sleep(server.hang_seconds)
                    status = 200
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    if headers.get("connection", "").lower() == "close":
                        # Said back, as a real server does (prawcore asks it of token requests): without it the
                        # client pools the connection this server is closing, and its next request may hit the
                        # closed socket (RemoteDisconnected, then a retry after a 2-4 s wait).
                        self.send_header("Connection", "close")
                    if not any(k.lower() == "content-type" for k in extra):  # feeds answer XML
                        self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in extra.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler
