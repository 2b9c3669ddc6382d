"""Followthrough's own Airtable writes, remembered by what they wrote; when a feed was read

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (until it, every API change by the token's user was taken as ours)."""
    op.create_table(
        "airtable_writes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), server_default="default", nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=255), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airtable_writes")),
        sa.UniqueConstraint(
            "account",
            "record_id",
            "field",
            "digest",
            name=op.f("uq_airtable_writes_account_record_id_field_digest"),
        ),
    )
    op.create_index(
        op.f("ix_airtable_writes_written_at"), "airtable_writes", ["written_at"], unique=False
    )
    with op.batch_alter_table("webhook_channels") as batch:
        batch.add_column(sa.Column("read_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("webhook_channels") as batch:
        batch.drop_column("read_at")
    op.drop_index(op.f("ix_airtable_writes_written_at"), table_name="airtable_writes")
    op.drop_table("airtable_writes")
