"""identity verification and DKIM tokens; an index for send statistics

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identities") as batch_op:
        batch_op.add_column(sa.Column("verification_token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("dkim_tokens", sa.Text(), server_default="[]", nullable=False))
    op.create_index("ix_recipients_account_time", "recipients", ["account_id", "region", "accepted_at"])


def downgrade() -> None:
    op.drop_index("ix_recipients_account_time", table_name="recipients")
    with op.batch_alter_table("identities") as batch_op:
        batch_op.drop_column("dkim_tokens")
        batch_op.drop_column("verification_token")
