"""The schema. Times are epoch seconds (double precision) everywhere; the migrations mirror this file."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name", String(200), nullable=False, server_default=""),
    Column("created_at", Float, nullable=False),
)

access_keys = Table(
    "access_keys",
    metadata,
    Column("access_key_id", String(32), primary_key=True),
    Column("account_id", String(12), nullable=False, index=True),
    Column("secret_ciphertext", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", Float, nullable=False),
)

sending_states = Table(
    "sending_states",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("production_access", Boolean, nullable=False),
    Column("max_24_hour_send", BigInteger, nullable=False),
    Column("max_send_rate", Float, nullable=False),
    Column("sending_enabled", Boolean, nullable=False),
    Column("enforcement_status", String(16), nullable=False),
    Column("sent_last_24h", BigInteger, nullable=False),
    Column("counted_through", BigInteger, nullable=False),
    Column("rate_tokens", Float, nullable=False),
    Column("rate_updated_at", Float, nullable=False),
)

quota_usage = Table(
    "quota_usage",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("second", BigInteger, primary_key=True),
    Column("count", Integer, nullable=False),
)

identities = Table(
    "identities",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(320), primary_key=True),
    Column("identity_type", String(16), nullable=False),
    Column("verification_status", String(20), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("verified_at", Float),
    Column("tags", Text, nullable=False, server_default="{}"),
    Column("verification_token", String(64)),
    Column("dkim_tokens", Text, nullable=False, server_default="[]"),
    Column("dkim_signing_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("dkim_status", String(20), nullable=False, server_default="NOT_STARTED"),
    Column("dkim_origin", String(40), nullable=False, server_default="AWS_SES"),
    Column("dkim_key_generated_at", Float),
    Column("last_checked_at", Float),
    Column("last_success_at", Float),
    Column("failing_since", Float),
    Column("error_type", String(40)),
    Column("verified_by_operator", Boolean, nullable=False, server_default=text("false")),
    Column("mail_from_domain", String(255)),
    Column("mail_from_behavior", String(24), nullable=False, server_default="USE_DEFAULT_VALUE"),
    Column("mail_from_status", String(20)),
)

dkim_keys = Table(
    "dkim_keys",
    metadata,
    Column("selector", String(64), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("identity", String(320), nullable=False),
    Column("private_ciphertext", Text, nullable=False),
    Column("public_key", Text, nullable=False),
    Column("bits", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("signing", Boolean, nullable=False, server_default=text("false")),
)
Index("ix_dkim_keys_identity", dkim_keys.c.account_id, dkim_keys.c.region, dkim_keys.c.identity)

messages = Table(
    "messages",
    metadata,
    Column("message_id", String(80), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("source", Text, nullable=False),
    Column("envelope_from", Text, nullable=False),
    Column("destination", Text, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("caller_identity", String(64), nullable=False),
    Column("source_ip", String(64), nullable=False),
    Column("operation", String(32), nullable=False),
    Column("configuration_set", String(64)),
    Column("tags", Text, nullable=False),
    Column("common_headers", Text, nullable=False),
)

recipients = Table(
    "recipients",
    metadata,
    Column(
        "recipient_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("message_id", String(80), nullable=False, index=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("address", Text, nullable=False),
    Column("domain", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("accepted_at", Float, nullable=False),
    Column("next_attempt_at", Float, nullable=False),
    Column("lease_token", String(36)),
    Column("simulator", String(20)),
    Column("last_reply", Text),
    Column("updated_at", Float, nullable=False),
)
Index("ix_recipients_account_time", recipients.c.account_id, recipients.c.region, recipients.c.accepted_at)
Index(
    "ix_recipients_due",
    recipients.c.next_attempt_at,
    sqlite_where=recipients.c.status == "queued",
    postgresql_where=recipients.c.status == "queued",
)

events = Table(
    "events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("message_id", String(80)),
    Column("recipient", Text),
    Column("event_type", String(20), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("detail", Text, nullable=False),
    Column("fanout_pending", Boolean, nullable=False, server_default=text("true")),
    Column("late", Boolean, nullable=False, server_default=text("false")),
)
Index(
    "ix_events_fanout",
    events.c.created_at,
    sqlite_where=events.c.fanout_pending,
    postgresql_where=events.c.fanout_pending,
)
Index("ix_events_account_time", events.c.account_id, events.c.region, events.c.created_at)
Index("ix_events_message", events.c.message_id)

audit_log = Table(
    "audit_log",
    metadata,
    Column("entry_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("created_at", Float, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("account_id", String(12)),
    Column("region", String(32)),
    Column("detail", Text, nullable=False),
)

review_cases = Table(
    "review_cases",
    metadata,
    Column("case_id", String(32), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("status", String(8), nullable=False),
    Column("opened_at", Float, nullable=False),
    Column("decided_at", Float),
    Column("decided_by", String(200)),
    Column("details", Text, nullable=False),
    Column("checklist", Text),
    Column("granted_quota", BigInteger),
    Column("granted_rate", Float),
    Column("reason", Text, nullable=False, server_default=""),
)
Index("ix_review_cases_account", review_cases.c.account_id, review_cases.c.region, review_cases.c.opened_at)
Index("ix_review_cases_status", review_cases.c.status, review_cases.c.opened_at)

custom_verification_templates = Table(
    "custom_verification_templates",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("template_name", Text, primary_key=True),
    Column("from_email_address", Text, nullable=False),
    Column("template_subject", Text, nullable=False),
    Column("template_content", Text, nullable=False),
    Column("success_redirection_url", Text, nullable=False),
    Column("failure_redirection_url", Text, nullable=False),
    Column("tags", Text, nullable=False, server_default="{}"),
    Column("created_at", Float, nullable=False),
)

suppressed_destinations = Table(
    "suppressed_destinations",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("email_address", String(320), primary_key=True),
    Column("reason", String(16), nullable=False),
    Column("last_update_time", Float, nullable=False),
    Column("message_id", String(80)),
    Column("feedback_id", String(80)),
)

suppression_settings = Table(
    "suppression_settings",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("suppressed_reasons", Text, nullable=False),
)

configuration_sets = Table(
    "configuration_sets",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("sending_enabled", Boolean, nullable=False, server_default=text("true")),
    Column("tls_policy", String(16), nullable=False, server_default="OPTIONAL"),
    Column("max_delivery_seconds", Integer),
    Column("tags", Text, nullable=False, server_default="{}"),
    Column("reputation_metrics_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("last_fresh_start", Float),
    Column("suppressed_reasons", Text),
    Column("tracking_domain", String(255)),
    Column("https_policy", String(20), nullable=False, server_default="OPTIONAL"),
)

topics = Table(
    "topics",
    metadata,
    Column("arn", String(320), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(256), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("signature_version", String(1), nullable=False, server_default="2"),
    Column("display_name", Text, nullable=False, server_default=""),
)
Index("ix_topics_account", topics.c.account_id, topics.c.region)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("arn", String(400), primary_key=True),
    Column("topic_arn", String(320), nullable=False, index=True),
    Column("account_id", String(12), nullable=False),
    Column("protocol", String(8), nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("status", String(24), nullable=False),
    Column("token", String(128), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("confirmed_at", Float),
    Column("raw_message_delivery", Boolean, nullable=False, server_default=text("false")),
)

event_destinations = Table(
    "event_destinations",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("configuration_set", String(64), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("matching_event_types", Text, nullable=False),
    Column("topic_arn", String(320), nullable=False),
)

identity_topics = Table(
    "identity_topics",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("identity", String(320), primary_key=True),
    Column("topics", Text, nullable=False, server_default="{}"),
    Column("forwarding_enabled", Boolean, nullable=False, server_default=text("true")),
    Column("headers_included", Text, nullable=False, server_default="[]"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("notification_id", String(36), primary_key=True),
    Column("subscription_arn", String(400), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("document", Text, nullable=False),
    Column("state", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", Float, nullable=False),
    Column("lease_token", String(36)),
    Column("finished_at", Float),
    Column("last_error", Text),
)
Index(
    "ix_notifications_due",
    notifications.c.next_attempt_at,
    sqlite_where=notifications.c.state == "pending",
    postgresql_where=notifications.c.state == "pending",
)
Index("ix_notifications_account", notifications.c.account_id, notifications.c.state)

reputation_states = Table(
    "reputation_states",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("review_ends_at", Float),
    Column("history", Text, nullable=False),
    Column("enforcement", Text, nullable=False),
    Column("usage", Text, nullable=False),
    Column("totals", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Index("ix_reputation_states_status", reputation_states.c.status)

feedback_reports = Table(
    "feedback_reports",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("received_at", Float, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("account_id", String(12)),
    Column("message_id", String(80)),
    Column("mail_from", Text, nullable=False),
    Column("rcpt_to", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("raw", LargeBinary, nullable=False),
)
Index("ix_feedback_reports_status", feedback_reports.c.status, feedback_reports.c.received_at)
import_jobs = Table(
    "import_jobs",
    metadata,
    Column("job_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("destination_type", String(20), nullable=False),
    Column("import_action", String(8), nullable=False),
    Column("source_url", Text, nullable=False),
    Column("data_format", String(8), nullable=False),
    Column("status", String(12), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("completed_at", Float),
    Column("processed_count", Integer, nullable=False, server_default="0"),
    Column("failed_count", Integer, nullable=False, server_default="0"),
    Column("error_message", Text),
    Column("lease_token", String(36)),
    Column("lease_until", Float),
)
Index("ix_import_jobs_account", import_jobs.c.account_id, import_jobs.c.region, import_jobs.c.created_at)
Index("ix_import_jobs_status", import_jobs.c.status, import_jobs.c.created_at)

import_job_failures = Table(
    "import_job_failures",
    metadata,
    Column("job_id", String(36), primary_key=True),
    Column("line_number", Integer, primary_key=True),
    Column("record", Text, nullable=False),
    Column("error", Text, nullable=False),
)
