"""Alembic's environment: runs migrations on the connection `workflows.migrations` hands over."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

import workflows.store.models  # noqa: F401  (registers every table on the metadata)
from workflows.store.base import Base, UTCDateTime

_connection = context.config.attributes.get("connection")
if _connection is None:
    raise RuntimeError("run migrations through workflows.migrations.upgrade(), not the alembic CLI")


def _render_item(kind: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Render our column types as plain SQLAlchemy ones, so revisions never import the models."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


context.configure(
    connection=_connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
    render_item=_render_item,
)
with context.begin_transaction():
    context.run_migrations()
