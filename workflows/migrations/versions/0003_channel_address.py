"""Push channels remember the address they notify

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 02:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (channels opened before it are checked or replaced once)."""
    with op.batch_alter_table("webhook_channels") as batch:
        batch.add_column(sa.Column("address", sa.String(length=1024), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("webhook_channels") as batch:
        batch.drop_column("address")
