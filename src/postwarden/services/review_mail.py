"""The mail Postwarden sends to an account's contacts about its production access: the request received
with the pre-review checklist, the decision (granted, denied with the reason, failed) and a return to the
sandbox. Sent through Postwarden's own queue, like verification mail."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from postwarden.domain.addresses import EmailAddress
from postwarden.domain.model import UNLIMITED
from postwarden.domain.review import Checklist, ReviewCase, ReviewStatus
from postwarden.mail import InvalidAddressError, build_simple_message, parse_address
from postwarden.ports import Clock
from postwarden.services.send import OutgoingMessage, SendService

log = logging.getLogger("postwarden.review")

OPERATION = "ProductionAccessReview"


@dataclass(frozen=True, slots=True)
class ReviewMailSettings:
    sender: str
    hostname: str


def render_checklist(checklist: Checklist) -> str:
    """The checklist as text: one line per item with its status, evidence and fix."""
    lines = [f"Pre-review checklist ({checklist.summary}):"]
    for item in checklist.items:
        lines.append(f"[{item.status.value}] {item.title}: {item.evidence}")
        if item.fix:
            lines.append(f"       To fix: {item.fix}")
    quota = "unlimited" if checklist.recommended_quota == UNLIMITED else f"{checklist.recommended_quota:,}"
    lines.append(f"Recommended: {quota} messages per 24 hours, {checklist.recommended_rate:g} per second.")
    return "\n".join(lines)


def _limits(quota: int | None, rate: float | None) -> str:
    shown = "unlimited" if quota == UNLIMITED else f"{quota or 0:,}"
    return f"{shown} messages per 24 hours and {rate or 0:g} messages per second"


def case_message(case: ReviewCase) -> tuple[str, str]:
    """Subject and body of the mail about a case in its current state."""
    where = f"in {case.region} (case {case.case_id})"
    if case.status is ReviewStatus.PENDING:
        subject = f"Postwarden: your production access request {where} was received"
        text = (
            "We received your request for production access. An automated pre-review has checked it; "
            "a reviewer decides next, usually within 24 hours. You can't edit your account details until "
            "the review is complete."
        )
    elif case.status is ReviewStatus.GRANTED:
        subject = f"Postwarden: production access granted {where}"
        text = (
            f"Your account now has production access {where}: you can send to any recipient, up to "
            f"{_limits(case.granted_quota, case.granted_rate)}. Other regions are unchanged."
        )
    elif case.status is ReviewStatus.DENIED:
        subject = f"Postwarden: production access denied {where}"
        text = case.reason
    else:
        subject = f"Postwarden: your production access request {where} could not be reviewed"
        text = f"An internal error occurred: {case.reason}\nYou can submit your request again."
    body = [text]
    if case.checklist is not None and case.status is not ReviewStatus.DENIED:  # a denial explains itself
        body.append(render_checklist(case.checklist))
    return subject, "\n\n".join(body) + "\n"


class ReviewMail:
    def __init__(self, sender: SendService, clock: Clock, settings: ReviewMailSettings) -> None:
        self._sender = sender
        self._clock = clock
        self._settings = settings

    async def about_case(self, case: ReviewCase) -> str | None:
        subject, text = case_message(case)
        return await self.send(
            case.account_id, case.region, case.details.additional_contact_email_addresses, subject, text
        )

    async def returned_to_sandbox(
        self, account_id: str, region: str, contacts: Sequence[str], reason: str
    ) -> str | None:
        subject = f"Postwarden: your account was returned to the sandbox in {region}"
        text = (
            f"Your account no longer has production access in {region}: it can send only to verified "
            f"identities, within the sandbox quota.\n\nReason: {reason}\n\nTo send to any recipient again, "
            "fix the cause and submit a new request (PutAccountDetails with ProductionAccessEnabled=true).\n"
        )
        return await self.send(account_id, region, contacts, subject, text)

    async def send(
        self, account_id: str, region: str, contacts: Sequence[str], subject: str, text: str
    ) -> str | None:
        """Queue one message to every contact that is a valid address; returns its id (None: no one)."""
        recipients = []
        for contact in contacts:
            try:
                recipients.append(parse_address(contact))
            except InvalidAddressError:
                log.warning("not mailing review contact %r of %s: not a valid address", contact, account_id)
        if not recipients:
            return None
        message_id = self._sender.new_message_id(region)
        sender = self._settings.sender
        content = build_simple_message(
            from_address=sender,
            to=recipients,
            subject=subject,
            text=text,
            message_id=f"<{message_id}@{region}.{self._settings.hostname}>",
            date=datetime.fromtimestamp(self._clock.now(), UTC),
        )
        source = EmailAddress.of(sender)
        await self._sender.enqueue_service_message(
            OutgoingMessage(
                account_id=account_id,
                region=region,
                message_id=message_id,
                source=source,
                senders=(source,),
                recipients=tuple(EmailAddress.of(r.addr_spec) for r in recipients),
                content=content,
                caller_identity="postwarden",
                source_ip="",
                operation=OPERATION,
                common_headers={
                    "from": [sender],
                    "to": [r.addr_spec for r in recipients],
                    "subject": subject,
                },
            )
        )
        return message_id
