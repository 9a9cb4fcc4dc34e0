"""SNS topics and subscriptions, event destinations, identity notification topics, the notification
outbox, and the events' fan-out flag

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "events", sa.Column("fanout_pending", sa.Boolean(), server_default=sa.text("true"), nullable=False)
    )
    op.execute("UPDATE events SET fanout_pending = false")  # history predates every destination
    op.create_index(
        "ix_events_fanout",
        "events",
        ["created_at"],
        sqlite_where=sa.text("fanout_pending"),
        postgresql_where=sa.text("fanout_pending"),
    )
    op.create_table(
        "topics",
        sa.Column("arn", sa.String(length=320), primary_key=True),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("signature_version", sa.String(length=1), server_default="2", nullable=False),
        sa.Column("display_name", sa.Text(), server_default="", nullable=False),
    )
    op.create_index("ix_topics_account", "topics", ["account_id", "region"])
    op.create_table(
        "subscriptions",
        sa.Column("arn", sa.String(length=400), primary_key=True),
        sa.Column("topic_arn", sa.String(length=320), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("protocol", sa.String(length=8), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("token", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("confirmed_at", sa.Float(), nullable=True),
        sa.Column("raw_message_delivery", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_index("ix_subscriptions_topic_arn", "subscriptions", ["topic_arn"])
    op.create_table(
        "event_destinations",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("configuration_set", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("matching_event_types", sa.Text(), nullable=False),
        sa.Column("topic_arn", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "configuration_set", "name"),
    )
    op.create_table(
        "identity_topics",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("identity", sa.String(length=320), nullable=False),
        sa.Column("topics", sa.Text(), server_default="{}", nullable=False),
        sa.Column("forwarding_enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("headers_included", sa.Text(), server_default="[]", nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "identity"),
    )
    op.create_table(
        "notifications",
        sa.Column("notification_id", sa.String(length=36), primary_key=True),
        sa.Column("subscription_arn", sa.String(length=400), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.Float(), nullable=False),
        sa.Column("lease_token", sa.String(length=36), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index(
        "ix_notifications_due",
        "notifications",
        ["next_attempt_at"],
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index("ix_notifications_account", "notifications", ["account_id", "state"])


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("identity_topics")
    op.drop_table("event_destinations")
    op.drop_table("subscriptions")
    op.drop_table("topics")
    op.drop_index("ix_events_fanout", table_name="events")
    op.drop_column("events", "fanout_pending")
