"""custom verification email templates

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custom_verification_templates",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("template_name", sa.Text(), nullable=False),
        sa.Column("from_email_address", sa.Text(), nullable=False),
        sa.Column("template_subject", sa.Text(), nullable=False),
        sa.Column("template_content", sa.Text(), nullable=False),
        sa.Column("success_redirection_url", sa.Text(), nullable=False),
        sa.Column("failure_redirection_url", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "template_name"),
    )


def downgrade() -> None:
    op.drop_table("custom_verification_templates")
