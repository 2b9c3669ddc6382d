"""Alembic migrations for the store, run from code (no alembic.ini): `upgrade(url_or_engine)`.

The service calls `upgrade` at start-up; it is idempotent, and on PostgreSQL it holds an
advisory lock so that several processes starting at once migrate one after the other. A
store already at the newest revision (every start but the first after an upgrade) is told
from one query, without loading Alembic, whose import is a good part of a short pass's start.
To write a new revision: `python -m workflows.migrations revision -m "what changed"` against
a database at head (it autogenerates from the models).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Engine

from workflows.store.db import create_engine

log = structlog.get_logger(__name__)

_HERE = Path(__file__).resolve().parent
_LOCK_KEY = 0x466F6C6C  # an arbitrary, fixed advisory-lock id for "migrating Followthrough"

if TYPE_CHECKING:
    from alembic.config import Config


def config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration pointing at this directory, bound to `connection` if given."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision the code knows."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None, "the migrations directory has no revision"
    return revision


def current(target: str | Engine) -> str | None:
    """The revision the database is at (None when it was never migrated)."""
    from alembic.runtime.migration import MigrationContext

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
        if revision == "head" and _at_newest(engine):
            return
        from alembic import command
        from alembic.runtime.migration import MigrationContext

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
    return create_engine(target, connections=2, name="followthrough-migrate"), True


def _at_newest(engine: Engine) -> bool:
    """True when the database is at the newest revision of the version files (one query)."""
    newest = _newest_in_files()
    if newest is None:
        return False
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            return set(rows.scalars()) == {newest}
    except sa.exc.DBAPIError:  # no version table yet: never migrated
        return False


@functools.cache
def _newest_in_files() -> str | None:
    """The revision no other one names as its `down_revision`, read from the version files'
    source (None unless exactly one: Alembic then decides)."""
    files = [_constants(path) for path in (_HERE / "versions").glob("*.py")]
    heads = {f.get("revision") for f in files} - {f.get("down_revision") for f in files}
    newest = heads.pop() if len(heads) == 1 else None
    return newest if isinstance(newest, str) else None


def _constants(path: Path) -> dict[str, object]:
    """The plain constants a module's source assigns to names."""
    constants: dict[str, object] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.AnnAssign | ast.Assign) and isinstance(node.value, ast.Constant):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            constants.update(dict.fromkeys(names, node.value.value))
    return constants
