"""Migrations build the whole store from nothing, match the models, and can run again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.workflows.store.conftest import race
from workflows.migrations import config, current, head, upgrade
from workflows.store.base import Base
from workflows.store.cursors import get_cursor, set_cursor
from workflows.store.db import Database, create_engine


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
