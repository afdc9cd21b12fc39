"""Poisoned replay files and what a test database holds after polling them (posts, quarantine, cursor, ops)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text

from connectors.base import Cursor
from monitor.storage import posts as post_store
from monitor.storage.schema import outbox, posts, quarantine


def write_lines(path: Path, lines: Iterable[dict[str, Any] | bytes]) -> Path:
    """A replay file: dicts as JSON (non-ASCII written raw, lone surrogates as JSON escapes), bytes as given."""
    out = b"".join(
        (line if isinstance(line, bytes) else json.dumps(line, ensure_ascii=False).encode("utf-8", "backslashreplace"))
        + b"\n"
        for line in lines
    )
    path.write_bytes(out)
    return path


def append_lines(path: Path, lines: Iterable[dict[str, Any] | bytes]) -> None:
    """Add lines to a replay file (a live source bringing more posts)."""
    before = path.read_bytes()
    write_lines(path, lines)
    path.write_bytes(before + path.read_bytes())


def stored(engine: Engine) -> dict[str, Any]:
    """Stored posts by post id."""
    with engine.connect() as conn:
        return {row.post_id: row for row in conn.execute(select(posts))}


def quarantined(engine: Engine) -> list[Any]:
    """Quarantine rows, oldest first."""
    with engine.connect() as conn:
        return list(conn.execute(select(quarantine).order_by(quarantine.c.id)))


def cursor(engine: Engine, *, source: str = "replay", brand: str = "Acme") -> Cursor:
    """The saved cursor of (source, brand)."""
    with engine.connect() as conn:
        return post_store.load_cursor(conn, source=source, brand=brand)


def ops_messages(engine: Engine) -> list[str]:
    """Texts of the ops alerts in the outbox."""
    with engine.connect() as conn:
        return list(conn.execute(select(outbox.c.text).where(outbox.c.kind == "ops").order_by(outbox.c.id)).scalars())


def alert_keys(engine: Engine) -> list[str]:
    """Outbox keys of negative-post alerts."""
    with engine.connect() as conn:
        query = select(outbox.c.dedup_key).where(outbox.c.kind == "negative_post").order_by(outbox.c.dedup_key)
        return list(conn.execute(query).scalars())


def refuse_text(engine: Engine, marker: str) -> None:
    """A database rule the boundary knows nothing about: inserting a post whose text holds ``marker`` fails."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_marker BEFORE INSERT ON posts "
                    f"WHEN instr(NEW.text, '{marker}') > 0 BEGIN SELECT RAISE(ABORT, 'refused by rule'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_marker() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF position('{marker}' in NEW.text) > 0 THEN "
                    "RAISE EXCEPTION 'refused by rule' USING ERRCODE = 'data_exception'; END IF; "
                    "RETURN NEW; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_marker BEFORE INSERT ON posts"
                    " FOR EACH ROW EXECUTE FUNCTION refuse_marker()"
                )
            )


def allow_text(engine: Engine) -> None:
    """The fix: drop the rule of :func:`refuse_text`."""
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse_marker" + ("" if engine.dialect.name == "sqlite" else " ON posts")))
        if engine.dialect.name != "sqlite":
            conn.execute(text("DROP FUNCTION refuse_marker()"))
