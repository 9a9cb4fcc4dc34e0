"""reputation states per (account, region), the events' `late` flag, and the inbound feedback reports

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"  # TEMP: 0010 once merged
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("late", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.create_table(
        "reputation_states",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("review_ends_at", sa.Float(), nullable=True),
        sa.Column("history", sa.Text(), nullable=False),
        sa.Column("enforcement", sa.Text(), nullable=False),
        sa.Column("usage", sa.Text(), nullable=False),
        sa.Column("totals", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region"),
    )
    op.create_index("ix_reputation_states_status", "reputation_states", ["status"])
    op.create_table(
        "feedback_reports",
        sa.Column("report_id", sa.String(length=36), primary_key=True),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=True),
        sa.Column("message_id", sa.String(length=80), nullable=True),
        sa.Column("mail_from", sa.Text(), nullable=False),
        sa.Column("rcpt_to", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_feedback_reports_status", "feedback_reports", ["status", "received_at"])


def downgrade() -> None:
    op.drop_table("feedback_reports")
    op.drop_table("reputation_states")
    op.drop_column("events", "late")
