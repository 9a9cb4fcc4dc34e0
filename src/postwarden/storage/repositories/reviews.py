"""Production access review cases, and the facts the pre-review reads from the audit log, the
notification outbox and recent messages."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from postwarden.domain.review import (
    AccountDetails,
    Checklist,
    ContactLanguage,
    MailType,
    ReviewCase,
    ReviewStatus,
)
from postwarden.storage.tables import audit_log, messages, notifications, review_cases

HEAD_BYTES = 16_384
"""How much of a message `recent_headers` reads: enough for any sane header section."""


class SqlReviewRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, case: ReviewCase) -> None:
        self._c.execute(
            insert(review_cases).values(
                case_id=case.case_id,
                account_id=case.account_id,
                region=case.region,
                opened_at=case.opened_at,
                details=_details_json(case.details),
                **_decision(case),
            )
        )

    def save(self, case: ReviewCase) -> None:
        changed = self._c.execute(
            update(review_cases).where(review_cases.c.case_id == case.case_id).values(**_decision(case))
        ).rowcount
        if changed != 1:
            raise LookupError(f"no review case {case.case_id}")

    def get(self, case_id: str) -> ReviewCase | None:
        row = (
            self._c.execute(select(review_cases).where(review_cases.c.case_id == case_id)).mappings().first()
        )
        return None if row is None else _case(row)

    def latest(self, account_id: str, region: str) -> ReviewCase | None:
        query = (
            select(review_cases)
            .where(review_cases.c.account_id == account_id, review_cases.c.region == region)
            .order_by(review_cases.c.opened_at.desc(), review_cases.c.case_id.desc())
            .limit(1)
        )
        row = self._c.execute(query).mappings().first()
        return None if row is None else _case(row)

    def find(
        self,
        *,
        status: ReviewStatus | None = None,
        account_id: str | None = None,
        region: str | None = None,
        limit: int = 100,
    ) -> list[ReviewCase]:
        query = select(review_cases)
        if status is not None:
            query = query.where(review_cases.c.status == status.value)
        if account_id is not None:
            query = query.where(review_cases.c.account_id == account_id)
        if region is not None:
            query = query.where(review_cases.c.region == region)
        query = query.order_by(review_cases.c.opened_at, review_cases.c.case_id).limit(limit)
        return [_case(row) for row in self._c.execute(query).mappings()]

    def count_actions(self, account_id: str, region: str, action: str, since: float) -> int:
        query = select(func.count()).where(
            audit_log.c.account_id == account_id,
            audit_log.c.region == region,
            audit_log.c.action == action,
            audit_log.c.created_at >= since,
        )
        return int(self._c.execute(query).scalar_one())

    def subscription_reachability(self, subscription_arns: Iterable[str]) -> dict[str, bool]:
        wanted = list(set(subscription_arns))
        if not wanted:
            return {}
        query = (
            select(notifications.c.subscription_arn, notifications.c.state, notifications.c.last_error)
            .where(notifications.c.subscription_arn.in_(wanted), notifications.c.attempts > 0)
            .order_by(notifications.c.created_at, notifications.c.notification_id)
        )
        found: dict[str, bool] = {}
        for arn, state, last_error in self._c.execute(query):
            found[arn] = state == "delivered" or (state == "pending" and not last_error)  # newest wins
        return found

    def recent_headers(
        self, account_id: str, region: str, since: float, limit: int, exclude_operations: Collection[str]
    ) -> list[bytes]:
        query = (
            select(func.substr(messages.c.content, 1, HEAD_BYTES))
            .where(messages.c.account_id == account_id, messages.c.region == region)
            .where(messages.c.created_at >= since)
            .order_by(messages.c.created_at.desc())
            .limit(limit)
        )
        if exclude_operations:
            query = query.where(messages.c.operation.not_in(list(exclude_operations)))
        return [bytes(head) for (head,) in self._c.execute(query)]


def _decision(case: ReviewCase) -> dict[str, Any]:
    return {
        "status": case.status.value,
        "decided_at": case.decided_at,
        "decided_by": case.decided_by,
        "checklist": None if case.checklist is None else case.checklist.to_json(),
        "granted_quota": case.granted_quota,
        "granted_rate": case.granted_rate,
        "reason": case.reason,
    }


def _details_json(details: AccountDetails) -> str:
    return json.dumps(
        {
            "MailType": details.mail_type.value,
            "WebsiteURL": details.website_url,
            "ContactLanguage": None if details.contact_language is None else details.contact_language.value,
            "UseCaseDescription": details.use_case_description,
            "AdditionalContactEmailAddresses": list(details.additional_contact_email_addresses),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _details(text: str) -> AccountDetails:
    record = json.loads(text)
    language = record.get("ContactLanguage")
    return AccountDetails(
        mail_type=MailType(record["MailType"]),
        website_url=record["WebsiteURL"],
        contact_language=None if language is None else ContactLanguage(language),
        use_case_description=record.get("UseCaseDescription"),
        additional_contact_email_addresses=tuple(record.get("AdditionalContactEmailAddresses") or ()),
    )


def _case(row: Any) -> ReviewCase:
    return ReviewCase(
        case_id=row["case_id"],
        account_id=row["account_id"],
        region=row["region"],
        details=_details(row["details"]),
        status=ReviewStatus(row["status"]),
        opened_at=row["opened_at"],
        checklist=None if row["checklist"] is None else Checklist.from_json(row["checklist"]),
        decided_at=row["decided_at"],
        decided_by=row["decided_by"],
        granted_quota=row["granted_quota"],
        granted_rate=row["granted_rate"],
        reason=row["reason"],
    )
