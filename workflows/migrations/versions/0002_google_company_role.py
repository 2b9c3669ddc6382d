"""People keep Google's company and role beside the merged ones

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (existing people learn Google's values at their next change)."""
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("google_company", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("google_role", sa.String(length=300), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("people") as batch:
        batch.drop_column("google_role")
        batch.drop_column("google_company")
