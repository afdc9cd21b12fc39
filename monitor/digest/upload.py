"""Where the chart goes: Slack (slack-sdk ``files_upload_v2``) or, without a token, a local file."""

from __future__ import annotations

import logging
import socket
import tempfile
import urllib.error
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from monitor.alerts.sink import DeliveryError
from monitor.alerts.slack import _classify

log = logging.getLogger(__name__)


class ChartUploader(Protocol):
    """Uploads a chart into a channel and can tell whether an upload already landed."""

    def upload(self, *, channel: str, png: bytes, filename: str, title: str, comment: str) -> str | None:
        """Upload; returns the file id (None where the target has none). Raises DeliveryError."""
        ...

    def find(self, *, channel: str, filename: str, since: datetime) -> str | None:
        """The id of a file called ``filename`` shared in ``channel`` since ``since``, if any."""
        ...


class SlackChartUploader:
    """``files_upload_v2``: files.getUploadURLExternal, the upload POST, files.completeUploadExternal."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def upload(self, *, channel: str, png: bytes, filename: str, title: str, comment: str) -> str | None:
        """Upload ``png`` and share it in ``channel`` (a channel id) with ``comment``."""
        try:
            response = self.client.files_upload_v2(
                channel=channel, file=png, filename=filename, title=title, initial_comment=comment
            )
        except SlackApiError as exc:
            raise _classify(exc, "files_upload_v2") from None
        except SlackRequestError as exc:  # the upload POST was refused: nothing was shared
            raise DeliveryError(f"Slack file upload: {exc}") from None
        except TimeoutError as exc:
            raise DeliveryError(f"Slack file upload: timed out ({exc})", ambiguous=True) from None
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            ambiguous = isinstance(reason, TimeoutError | socket.timeout)
            raise DeliveryError(f"Slack file upload: unreachable ({reason})", ambiguous=ambiguous) from None
        file = response.get("file") or {}
        return str(file.get("id")) if file.get("id") else None

    def find(self, *, channel: str, filename: str, since: datetime) -> str | None:
        """Look through the channel's messages since ``since`` for our file."""
        cursor: str | None = None
        while True:
            try:
                # slack-sdk leaves out parameters that are None: the first page is asked for without a cursor.
                response = self.client.conversations_history(
                    channel=channel, cursor=cursor, oldest=f"{since.timestamp() - 60:.6f}", limit=200
                )
            except SlackApiError as exc:
                raise _classify(exc, "conversations_history") from None
            except (urllib.error.URLError, ConnectionError, OSError) as exc:
                raise DeliveryError(f"Slack conversations_history: unreachable ({exc})") from None
            messages: list[dict[str, Any]] = response.get("messages", [])
            for message in messages:
                for file in message.get("files") or []:
                    if file.get("name") == filename:
                        return str(file.get("id"))
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None


class FileChartUploader:
    """Writes the chart to a directory (the console sink's counterpart) and logs where."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or Path(tempfile.gettempdir()) / "brand-monitor"

    def upload(self, *, channel: str, png: bytes, filename: str, title: str, comment: str) -> str | None:
        """Write ``png`` to the directory; rewriting the same name is harmless."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / filename
        path.write_bytes(png)
        log.info("digest chart for %s written to %s", channel, path)
        return None

    def find(self, *, channel: str, filename: str, since: datetime) -> str | None:
        """A file on disk is simply written again."""
        return None
