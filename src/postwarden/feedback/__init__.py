"""Inbound feedback: bounces (RFC 3464 and plain-text), complaints (RFC 5965) and auto-replies (RFC 3834)
read into one `FeedbackReport`, and the VERP return path that names the message and recipient."""

from postwarden.feedback.parse import parse_feedback
from postwarden.feedback.report import FeedbackKind, FeedbackReport, RecipientReport
from postwarden.feedback.verp import VerpTarget, ses_message_id, verp_parse

__all__ = [
    "FeedbackKind",
    "FeedbackReport",
    "RecipientReport",
    "VerpTarget",
    "parse_feedback",
    "ses_message_id",
    "verp_parse",
]
