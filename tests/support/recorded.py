"""Real API responses recorded by other projects, served by a local HTTP server at the paths connectors call.

The recordings live outside the repository (``../shared/data/recorded-api``
next to a checkout, or ``$BRAND_MONITOR_SHARED_DATA``); tests that need them
call :func:`recording` or :func:`recorded_dir`, which skip cleanly when the
data is absent. :class:`RecordedServer` answers each request with the
recorded body, status and headers of the route it matches, rewriting the host
of ``link`` headers to itself (so a connector that follows ``rel="next"``
stays on the local server). A request no route matches is answered 404 and
kept in ``unmatched``: tests assert it is empty, so an expected call that
never happens, or an unexpected one, fails the test.
"""

from __future__ import annotations

import json
import lzma
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_http import FakeServer, Reply
from tests.support.shared_data import shared_data_dir

_LINK_HOST = re.compile(r"<https?://[^/>]+")


def recorded_dir() -> Path:
    """The ``recorded-api`` folder; skips the calling test when it is not there."""
    base = shared_data_dir()
    folder = base / "recorded-api" if base else None
    if folder is None or not (folder / "manifest.json").is_file():
        pytest.skip("recorded API responses not found (set BRAND_MONITOR_SHARED_DATA to the shared data folder)")
    return folder


@dataclass(frozen=True)
class Recording:
    """One recorded response: the request it answers, its status, headers and body bytes."""

    file: str
    platform: str
    method: str
    url: str | None
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@cache
def _manifest(folder: Path) -> dict[str, dict[str, Any]]:
    entries = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"]
    return {entry["file"]: entry for entry in entries}


def recorded_files(platform: str) -> set[str]:
    """Every recording the manifest lists for ``platform`` (``reddit/…``, ``x/…``)."""
    return {name for name, entry in _manifest(recorded_dir()).items() if entry["platform"] == platform}


@cache
def recording(file: str) -> Recording:
    """The recording ``file`` (as the manifest names it, e.g. ``"x/search_recent_page2.json.xz"``)."""
    folder = recorded_dir()
    entry = _manifest(folder)[file]
    path = folder / file
    if file.endswith(".xz"):
        with lzma.open(path) as packed:
            body = packed.read()
    else:
        body = path.read_bytes()
    return Recording(
        file=file,
        platform=entry["platform"],
        method=entry["method"],
        url=entry.get("url"),
        status=int(entry["status"]),
        headers=dict(entry.get("headers") or {}),
        body=body,
    )


@dataclass
class Route:
    """Answer ``method path`` (and, when given, requests whose query ``when`` accepts) with ``recording``."""

    method: str
    path: str
    recording: Recording
    when: Callable[[dict[str, str]], bool] = lambda query: True
    headers: Mapping[str, str] = field(default_factory=dict)  # added to (or replacing) the recorded ones
    hits: int = 0


class RecordedServer(FakeServer):
    """A local server answering with recorded responses; unmatched requests are 404 and remembered."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.routes: list[Route] = []
        self.unmatched: list[tuple[str, str, dict[str, str]]] = []

    def serve(
        self,
        path: str,
        file: str,
        *,
        method: str = "GET",
        when: Callable[[dict[str, str]], bool] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Route:
        """Answer requests for ``path`` with the recording ``file``; the first matching route wins."""
        route = Route(method, path, recording(file), when or (lambda query: True), dict(headers or {}))
        with self.lock:
            self.routes.append(route)
        return route

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        with self.lock:
            route = next(
                (r for r in self.routes if r.method == method and r.path == path.rstrip("/") and r.when(query)), None
            )
            if route is None:
                self.unmatched.append((method, path, query))
                return 404, {"error": "no recording for this request", "path": path}, {}
            route.hits += 1
        recorded = {k.lower(): v for k, v in route.recording.headers.items()}
        recorded.setdefault("content-type", "application/json; charset=utf-8")
        recorded.update({k.lower(): v for k, v in route.headers.items()})
        if "link" in recorded:
            recorded["link"] = _LINK_HOST.sub("<" + self.base_url, recorded["link"])
        return route.recording.status, route.recording.body, recorded
