"""custom MAIL FROM domains on identities

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identities") as batch_op:
        batch_op.add_column(sa.Column("mail_from_domain", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column(
                "mail_from_behavior", sa.String(length=24), server_default="USE_DEFAULT_VALUE", nullable=False
            )
        )
        batch_op.add_column(sa.Column("mail_from_status", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("identities") as batch_op:
        batch_op.drop_column("mail_from_status")
        batch_op.drop_column("mail_from_behavior")
        batch_op.drop_column("mail_from_domain")
