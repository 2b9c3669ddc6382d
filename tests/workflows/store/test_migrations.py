"""Migrations build the whole store from nothing, match the models, and can run again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.workflows.store.conftest import race
from workflows.migrations import config, current, head, upgrade
from workflows.store.base import Base
from workflows.store.cursors import get_cursor, set_cursor
from workflows.store.db import Database, create_engine

REPO = Path(__file__).resolve().parents[3]


def test_upgrade_from_empty_creates_every_table_and_is_rerunnable(db_url: str) -> None:
    # Given an empty database
    assert current(db_url) is None
    # When it is migrated twice (as two start-ups would)
    upgrade(db_url)
    upgrade(db_url)
    # Then it is at head and every table the code uses exists
    assert current(db_url) == head()
    engine = create_engine(db_url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    # Given a database at head
    upgrade(db_url)
    engine = create_engine(db_url)
    # When Alembic compares it with the models
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    # Then there is nothing a new revision would have to change
    assert differences == []


def test_upgrade_accepts_an_engine(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        upgrade(engine)
        assert current(engine) == head()
    finally:
        engine.dispose()


def test_processes_starting_together_migrate_without_errors(db_url: str) -> None:
    # Given web, worker and scheduler starting at once on an empty database
    race(3, lambda _: upgrade(db_url))
    # Then the database is at head
    assert current(db_url) == head()


def test_an_in_memory_database_works_for_scratch_use() -> None:
    engine = create_engine("sqlite://")
    try:
        upgrade(engine)
        db = Database(engine)
        with db.transaction() as s:
            set_cursor(s, "google.contacts", "token-1")
        with db.read() as s:
            assert get_cursor(s, "google.contacts") == "token-1"
    finally:
        engine.dispose()


def test_the_migrations_downgrade_cleanly_and_upgrade_again(db_url: str) -> None:
    # Given a migrated database
    upgrade(db_url)
    engine = create_engine(db_url)
    try:
        # When every revision is reverted
        with engine.begin() as connection:
            command.downgrade(config(connection), "base")
        # Then only Alembic's bookkeeping is left, and migrating again works
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert current(engine) == head()
    finally:
        engine.dispose()


def test_a_store_at_head_opens_without_loading_alembic(db_url: str) -> None:
    # Given a store already at head (every start but the first after an upgrade)
    upgrade(db_url)
    # When a fresh process opens it, as `followthrough run --once` does at each start
    probe = (
        "import sys; from workflows.migrations import upgrade; "
        f"upgrade({db_url!r}); print('alembic' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    # Then it is opened at head without paying for Alembic's import
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    assert current(db_url) == head()


def test_an_older_store_is_still_upgraded(db_url: str) -> None:
    # Given a store one revision behind the code (the first start after an upgrade)
    upgrade(db_url, "0004")
    # When it is opened
    upgrade(db_url)
    # Then Alembic brought it to head
    assert current(db_url) == head()
