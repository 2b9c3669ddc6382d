"""Dialect-aware statements the repository modules share: insert-if-absent, upsert, update.

They run on the session's connection as Core statements (inside the session's transaction),
so results report rows honestly; pending ORM changes are flushed first so they see them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.store.base import Base


def _insert(session: Session, model: type[Base]) -> Any:
    """A dialect-specific INSERT (both dialects offer ON CONFLICT with the same API); only the
    store's own dialect is imported (PostgreSQL's is a good part of a short pass's start)."""
    table: Any = sa.inspect(model).local_table
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def insert_ignore(
    session: Session, model: type[Base], values: Mapping[str, Any], conflict: Sequence[str]
) -> bool:
    """Insert a row unless one with the same `conflict` columns exists; True when inserted."""
    statement = (
        _insert(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(sa.literal_column("1"))
    )
    session.flush()
    return session.connection().execute(statement).first() is not None


def upsert_all(
    session: Session,
    model: type[Base],
    rows: Sequence[Mapping[str, Any]],
    conflict: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert many rows in one statement; where the `conflict` columns exist already, update
    the `update` columns of that row instead."""
    if not rows:
        return
    statement = _insert(session, model).values(list(rows))
    statement = statement.on_conflict_do_update(
        index_elements=list(conflict),
        set_={name: statement.excluded[name] for name in update},
    )
    session.flush()
    session.connection().execute(statement)


def upsert(
    session: Session,
    model: type[Base],
    values: Mapping[str, Any],
    conflict: Sequence[str],
    update: Sequence[str],
    where: sa.ColumnElement[bool] | None = None,
) -> None:
    """Insert a row, or update the `update` columns of the existing one (only if `where` holds)."""
    statement = _insert(session, model).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=list(conflict),
        set_={name: statement.excluded[name] for name in update},
        where=where,
    )
    session.flush()
    session.connection().execute(statement)


def changed(session: Session, statement: sa.Executable) -> int:
    """Execute an UPDATE or DELETE and return how many rows it changed."""
    session.flush()
    rowcount: int = getattr(session.connection().execute(statement), "rowcount", 0)
    return max(rowcount, 0)
