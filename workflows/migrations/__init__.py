"""Alembic migrations for the store, run from code (no alembic.ini): `upgrade(url_or_engine)`.

The service calls `upgrade` at start-up; it is idempotent, and on PostgreSQL it holds an
advisory lock so that several processes starting at once migrate one after the other.
To write a new revision: `python -m workflows.migrations revision -m "what changed"` against
a database at head (it autogenerates from the models).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from workflows.store.db import create_engine

log = structlog.get_logger(__name__)

_HERE = Path(__file__).resolve().parent
_LOCK_KEY = 0x466F6C6C  # an arbitrary, fixed advisory-lock id for "migrating Followthrough"


def config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration pointing at this directory, bound to `connection` if given."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision the code knows."""
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None, "the migrations directory has no revision"
    return revision


def current(target: str | Engine) -> str | None:
    """The revision the database is at (None when it was never migrated)."""
    engine, owned = _engine(target)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def migrated(target: str | Engine) -> bool:
    """True when the database at `target` was ever migrated (it has Alembic's version table).

    Unlike `current`, it logs nothing.
    """
    engine, owned = _engine(target)
    try:
        with engine.connect() as connection:
            return sa.inspect(connection).has_table("alembic_version")
    finally:
        if owned:
            engine.dispose()


def upgrade(target: str | Engine, revision: str = "head") -> None:
    """Bring the database at `target` (a URL or an engine) up to `revision`; safe to re-run."""
    engine, owned = _engine(target)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))
            command.upgrade(config(connection), revision)
            reached = MigrationContext.configure(connection).get_current_revision()
        log.info("store.migrated", revision=reached, backend=engine.dialect.name)
    finally:
        if owned:
            engine.dispose()


def _engine(target: str | Engine) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    return create_engine(target, pool_size=1), True
