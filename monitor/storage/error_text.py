"""The one place error text is made fit to store and show: in the database, /healthz, logs of it and ops alerts.

Error messages carry whatever the failing code put in them: a platform's answer,
a database driver's message (SQLAlchemy's includes the statement and its
parameters, i.e. post text), sometimes a credential. Secrets are masked here
(``values.redaction``; a config-derived redaction plugs in at this call),
control characters removed, and the length bounded.
"""

from __future__ import annotations

from sqlalchemy.exc import StatementError

from values.plaintext import clean_line
from values.redaction import redact

MAX_ERROR = 2000


def describe(exc: BaseException) -> str:
    """``Type: message`` for an exception; for a database error, the driver's first line only (no SQL, no data)."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        exc = exc.orig
        lines = str(exc).strip().splitlines()
        message = lines[0] if lines else ""
    else:
        message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def error_text(error: BaseException | str, *, limit: int = MAX_ERROR) -> str:
    """``error`` as one masked line of at most ``limit`` characters."""
    text = describe(error) if isinstance(error, BaseException) else error
    return clean_line(redact(text))[:limit]
