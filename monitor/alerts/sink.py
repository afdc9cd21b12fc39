"""What a delivery target (Slack, the console) must do, and how it reports failure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from monitor.alerts.outbox import Message


@dataclass(frozen=True, slots=True)
class Delivered:
    """Where a message landed: a channel id and a message timestamp (Slack's message id)."""

    channel: str
    ts: str


class DeliveryError(Exception):
    """Sending failed. ``retry_after`` when the target asked us to wait; ``permanent`` if retrying is futile.

    ``ambiguous`` means the request may have reached the target (a read timeout):
    the row stays claimed and is reconciled before any retry. ``auth`` means the
    target refuses our credentials: no message can go out until a person fixes them.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        ambiguous: bool = False,
        auth: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
        self.ambiguous = ambiguous
        self.auth = auth


class Sink(Protocol):
    """A place alerts go. ``paced``: the target limits messages per channel (Slack), so delivery spaces them."""

    name: str
    paced: bool

    def check_auth(self) -> None:
        """Raise :class:`DeliveryError` with ``auth`` set if the target refuses our credentials."""
        ...

    def post(self, message: Message, *, thread: Delivered | None) -> Delivered:
        """Post a new message, in ``thread`` if given."""
        ...

    def update(self, message: Message, *, target: Delivered) -> Delivered:
        """Replace the content of an already delivered message."""
        ...

    def find(self, message: Message, *, thread: Delivered | None, since: datetime) -> Delivered | None:
        """The copy of ``message`` already delivered since ``since``, if the target can tell."""
        ...
