"""Throw-away databases for tests: a SQLite file, or a fresh PostgreSQL database when a server answers.

Each test gets a migrated database nobody else uses. PostgreSQL ones are copied from a migrated
template (``CREATE DATABASE ... TEMPLATE``, named after a hash of the migrations, so a branch with
other migrations gets its own) and reused: once a test is done, a background thread ends every
session left on its database (and the advisory locks they held) and deletes every row, which
takes milliseconds where creating a database takes a quarter of a second. A test that changed the
schema (a trigger, a function, a column) leaves a database that is no longer the template's: that
one is dropped and replaced by a fresh copy, so no test inherits another's rule.
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_ADMIN_URL = os.environ.get("BRAND_MONITOR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
MIGRATIONS = Path(__file__).resolve().parents[2] / "monitor" / "storage" / "migrations"
_TEMPLATE_LOCK = 0x626D_7465_6D70  # advisory lock: one process builds a template, the others wait for it


def postgres_available() -> bool:
    """True when the test PostgreSQL server accepts connections."""
    try:
        import psycopg

        with psycopg.connect(_libpq(PG_ADMIN_URL), connect_timeout=2):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not available here"
        return False


def migrations_digest() -> str:
    """A short hash of every migration file: a migrated template is good as long as it is unchanged."""
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".ini", ".mako"):
            digest.update(path.relative_to(MIGRATIONS).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@contextmanager
def fresh_postgres(*, migrated: bool = True) -> Iterator[str]:
    """Yield the SQLAlchemy URL of a database of its own (migrated unless ``migrated=False``); drop it after."""
    if migrated:
        name = _pool().take()
    else:
        name = f"bm_test_{uuid.uuid4().hex[:12]}"
        _admin(f'CREATE DATABASE "{name}"')
    try:
        yield _url(name)
    finally:
        _pool().drop(name)  # emptied for the next test, or dropped if it was not the pool's


def sqlite_url(directory: Path) -> str:
    """A SQLite file URL inside ``directory`` (an empty database)."""
    return f"sqlite:///{directory / 'test.db'}"


def migrated_sqlite_url(directory: Path) -> str:
    """A SQLite file URL inside ``directory``, the file a copy of a migrated one."""
    shutil.copyfile(_sqlite_template(), directory / "test.db")
    return sqlite_url(directory)


# -- the template and the pool --------------------------------------------------------------------------------


_lock = threading.Lock()
_state: dict[str, object] = {}


def _sqlite_template() -> Path:
    with _lock:
        path = _state.get("sqlite")
        if path is None:
            from monitor.storage import migrate
            from monitor.storage.engine import make_engine

            path = Path(tempfile.mkdtemp(prefix="bm-sqlite-template-")) / "template.db"
            engine = make_engine(f"sqlite:///{path}")
            migrate.upgrade(engine)
            engine.dispose()
            _state["sqlite"] = path
        return path  # type: ignore[return-value]


def _pool() -> _Pool:
    with _lock:
        pool = _state.get("pool")
        if pool is None:
            pool = _state["pool"] = _Pool(_postgres_template())
        return pool  # type: ignore[return-value]


def shutdown() -> None:
    """Drop every database made ahead or left to drop (at the end of the session)."""
    with _lock:
        pool = _state.pop("pool", None)
        path = _state.pop("sqlite", None)
    if pool is not None:
        pool.close()  # type: ignore[attr-defined]
    if path is not None:
        shutil.rmtree(Path(path).parent, ignore_errors=True)  # type: ignore[arg-type]


def _postgres_template() -> str:
    import psycopg

    from monitor.storage import migrate
    from monitor.storage.engine import make_engine

    name = f"bm_template_{migrations_digest()}"
    with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_TEMPLATE_LOCK,))
        try:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                building = f"{name}_building"
                conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{building}"')
                engine = make_engine(_url(building))
                migrate.upgrade(engine)
                engine.dispose()
                conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')  # it appears complete or not at all
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_TEMPLATE_LOCK,))
    return name


class _Pool:
    """Migrated databases ready for a test; used ones are emptied and made ready again in the background."""

    def __init__(self, template: str) -> None:
        from monitor.storage.schema import metadata

        self.template = template
        # Children before parents: deleting rows in this order never trips a foreign key.
        self.tables = [table.name for table in reversed(metadata.sorted_tables)]
        self.ready: queue.Queue[str | BaseException] = queue.Queue()
        self.work: queue.Queue[str | None] = queue.Queue()  # a used database to empty, or None: make one
        self.made: list[str] = []
        self.schema: list[tuple[str, ...]] | None = None  # the template's, read from its first copy
        self._thread = threading.Thread(target=self._run, name="test-databases", daemon=True)
        self._thread.start()

    def take(self) -> str:
        """A migrated database no test is using."""
        try:
            got = self.ready.get_nowait()
        except queue.Empty:
            self.work.put(None)
            got = self.ready.get(timeout=120)
        if isinstance(got, BaseException):
            raise got
        return got

    def drop(self, name: str) -> None:
        """``name``'s test is done: empty it for the next one (an unknown database is dropped)."""
        self.work.put(name)

    def close(self) -> None:
        """Drop every database this pool made."""
        self.work.put("")
        self._thread.join(timeout=60)
        for name in self.made:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True) as admin:
            while (item := self.work.get()) != "":
                try:
                    if item is None:
                        self.ready.put(self._copy(admin))
                    elif item in self.made and self._empty(admin, item):
                        self.ready.put(item)
                    elif item in self.made:  # its schema was changed: a fresh copy takes its place
                        admin.execute(f'DROP DATABASE IF EXISTS "{item}" WITH (FORCE)')
                        self.made.remove(item)
                        self.ready.put(self._copy(admin))
                    else:
                        admin.execute(f'DROP DATABASE IF EXISTS "{item}" WITH (FORCE)')
                except Exception as exc:  # noqa: BLE001 - handed to the test that waits for a database
                    self.ready.put(exc)

    def _copy(self, admin: object) -> str:
        import psycopg

        name = f"bm_test_{uuid.uuid4().hex[:12]}"
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')  # type: ignore[attr-defined]
        self.made.append(name)
        if self.schema is None:
            with psycopg.connect(_libpq(_url(name))) as conn:
                self.schema = _schema(conn)
        return name

    def _empty(self, admin: object, name: str) -> bool:
        """Make ``name`` as a fresh copy would be; False when its schema differs from the template's."""
        import psycopg

        # Sessions a test left open (pools, an instance's life lock, a killed proxy's) end with their locks.
        admin.execute(  # type: ignore[attr-defined]
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        with psycopg.connect(_libpq(_url(name))) as conn:
            if _schema(conn) != self.schema:
                return False
            for table in self.tables:
                conn.execute(f'DELETE FROM "{table}"')
            sequences = conn.execute("SELECT schemaname, sequencename FROM pg_sequences").fetchall()
            for schema, sequence in sequences:
                conn.execute("SELECT setval(%s, 1, false)", (f'"{schema}"."{sequence}"',))
        return True


# Everything a test could add to or change in a migrated schema, and the migration revision it is at.
_SCHEMA_QUERY = r"""
SELECT 'relation', n.nspname || '.' || c.relname, c.relkind::text FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
UNION ALL SELECT 'column', table_schema || '.' || table_name || '.' || column_name,
  data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
  FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
UNION ALL SELECT 'trigger', t.tgrelid::regclass::text || '.' || t.tgname, '' FROM pg_trigger t WHERE NOT t.tgisinternal
UNION ALL SELECT 'function', n.nspname || '.' || p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
UNION ALL SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid) FROM pg_constraint
  WHERE connamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema'))
UNION ALL SELECT 'revision', version_num, '' FROM alembic_version
"""


def _schema(conn: object) -> list[tuple[str, ...]]:
    """What a database's schema is made of, sorted: two databases with equal lists have the same schema."""
    rows = conn.execute(_SCHEMA_QUERY).fetchall()  # type: ignore[attr-defined]
    return sorted(tuple(str(value) for value in row) for row in rows)


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(statement)


def _url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")
