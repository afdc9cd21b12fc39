"""The observability endpoint: ``GET /healthz`` (JSON, 200 or 503) and ``GET /metrics`` (Prometheus text)."""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from values.redaction import installed

log = logging.getLogger(__name__)


class ObservabilityServer:
    """A small threaded HTTP server in the daemon's process; ``start()`` binds, ``close()`` stops it."""

    def __init__(
        self,
        address: tuple[str, int],
        *,
        registry: CollectorRegistry,
        health: Callable[[], tuple[bool, dict[str, Any]]],
        poll_interval: float = 0.5,
    ) -> None:
        self._registry = registry
        self._health = health
        self._server = ThreadingHTTPServer(address, self._handler())
        self._server.daemon_threads = True
        # ``close()`` waits up to one poll interval for the serving thread to notice.
        serve = functools.partial(self._server.serve_forever, poll_interval=poll_interval)
        self._thread = threading.Thread(target=serve, name="observability", daemon=True)

    @property
    def url(self) -> str:
        """``http://host:port`` actually bound (port 0 picks a free one)."""
        host, port = self._server.server_address[:2]
        # socketserver types the host as str or bytes (AF_UNIX); a TCP server's is always str.
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def start(self) -> ObservabilityServer:
        """Serve in a background thread."""
        self._thread.start()
        log.info("observability endpoint on %s (/healthz, /metrics)", self.url)
        return self

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # scrapes every 15 s would flood the log
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    healthy, body = server._health()
                    # Unauthenticated: error text from platforms may echo a credential, so every string is masked.
                    body = installed().values(body)
                    self._send(200 if healthy else 503, "application/json", json.dumps(body).encode())
                elif path == "/metrics":
                    self._send(200, CONTENT_TYPE_LATEST, generate_latest(server._registry))
                else:
                    self._send(404, "text/plain; charset=utf-8", b"not found: try /healthz or /metrics\n")

            def _send(self, status: int, content_type: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
