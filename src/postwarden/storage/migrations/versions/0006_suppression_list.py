"""account-level suppression list

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suppressed_destinations",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("email_address", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("last_update_time", sa.Float(), nullable=False),
        sa.Column("message_id", sa.String(length=80), nullable=True),
        sa.Column("feedback_id", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "region", "email_address"),
    )
    op.create_table(
        "suppression_settings",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("suppressed_reasons", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region"),
    )


def downgrade() -> None:
    op.drop_table("suppression_settings")
    op.drop_table("suppressed_destinations")
