"""A migrated database for each store test, on SQLite (a temp file) and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest

from workflows.migrations import upgrade
from workflows.store.db import Database

T = TypeVar("T")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A database migrated to head."""
    upgrade(db_url)
    database = Database(db_url, busy_timeout=10.0)
    try:
        yield database
    finally:
        database.dispose()


def race(workers: int, task: Callable[[int], T]) -> list[T]:
    """Run `task(i)` on `workers` threads at once and return their results (re-raising errors)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(task, range(workers)))
