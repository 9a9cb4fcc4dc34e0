"""Review cases as JSON-ready records, the one shape the operator CLI (`--json`) and the admin API show."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from postwarden.domain.review import (
    DEFAULT_DECISION_DEADLINE,
    AccountDetails,
    Checklist,
    ReviewCase,
    ReviewStatus,
)


def case_record(case: ReviewCase, now: float, deadline: float = DEFAULT_DECISION_DEADLINE) -> dict[str, Any]:
    pending = case.status is ReviewStatus.PENDING
    return {
        "caseId": case.case_id,
        "accountId": case.account_id,
        "region": case.region,
        "status": case.status.value,
        "openedAt": _time(case.opened_at),
        "ageSeconds": round(now - case.opened_at, 3) if pending else None,
        "overdue": case.is_overdue(now, deadline),
        "decidedAt": None if case.decided_at is None else _time(case.decided_at),
        "decidedBy": case.decided_by,
        "grantedQuota": case.granted_quota,
        "grantedRate": case.granted_rate,
        "reason": case.reason,
        "details": details_record(case.details),
        "checklist": None if case.checklist is None else checklist_record(case.checklist),
    }


def summary_record(
    case: ReviewCase, now: float, deadline: float = DEFAULT_DECISION_DEADLINE
) -> dict[str, Any]:
    """A line of a listing: the case without its details and checklist items."""
    record = case_record(case, now, deadline)
    del record["details"], record["checklist"]
    record["mailType"] = case.details.mail_type.value
    record["checklistSummary"] = None if case.checklist is None else case.checklist.summary
    return record


def details_record(details: AccountDetails) -> dict[str, Any]:
    return {
        "mailType": details.mail_type.value,
        "websiteUrl": details.website_url,
        "contactLanguage": None if details.contact_language is None else details.contact_language.value,
        "useCaseDescription": details.use_case_description,
        "additionalContactEmailAddresses": list(details.additional_contact_email_addresses),
    }


def checklist_record(checklist: Checklist) -> dict[str, Any]:
    return {
        "summary": checklist.summary,
        "passed": checklist.passed,
        "evaluatedAt": _time(checklist.evaluated_at),
        "recommendedQuota": checklist.recommended_quota,
        "recommendedRate": checklist.recommended_rate,
        "items": [
            {
                "key": item.key.value,
                "title": item.title,
                "status": item.status.value,
                "evidence": item.evidence,
                "fix": item.fix,
            }
            for item in checklist.items
        ],
    }


def _time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
