"""A policy decision that explains itself: the rule, what was measured, the limit and the window."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Rule(StrEnum):
    """Every rule that can refuse a send. Adapters map each one to their protocol's error."""

    SENDING_DISABLED = "sending-disabled"
    ACCOUNT_PAUSED = "account-paused"
    IDENTITY_NOT_VERIFIED = "identity-not-verified"
    DAILY_QUOTA = "daily-quota"
    SEND_RATE = "send-rate"
    MAIL_FROM_NOT_VERIFIED = "mail-from-not-verified"
    CONFIGURATION_SET_NOT_FOUND = "configuration-set-not-found"
    CONFIGURATION_SET_PAUSED = "configuration-set-paused"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    rule: Rule | None = None
    message: str = ""
    """The text SES itself returns for this refusal (what API and SMTP clients see)."""
    explanation: str = ""
    """The full reason for logs, the audit trail and the console."""
    measured: float | None = None
    limit: float | None = None
    window: str | None = None
    failed_identities: tuple[str, ...] = field(default=())

    @classmethod
    def allow(cls) -> Decision:
        return _ALLOW

    @classmethod
    def refuse(
        cls,
        rule: Rule,
        message: str,
        explanation: str,
        *,
        measured: float | None = None,
        limit: float | None = None,
        window: str | None = None,
        failed_identities: tuple[str, ...] = (),
    ) -> Decision:
        return cls(False, rule, message, explanation, measured, limit, window, failed_identities)

    def as_record(self) -> dict[str, object]:
        """The decision as a JSON-able record for the Reject event and the audit log."""
        record: dict[str, object] = {
            "rule": self.rule.value if self.rule else None,
            "message": self.message,
            "explanation": self.explanation,
        }
        for key in ("measured", "limit", "window"):
            value = getattr(self, key)
            if value is not None:
                record[key] = value
        if self.failed_identities:
            record["failedIdentities"] = list(self.failed_identities)
        return record


_ALLOW = Decision(True)
