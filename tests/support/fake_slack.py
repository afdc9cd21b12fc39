"""A local stand-in for Slack's Web API, speaking its wire protocol to slack-sdk.

It implements the methods brand-monitor calls (chat.postMessage, chat.update,
conversations.history/replies/list, and the three steps of files_upload_v2:
files.getUploadURLExternal, the POST to the upload URL, files.completeUploadExternal),
checks the bearer token, returns Slack's JSON shapes and error codes,
and can be told to fail: 429 with Retry-After, 5xx, dropped connections, or a
response that never comes after the message was recorded (a timeout).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.fake_http import POLL_INTERVAL


@dataclass
class Fault:
    """One scripted failure for the next call of ``method`` (or any method if None)."""

    kind: str  # "429", "500", "drop", "hang_after_record", "error", "body"
    method: str | None = "chat.postMessage"
    retry_after: int = 1
    error: str = ""
    hang_seconds: float = 5.0
    body: bytes = b""  # "body": answer HTTP 200 with exactly these bytes (e.g. a recorded Slack answer)


@dataclass
class Posted:
    """A message as Slack stored it."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None
    metadata: dict[str, Any] | None
    edits: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] | None = None  # a file share (files.completeUploadExternal)


@dataclass
class UploadedFile:
    """A file as files.getUploadURLExternal reserved it, then as uploaded and shared."""

    id: str
    name: str
    length: int
    upload_token: str
    data: bytes | None = None
    title: str = ""
    shared_in: list[str] = field(default_factory=list)


class FakeSlack:
    """Start with ``with FakeSlack(token) as slack:``; point slack-sdk at ``slack.base_url``."""

    def __init__(self, token: str = "xoxb-test-token", *, app_token: str = "xapp-test-token") -> None:
        self.token = token
        self.app_token = app_token  # Socket Mode: apps.connections.open takes the app-level token
        self.socket_url: str | None = None  # the websocket apps.connections.open hands out (FakeSocketMode)
        self.messages: list[Posted] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.faults: list[Fault] = []
        self.channels: dict[str, str] = {}  # name -> id
        self.down = False  # refuse every call with a dropped connection
        self.on_call: Callable[[str, dict[str, Any]], None] | None = None
        self.files: dict[str, UploadedFile] = {}
        # The answer to a call with a wrong or missing token (Slack answers HTTP 200 with ok false).
        self.refusal: bytes = b'{"ok": false, "error": "invalid_auth"}'
        self._ts = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll: shutdown() waits for the loop to notice, which is up to one poll (0.5 s by default).
        serve = {"poll_interval": POLL_INTERVAL}
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs=serve, daemon=True)

    @property
    def base_url(self) -> str:
        """The URL to give slack-sdk (ends with /api/)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- inspection helpers ------------------------------------------------------------
    def keys(self) -> list[str]:
        """The outbox keys of top-level and threaded messages, in delivery order."""
        return [((m.metadata or {}).get("event_payload") or {}).get("key", "") for m in self.messages]

    def channel_id(self, name: str) -> str:
        """The id of channel ``name`` (created on first use, like a channel the bot is in)."""
        name = name.lstrip("#")
        with self._lock:
            if name not in self.channels:
                self.channels[name] = f"C{len(self.channels) + 1:08d}"
            return self.channels[name]

    # -- the API -----------------------------------------------------------------------------
    def _dispatch(self, method: str, args: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        return handler(args)

    def _resolve(self, channel: str) -> str | None:
        if channel.startswith("#") or not channel[:1].isupper():
            return self.channel_id(channel)
        return channel if channel in self.channels.values() else None

    def _chat_postMessage(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        channel = self._resolve(str(args.get("channel", "")))
        if channel is None:
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        if not args.get("text") and not args.get("blocks"):
            return 200, {"ok": False, "error": "no_text"}, {}
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if blocks is not None and len(blocks) > 50:
            return 200, {"ok": False, "error": "invalid_blocks"}, {}
        for block in blocks or []:
            text = (block.get("text") or {}).get("text", "")
            if block.get("type") == "section" and len(text) > 3000:
                return 200, {"ok": False, "error": "invalid_blocks"}, {}
            if block.get("type") == "header" and len(text) > 150:
                return 200, {"ok": False, "error": "invalid_blocks"}, {}
        thread_ts = args.get("thread_ts")
        if thread_ts and not any(m.ts == thread_ts and m.channel == channel for m in self.messages):
            return 200, {"ok": False, "error": "thread_not_found"}, {}
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        with self._lock:
            ts = f"{int(time.time())}.{next(self._ts):06d}"  # Slack's ts: epoch seconds, unique per channel
            posted = Posted(channel, ts, str(args.get("text", "")), blocks, thread_ts, metadata)
            self.messages.append(posted)
        return (
            200,
            {"ok": True, "channel": channel, "ts": ts, "message": {"type": "message", "text": posted.text, "ts": ts}},
            {},
        )

    def _chat_update(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        for message in self.messages:
            if message.channel == args.get("channel") and message.ts == args.get("ts"):
                blocks = args.get("blocks")
                if isinstance(blocks, str):
                    blocks = json.loads(blocks)
                message.edits.append({"text": message.text, "blocks": message.blocks})
                message.text, message.blocks = str(args.get("text", "")), blocks
                return 200, {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text}, {}
        return 200, {"ok": False, "error": "message_not_found"}, {}

    def _history(self, channel: str, *, thread_ts: str | None, args: dict[str, Any]) -> dict[str, Any]:
        oldest = float(args.get("oldest") or 0)
        with_meta = str(args.get("include_all_metadata", "")).lower() in {"1", "true"}
        found = []
        for m in reversed(self.messages):  # newest first, as Slack returns them
            in_scope = (m.thread_ts == thread_ts or m.ts == thread_ts) if thread_ts else m.thread_ts is None
            if m.channel == channel and in_scope and float(m.ts) > oldest:
                item: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text}
                if with_meta and m.metadata:
                    item["metadata"] = m.metadata
                if m.files:
                    item["files"] = m.files
                    item["upload"] = True
                found.append(item)
        return {"ok": True, "messages": found, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _conversations_history(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        channel = str(args.get("channel", ""))
        if channel not in self.channels.values():
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        return 200, self._history(channel, thread_ts=None, args=args), {}

    def _conversations_replies(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        channel = str(args.get("channel", ""))
        return 200, self._history(channel, thread_ts=str(args.get("ts")), args=args), {}

    def _conversations_list(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        chans = [
            {"id": cid, "name": name, "is_channel": True, "is_member": True} for name, cid in self.channels.items()
        ]
        return 200, {"ok": True, "channels": chans, "response_metadata": {"next_cursor": ""}}, {}

    def _apps_connections_open(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.socket_url is None:
            return 200, {"ok": False, "error": "not_allowed_token_type"}, {}
        return 200, {"ok": True, "url": self.socket_url}, {}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        filename, length = str(args.get("filename") or ""), str(args.get("length") or "")
        if not filename or not length.isdigit() or int(length) <= 0:
            return 200, {"ok": False, "error": "invalid_arguments"}, {}
        with self._lock:
            file_id = f"F{next(self._file_ids):010d}"
            token = f"u{file_id.lower()}x{int(time.time() * 1000) % 100000}"
            self.files[file_id] = UploadedFile(file_id, filename, int(length), token)
        host, port = self._server.server_address[:2]
        return 200, {"ok": True, "upload_url": f"http://{host}:{port}/upload/v1/{token}", "file_id": file_id}, {}

    def _receive_upload(self, token: str, data: bytes) -> tuple[int, str]:
        """The upload URL: raw bytes in, ``OK - <length>`` out (as files.slack.com answers)."""
        with self._lock:
            found = next((f for f in self.files.values() if f.upload_token == token), None)
            if found is None:
                return 404, "Not Found"
            found.data = data
        return 200, f"OK - {len(data)}"

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            items = json.loads(str(args.get("files") or ""))
        except json.JSONDecodeError:
            return 200, {"ok": False, "error": "invalid_arguments"}, {}
        if not isinstance(items, list) or not items:
            return 200, {"ok": False, "error": "invalid_arguments"}, {}
        uploads = []
        for item in items:
            upload = self.files.get(str(item.get("id")))
            if upload is None or upload.data is None:
                return 200, {"ok": False, "error": "file_not_found"}, {}
            if len(upload.data) != upload.length:
                return 200, {"ok": False, "error": "file_upload_size_mismatch"}, {}
            upload.title = str(item.get("title") or upload.name)
            uploads.append(upload)
        channel = None
        if args.get("channel_id"):
            channel = self._resolve(str(args["channel_id"]))
            if channel is None:
                return 200, {"ok": False, "error": "channel_not_found"}, {}
        thread_ts = args.get("thread_ts")
        if thread_ts and not any(m.ts == thread_ts and m.channel == channel for m in self.messages):
            return 200, {"ok": False, "error": "invalid_thread_ts"}, {}
        shared = [self._file_json(u) for u in uploads]
        if channel is not None:
            with self._lock:
                for upload in uploads:
                    upload.shared_in.append(channel)
                ts = f"{int(time.time())}.{next(self._ts):06d}"
                text = str(args.get("initial_comment") or "")
                self.messages.append(Posted(channel, ts, text, None, thread_ts, None, files=shared))
        return 200, {"ok": True, "files": [{"id": u.id, "title": u.title} for u in uploads]}, {}

    def _file_json(self, upload: UploadedFile) -> dict[str, Any]:
        return {
            "id": upload.id,
            "name": upload.name,
            "title": upload.title,
            "mimetype": "image/png" if upload.name.endswith(".png") else "application/octet-stream",
            "filetype": upload.name.rsplit(".", 1)[-1] if "." in upload.name else "binary",
            "size": upload.length,
            "url_private": f"https://files.slack.com/files-pri/T0001-{upload.id}/{upload.name}",
            "permalink": f"https://example.slack.com/files/U0BOT/{upload.id}/{upload.name}",
        }

    def _auth_test(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        return (
            200,
            {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "brand-monitor",
                "team_id": "T0001",
                "user_id": "U0BOT",
                "bot_id": "B0001",
            },
            {},
        )

    # -- HTTP ------------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # keep-alive with headers and body in two writes: no 40 ms ACK stalls

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._handle(urllib.parse.urlparse(self.path).query.encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._handle(self.rfile.read(length))

            def _handle(self, body: bytes) -> None:
                path = urllib.parse.urlparse(self.path)
                method = path.path.rsplit("/", 1)[-1]
                if fake.down:
                    self.close_connection = True
                    self.connection.close()
                    return
                if path.path.startswith("/upload/v1/"):  # the upload URL: no token, raw bytes
                    fake.calls.append(("upload", {"token": method, "bytes": len(body)}))
                    fault = fake._take_fault("upload")
                    if fault and fault.kind == "500":
                        return self._reply_text(500, "Internal Server Error")
                    status, text = fake._receive_upload(method, body)
                    return self._reply_text(status, text)
                args = _parse(self.headers.get("Content-Type", ""), body)
                args.update({k: v[-1] for k, v in urllib.parse.parse_qs(path.query).items()})
                fake.calls.append((method, args))
                if fake.on_call:
                    fake.on_call(method, args)
                token = fake.app_token if method == "apps.connections.open" else fake.token
                if self.headers.get("Authorization") != f"Bearer {token}":
                    return self._reply_raw(200, fake.refusal)
                fault = fake._take_fault(method)
                if fault and fault.kind == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault and fault.kind == "429":
                    return self._reply(
                        429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(fault.retry_after)}
                    )
                if fault and fault.kind == "500":
                    return self._reply(500, {"ok": False, "error": "internal_error"}, {})
                if fault and fault.kind == "error":
                    return self._reply(200, {"ok": False, "error": fault.error}, {})
                if fault and fault.kind == "body":
                    return self._reply_raw(200, fault.body)
                status, payload, headers = fake._dispatch(method, args)
                if fault and fault.kind == "hang_after_record":
                    time.sleep(fault.hang_seconds)  # recorded, but the client gives up waiting
                    self.close_connection = True
                    return
                self._reply(status, payload, headers)

            def _reply_text(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _reply(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
                self._reply_raw(status, json.dumps(payload).encode(), headers)

            def _reply_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self.faults):
                if fault.method in (None, method):
                    return self.faults.pop(index)
        return None


def _parse(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if "application/json" in content_type:
        return dict(json.loads(body))
    return {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode()).items()}
