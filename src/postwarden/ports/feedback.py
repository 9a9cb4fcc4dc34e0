"""The storage port of inbound feedback: the recipients a report can name, and the reports themselves
(every one is kept, whatever became of it, so nothing that arrives is dropped silently)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class SentRecipient:
    recipient_id: int
    message_id: str
    account_id: str
    region: str
    address: str
    simulator: bool


@dataclass(frozen=True, slots=True)
class StoredReport:
    report_id: str
    received_at: float
    kind: str
    status: str
    """applied, duplicate, unmatched, unparseable or ignored (auto-replies, relayed notices)."""
    account_id: str | None
    message_id: str | None
    mail_from: str
    rcpt_to: str
    detail: Mapping[str, Any]
    raw: bytes


class FeedbackRepository(Protocol):
    def recipient(self, recipient_id: int) -> SentRecipient | None: ...
    def recipients_of(self, message_id: str) -> list[SentRecipient]: ...
    def has_late_event(self, message_id: str, address: str, event_type: str) -> bool: ...
    def add_report(self, report: StoredReport) -> None: ...
    def reports(self, status: str | None = None, limit: int = 100) -> list[StoredReport]: ...
    def report(self, report_id: str) -> StoredReport | None: ...
    def counts(self) -> dict[str, int]:
        """Reports per status."""
        ...
