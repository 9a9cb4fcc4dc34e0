"""reputation states, the events' `late` flag, inbound feedback reports, and configuration-set
reputation, suppression and tracking options

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("configuration_sets") as table:
        table.add_column(
            sa.Column(
                "reputation_metrics_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False
            )
        )
        table.add_column(sa.Column("last_fresh_start", sa.Float(), nullable=True))
        table.add_column(sa.Column("suppressed_reasons", sa.Text(), nullable=True))
        table.add_column(sa.Column("tracking_domain", sa.String(length=255), nullable=True))
        table.add_column(
            sa.Column("https_policy", sa.String(length=20), server_default="OPTIONAL", nullable=False)
        )
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
    with op.batch_alter_table("configuration_sets") as table:
        for column in (
            "reputation_metrics_enabled",
            "last_fresh_start",
            "suppressed_reasons",
            "tracking_domain",
            "https_policy",
        ):
            table.drop_column(column)
    op.drop_table("feedback_reports")
    op.drop_table("reputation_states")
    op.drop_column("events", "late")
