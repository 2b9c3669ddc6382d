"""People keep why the user wants to meet them and who introduced them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (both start empty: the base gains the fields with `airtable init`,
    and the rows the user fills reach the store as any edit does)."""
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("why_them", sa.Text(), nullable=True))
        batch.add_column(sa.Column("referred_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("people") as batch:
        batch.drop_column("referred_by")
        batch.drop_column("why_them")
