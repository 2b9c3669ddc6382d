"""Accounts beyond the default one, their secrets encrypted

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (the table starts empty: the settings still define the default)."""
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("google_credentials", sa.LargeBinary(), nullable=True),
        sa.Column("airtable_token", sa.LargeBinary(), nullable=True),
        sa.Column("airtable_base_id", sa.String(length=64), nullable=True),
        sa.Column("google_link", sa.LargeBinary(), nullable=True),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_accounts_name")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("accounts")
