"""Alembic environment: the engine comes from the caller (monitor.storage.migrate)."""

from __future__ import annotations

from alembic import context

from monitor.storage.schema import metadata

engine = context.config.attributes["engine"]

# SQLite's BEGIN IMMEDIATE hook is harmless here; render_as_batch lets ALTERs work on SQLite.
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
