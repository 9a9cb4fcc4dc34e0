"""configuration sets

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "configuration_sets",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("sending_enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("tls_policy", sa.String(length=16), server_default="OPTIONAL", nullable=False),
        sa.Column("max_delivery_seconds", sa.Integer(), nullable=True),
        sa.Column("tags", sa.Text(), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name"),
    )


def downgrade() -> None:
    op.drop_table("configuration_sets")
