"""production access review cases

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_cases",
        sa.Column("case_id", sa.String(length=32), primary_key=True),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("decided_at", sa.Float(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("checklist", sa.Text(), nullable=True),
        sa.Column("granted_quota", sa.BigInteger(), nullable=True),
        sa.Column("granted_rate", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
    )
    op.create_index("ix_review_cases_account", "review_cases", ["account_id", "region", "opened_at"])
    op.create_index("ix_review_cases_status", "review_cases", ["status", "opened_at"])


def downgrade() -> None:
    op.drop_index("ix_review_cases_status", table_name="review_cases")
    op.drop_index("ix_review_cases_account", table_name="review_cases")
    op.drop_table("review_cases")
