"""The database handle: one engine per process, sessions and transactions, backend tuning.

SQLite (the embedded shape) runs worker threads against one file, so every writing
transaction starts with `BEGIN IMMEDIATE`, and the writing transactions of one process take
turns on a lock: no reader upgrading to a writer fails with "database is locked", and no
thread waits on SQLite's polling busy handler (which still covers other processes, up to
`busy_timeout` seconds). WAL lets readers go on while one writer writes; `Database.read()` opens
a deferred (read-only) transaction that never waits for writers.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from workflows.store import contact_changes  # noqa: F401  (its listeners renew the contacts token)
from workflows.store.opening import check_sqlite_path

_READ_ONLY = "followthrough_read_only"


DEFAULT_CONNECTIONS = 20
"""A process's connections at most, unless it says how many it needs (`connections`)."""


def create_engine(
    url: str,
    *,
    busy_timeout: float = 30.0,
    connections: int = DEFAULT_CONNECTIONS,
    name: str = "followthrough",
    echo: bool = False,
) -> Engine:
    """An engine tuned for the backend: SQLite gets WAL, foreign keys and immediate writers.

    It never holds more than `connections` at once: a thread that finds them all in use
    waits for one (up to 30 s), so a server's connections are bounded by the processes'
    threads, not by the accounts they serve. On PostgreSQL its connections carry the
    application name `name` (pg_stat_activity), unless DATABASE_URL sets one.
    """
    if sa.make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, busy_timeout=busy_timeout, pool_size=connections, echo=echo)
    named = "application_name" in sa.make_url(url).query
    return sa.create_engine(
        url,
        pool_size=connections,
        max_overflow=0,
        pool_pre_ping=True,
        connect_args={} if named else {"application_name": name},
        echo=echo,
    )


def _create_private(path: Path) -> None:
    """Create a new database file readable by its owner only: it holds webhook secrets.

    SQLite gives its -wal and -shm files the database file's permissions.
    """
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _use_wal(cursor: Any, busy_timeout: float) -> None:
    """Put the database in WAL mode (kept in the file: only its first connections switch it).

    Switching needs the database to itself, and SQLite answers "database is locked" at once,
    without waiting, when processes opening a new database at the same time collide; so
    this waits and tries again, up to the busy timeout.
    """
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _sqlite_engine(url: str, *, busy_timeout: float, pool_size: int, echo: bool) -> Engine:
    connect_args = {"timeout": busy_timeout, "check_same_thread": False}
    if sa.make_url(url).database in (None, "", ":memory:"):
        # One shared in-memory database (tests, scratch use): every session sees the same data.
        engine = sa.create_engine(
            url, connect_args=connect_args, poolclass=sa.pool.StaticPool, echo=echo
        )
    else:
        path = Path(str(sa.make_url(url).database))
        check_sqlite_path(path)
        _create_private(path)
        engine = sa.create_engine(
            url, connect_args=connect_args, pool_size=pool_size, max_overflow=0, echo=echo
        )
    busy_ms = int(busy_timeout * 1000)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that "begin" below decides how to begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        _use_wal(cursor, busy_timeout)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


class Database:
    """One database: hands out sessions; ORM objects stay readable after commit (no expiry)."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        if isinstance(url_or_engine, Engine):
            self.engine = url_or_engine
        else:
            self.engine = create_engine(url_or_engine, **engine_options)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False
        )
        # SQLite holds one writer at a time; the others poll its busy handler, which sleeps
        # up to 100 ms a try. Threads of one process queue here instead and go at once.
        self._writer = threading.RLock() if self.dialect == "sqlite" else contextlib.nullcontext()

    @property
    def dialect(self) -> str:
        """The backend's name: `sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on exit, rolled back if the block raises."""
        with self._writer, self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only (on SQLite it does not queue behind writers); rolled back.

        What was loaded stays readable afterwards: objects are detached before the rollback,
        which would otherwise expire them.
        """
        with self._read_sessions() as session:
            try:
                yield session
            finally:
                session.expunge_all()
                session.rollback()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A plain session the caller commits itself (`session.commit()`); closed on exit."""
        with self._sessions() as session:
            yield session

    def ping(self) -> None:
        """Run a trivial query; raises if the database is unreachable (for /readyz)."""
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    def dispose(self) -> None:
        """Close every pooled connection (at shutdown, and in tests)."""
        self.engine.dispose()
