"""A migrated database for each store test, on SQLite (a temp file) and on PostgreSQL.

Migrating takes longer than most tests, so each backend is migrated once per session and
every test gets it emptied (a copy of the SQLite file; truncated PostgreSQL tables). The
migrations themselves are tested from empty databases in test_migrations.py.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL, require_server
from workflows.migrations import upgrade
from workflows.store.base import Base
from workflows.store.db import Database

T = TypeVar("T")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, never-migrated database URL: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; tests get a copy."""
    path = tmp_path_factory.mktemp("template") / "store.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    """A PostgreSQL schema migrated to head once for the session; dropped at the end."""
    require_server("PostgreSQL", "127.0.0.1", 5432)
    schema = f"t_store_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database at head, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "store.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        database = Database(f"sqlite:///{path}", busy_timeout=10.0)
    else:
        database = Database(request.getfixturevalue("migrated_postgres"))
        _truncate(database)
    try:
        yield database
    finally:
        database.dispose()


def _truncate(database: Database) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def race(workers: int, task: Callable[[int], T]) -> list[T]:
    """Run `task(i)` on `workers` threads at once and return their results (re-raising errors)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(task, range(workers)))
