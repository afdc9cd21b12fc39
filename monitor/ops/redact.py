"""Secrets never reach the log: known secret values and token-shaped strings are masked in every line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "[redacted]"
# Slack tokens, bearer/basic credentials in headers, and key=value pairs that look like secrets.
PATTERNS = (
    re.compile(r"xox[abposr]-[A-Za-z0-9-]{6,}"),
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer|basic)\s+)[^\s'\",}]+"),
    re.compile(r"(?i)((?:token|secret|password|api[_-]?key)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}&]{6,}"),
)
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words


def secret_values(config: Any, env: Mapping[str, str]) -> list[str]:
    """The values of every environment variable the config names as a secret (``*_env`` keys)."""
    names = {config.slack.token_env}
    for settings in config.enabled_sources().values():
        names.update(name for field in settings.secret_fields if (name := getattr(settings, field)))  # optional: None
    values = [env.get(name, "") for name in names]
    return sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)


class RedactingFormatter(logging.Formatter):
    """Formats with ``inner``, then masks secrets in the whole text (message, arguments and traceback)."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record), self.secrets)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret value and token-shaped string masked."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    for pattern in PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text
