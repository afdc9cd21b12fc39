"""Secrets never leave the process: one redactor masks them wherever text is logged, stored or shown.

The redactor knows every secret the loaded config read (whatever its
variable is called, see :meth:`monitor.config.Config.secrets`) and, as a
second line, masks token-shaped text nobody configured: Slack tokens,
``Bearer``/``Basic`` credentials, ``token=…``/``"password": "…"`` pairs.
Bootstrap (and the command line, as soon as it has loaded the config)
installs it; :func:`redact` is the one entry point every writer of error
text uses: the log formatter, source health, the outbox, digest runs, the
ops message builder and the ``/healthz`` body.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from collections.abc import Iterable
from typing import Any

MASK = "[redacted]"
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words

# Token shapes masked even when no config named them. Group 1, when present, is kept (the key or scheme).
PATTERNS = (
    # Slack: bot/user/legacy tokens, refresh tokens (xoxe-… and xoxe.xoxp-…), app-level tokens.
    re.compile(r"\bxox[abposre](?:\.xox[a-z])?-[A-Za-z0-9-]{6,}"),
    re.compile(r"\bxapp-[A-Za-z0-9-]{6,}"),
    # An Authorization header's credentials, or a scheme followed by something that is not a plain word.
    re.compile(r"(?i)(\b(?:bearer|basic)\s+)(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/-]{6,}=*"),
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^\s'\",}\\]{6,}"),
    # key=value, key: value and JSON "key": "value" pairs whose key names a secret.
    re.compile(
        r"(?i)((?:token|secret|password|passwd|api[_-]?key|jwt|credentials?|session[_-]?key)['\"]?\s*[:=]\s*['\"]?)"
        r"[^\s'\",}&\\]{6,}"
    ),
)


class Redactor:
    """Masks known secret values (and the ways they get re-encoded in messages), then token shapes."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        variants = set()
        for secret in secrets:
            if len(secret) < MIN_SECRET_LENGTH:
                continue
            # As written, URL-encoded (form bodies, query strings) and JSON-escaped (echoed request bodies).
            variants.update({secret, urllib.parse.quote(secret, safe=""), json.dumps(secret)[1:-1]})
        # Longest first, so a secret containing another is masked whole.
        self.secrets = tuple(sorted(variants, key=len, reverse=True))

    @classmethod
    def for_config(cls, config: Any) -> Redactor:
        """The redactor for every secret ``config`` read, and a password written into ``[storage] url``."""
        values = [secret.get_secret_value() for secret in config.secrets()]
        password = urllib.parse.urlsplit(config.storage.url).password
        if password:
            values += [password, urllib.parse.unquote(password)]
        return cls(values)

    def __call__(self, text: str) -> str:
        """``text`` with every secret value and token-shaped string masked."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern in PATTERNS:
            text = pattern.sub(_masked, text)
        return text

    def values(self, data: Any) -> Any:
        """``data`` (JSON-like: dicts, lists, strings) with every string redacted."""
        if isinstance(data, str):
            return self(data)
        if isinstance(data, dict):
            return {key: self.values(value) for key, value in data.items()}
        if isinstance(data, list | tuple):
            return [self.values(item) for item in data]
        return data


def _masked(match: re.Match[str]) -> str:
    return (match.group(1) if match.groups() else "") + MASK


_installed = Redactor()


def install(redactor: Redactor) -> None:
    """Make ``redactor`` the one every :func:`redact` call uses (bootstrap does this with the config's)."""
    global _installed
    _installed = redactor


def installed() -> Redactor:
    """The redactor :func:`redact` uses now."""
    return _installed


def redact(text: str) -> str:
    """``text`` with every secret the loaded config read, and anything token-shaped, masked."""
    return _installed(text)


class RedactingFormatter(logging.Formatter):
    """Formats with ``inner``, then masks secrets in the whole text (message, arguments and traceback)."""

    def __init__(self, inner: logging.Formatter, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.redactor = redactor  # None: the installed one, looked up per record (installed after logging starts)

    def format(self, record: logging.LogRecord) -> str:
        """The inner formatter's text, redacted."""
        return (self.redactor or _installed)(self.inner.format(record))
