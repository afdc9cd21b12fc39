"""What ``check-config`` checks beyond the file's shape, offline: storage, files, secrets, what queries send.

Each problem names the config field and the fix. ``run`` uses the storage check
before it opens anything, so an unusable ``[storage] url`` is a short message,
not a traceback.
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from connectors.base import SourceError
from connectors.registry import SOURCES
from connectors.replay import ReplaySettings
from monitor.config import Config

STORAGE_TIMEOUT_SECONDS = 5
# PostgreSQL error codes (SQLSTATE) that mean the URL is wrong, not that the server is away.
_NO_DATABASE = "3D000"
_REFUSED_LOGIN = {"28P01", "28000"}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing that would stop the daemon: ``field`` in the config, what is wrong and the fix."""

    field: str
    message: str
    transient: bool = False  # e.g. the database server does not answer: it may come back by itself

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def offline_problems(config: Config) -> list[Problem]:
    """Everything checkable without the network (a local PostgreSQL server counts as reachable storage)."""
    return [
        *storage_problems(config.storage.url),
        *file_problems(config),
        *secret_problems(config),
        *query_problems(config),
    ]


def storage_problems(url: str, *, timeout: int = STORAGE_TIMEOUT_SECONDS) -> list[Problem]:
    """Whether the database at ``url`` opens and can be written to."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_problems(parsed)
    return _postgres_problems(parsed, timeout=timeout)


def _sqlite_problems(url: URL) -> list[Problem]:
    if not url.database or url.database == ":memory:":
        return []
    path = Path(url.database)
    fix = "point [storage] url at a writable location"
    if path.is_dir():
        return [Problem("storage.url", f"{path} is a directory, not a database file: {fix}")]
    directory = path.parent
    if not directory.is_dir():
        existing = next((p for p in directory.parents if p.exists()), Path("/"))
        if not existing.is_dir():
            return [Problem("storage.url", f"cannot create {directory}: {existing} is a file, not a directory: {fix}")]
        if not os.access(existing, os.W_OK | os.X_OK):
            return [
                Problem("storage.url", f"cannot create {directory}: {existing} is not writable by this user: {fix}")
            ]
        return []  # created at start-up
    if not os.access(directory, os.W_OK | os.X_OK):
        # SQLite writes its journal next to the file: the directory must be writable too.
        return [Problem("storage.url", f"directory {directory} is not writable by this user: {fix}")]
    if not path.exists():
        return []
    if not os.access(path, os.R_OK | os.W_OK):
        return [Problem("storage.url", f"{path} is not readable and writable by this user: {fix}")]
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=rw", uri=True)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        return [Problem("storage.url", f"{path} cannot be opened as a SQLite database ({exc}): {fix}")]
    return []


def _postgres_problems(url: URL, *, timeout: int) -> list[Problem]:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    shown = url.render_as_string(hide_password=True)
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": timeout})
    try:
        with engine.connect() as conn:
            read_only = conn.execute(
                text("SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'")
            ).scalar()
            migrated = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
            check = (
                "SELECT has_table_privilege('alembic_version', 'UPDATE')"
                if migrated
                else "SELECT has_schema_privilege(current_schema(), 'CREATE')"
            )
            writable = conn.execute(text(check)).scalar()
    except DBAPIError as exc:
        return [_postgres_error(exc, shown=shown, where=where, database=url.database or "")]
    except SQLAlchemyError as exc:
        return [Problem("storage.url", f"cannot open {shown}: {type(exc).__name__}: {_first_line(exc)}")]
    finally:
        engine.dispose()
    if read_only:
        return [Problem("storage.url", f"{shown} is read-only (a standby?): point [storage] url at the primary")]
    if not writable:
        return [
            Problem(
                "storage.url",
                f"user {url.username or '(default)'} may not write to {shown}: grant it the tables (or CREATE on the"
                " schema for a new database), or fix [storage] url",
            )
        ]
    return []


def _postgres_error(exc: DBAPIError, *, shown: str, where: str, database: str) -> Problem:
    code = getattr(exc.orig, "sqlstate", None)
    reason = _last_line(exc.orig)
    # A refused connection carries no SQLSTATE in psycopg 3: the server's message says what it was.
    if code is None and re.search(r'database ".*" does not exist', reason):
        code = _NO_DATABASE
    elif code is None and re.search(r"password authentication failed|role .* does not exist|no pg_hba", reason):
        code = "28000"
    if code == _NO_DATABASE:
        return Problem(
            "storage.url",
            f'database "{database}" does not exist on {where}: create it (createdb -h {where.split(":")[0]}'
            f" {database}) or fix [storage] url ({shown})",
        )
    if code in _REFUSED_LOGIN:
        return Problem("storage.url", f"{where} refused the login ({reason}): fix [storage] url ({shown})")
    return Problem(
        "storage.url",
        f"the PostgreSQL server at {where} does not answer ({reason}): start it, or fix [storage] url ({shown})",
        transient=code is None,  # refused, timed out, unknown host: the server may come back by itself
    )


def _last_line(exc: BaseException | None) -> str:
    """libpq's last line is the reason (earlier ones name each address it tried)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _first_line(exc: BaseException | None) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def file_problems(config: Config) -> list[Problem]:
    """Files the config points at: the replay file, a local model directory, the ONNX model."""
    problems = []
    replay = config.enabled_sources().get("replay")
    if isinstance(replay, ReplaySettings) and not replay.path.is_file():
        problems.append(
            Problem("sources.replay.path", f"{replay.path} is not a file: fix the path, or set enabled = false")
        )
    classifier = config.classifier
    model = classifier.model
    local = model.startswith((".", "/", "~")) or Path(model).expanduser().exists()
    if local and not Path(model).expanduser().is_dir():
        problems.append(
            Problem(
                "classifier.model",
                f"model directory {model} does not exist: point it at a directory holding a HuggingFace"
                " sequence-classification model, or use a model id",
            )
        )
    if classifier.backend == "onnx":
        onnx = Path(classifier.onnx_model or "").expanduser()
        if not classifier.onnx_model or not onnx.is_file():
            problems.append(
                Problem(
                    "classifier.onnx_model",
                    f"{classifier.onnx_model or '(not set)'} is not a file: write it with `brand-monitor model export"
                    " --output DIR` and point onnx_model at DIR/model.int8.onnx",
                )
            )
    return problems


def secret_problems(config: Config) -> list[Problem]:
    """Secret variables Slack needs (the sources' are checked when the config is loaded)."""
    if config.slack.console:
        return []
    problems = []
    if config.slack.token is None:
        problems.append(slack_token_problem(config))
    replies = config.replies
    if replies.enabled and replies.socket_mode and not replies.has_secret("app_token_env"):
        problems.append(
            Problem(
                "replies.app_token_env",
                f"environment variable {replies.app_token_env} (the app-level token, xapp-…, for buttons and"
                " reactions) is not set: export it, or set [replies] socket_mode = false",
            )
        )
    return problems


def query_problems(config: Config) -> list[Problem]:
    """Brand queries an enabled source cannot send (over X's length even when cut, too many alternatives)."""
    problems = []
    for platform, settings in config.enabled_sources().items():
        searches = SOURCES[platform].searches
        if searches is None:
            continue
        for index, brand in enumerate(config.brands):
            if settings.brands is not None and brand.name not in settings.brands:
                continue
            try:
                searches(brand.search_query(platform, brand.handles_on(platform)), settings)
            except SourceError as exc:
                where = "query" if brand.query is not None else "terms"
                problems.append(Problem(f"brands.{index}.{where}", f"sources.{platform} cannot search for it: {exc}"))
    return problems


def slack_token_problem(config: Config) -> Problem:
    """Slack is on ([slack] console is off) but its bot token variable is unset."""
    return Problem(
        "slack.token_env",
        f"environment variable {config.slack.token_env} (the bot token) is not set: export it, or set"
        " [slack] console = true to print alerts on the console instead",
    )
