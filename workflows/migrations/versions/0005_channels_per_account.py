"""Push channels are unique per account, not across accounts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (existing channels already had unique ids, so all stay)."""
    with op.batch_alter_table("webhook_channels") as batch:
        batch.drop_constraint("uq_webhook_channels_provider_channel_id", type_="unique")
        batch.create_unique_constraint(
            "uq_webhook_channels_account_provider_channel_id",
            ["account", "provider", "channel_id"],
        )


def downgrade() -> None:
    """Revert this revision (fails if two accounts now hold the same channel id)."""
    with op.batch_alter_table("webhook_channels") as batch:
        batch.drop_constraint("uq_webhook_channels_account_provider_channel_id", type_="unique")
        batch.create_unique_constraint(
            "uq_webhook_channels_provider_channel_id", ["provider", "channel_id"]
        )
