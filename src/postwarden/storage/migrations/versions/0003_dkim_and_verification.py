"""Easy DKIM keys; DKIM and DNS verification state on identities

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identities") as batch_op:
        batch_op.add_column(
            sa.Column("dkim_signing_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("dkim_status", sa.String(length=20), server_default="NOT_STARTED", nullable=False)
        )
        batch_op.add_column(
            sa.Column("dkim_origin", sa.String(length=40), server_default="AWS_SES", nullable=False)
        )
        batch_op.add_column(sa.Column("dkim_key_generated_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("last_checked_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("last_success_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("failing_since", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("error_type", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("verified_by_operator", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
    op.create_table(
        "dkim_keys",
        sa.Column("selector", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("identity", sa.String(length=320), nullable=False),
        sa.Column("private_ciphertext", sa.Text(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("bits", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("signing", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("selector"),
    )
    op.create_index("ix_dkim_keys_identity", "dkim_keys", ["account_id", "region", "identity"])


def downgrade() -> None:
    op.drop_index("ix_dkim_keys_identity", table_name="dkim_keys")
    op.drop_table("dkim_keys")
    with op.batch_alter_table("identities") as batch_op:
        for column in (
            "verified_by_operator",
            "error_type",
            "failing_since",
            "last_success_at",
            "last_checked_at",
            "dkim_key_generated_at",
            "dkim_origin",
            "dkim_status",
            "dkim_signing_enabled",
        ):
            batch_op.drop_column(column)
