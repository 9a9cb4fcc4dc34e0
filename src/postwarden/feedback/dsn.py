"""RFC 3464 delivery status notifications: `multipart/report; report-type=delivery-status`, with a
`message/delivery-status` part of one per-message block and one block per recipient."""

from __future__ import annotations

from email.message import Message

from postwarden.domain.bounce_classification import classify_failure
from postwarden.feedback.mime import (
    address_in,
    field_blocks,
    header,
    original_headers,
    parse_date,
    report_parts,
)
from postwarden.feedback.report import FeedbackKind, FeedbackReport, RecipientReport

STATUS_PARTS = ("message/delivery-status", "message/global-delivery-status")
_INFERRED_ACTION = {"5": "failed", "4": "delayed", "2": "delivered"}
_SUCCESS_ACTIONS = {"delivered", "relayed", "expanded"}


def delivery_status_part(message: Message) -> Message | None:
    return next((p for p in report_parts(message) if p.get_content_type() in STATUS_PARTS), None)


def read_delivery_status(message: Message, status_part: Message) -> FeedbackReport:
    problems: list[str] = []
    blocks = field_blocks(status_part)
    if blocks and header(blocks[0], "Final-Recipient") is None and header(blocks[0], "Action") is None:
        per_message, per_recipient = blocks[0], blocks[1:]
    else:
        per_message, per_recipient = Message(), blocks
        problems.append("no per-message block in the delivery status")
    recipients = tuple(r for r in (_recipient(b, problems) for b in per_recipient) if r is not None)
    original = original_headers(message)
    kind = _kind_of(recipients)
    if kind is FeedbackKind.UNKNOWN:
        problems.append("the delivery status names no recipient with an action")
    return FeedbackReport(
        kind=kind,
        recipients=recipients,
        reporting_mta=header(per_message, "Reporting-MTA"),
        original_message_id=original.message_id,
        original_return_path=original.return_path,
        original_envelope_id=header(per_message, "Original-Envelope-Id"),
        original_to=original.to,
        arrival_date=parse_date(header(per_message, "Arrival-Date"), problems, "Arrival-Date"),
        problems=tuple(problems),
    )


def _recipient(block: Message, problems: list[str]) -> RecipientReport | None:
    final = address_in(header(block, "Final-Recipient"))
    original = address_in(header(block, "Original-Recipient"))
    status = header(block, "Status")
    diagnostic = header(block, "Diagnostic-Code")
    action = (header(block, "Action") or "").split()[0:1]
    if final is None and original is None:
        problems.append("a recipient block without Final-Recipient")
        if not action and status is None:
            return None
    resolved = action[0].lower() if action else _INFERRED_ACTION.get((status or " ")[0])
    if not action:
        problems.append(f"no Action for {final or original}; inferred {resolved!r} from the status")
    classification = None
    if resolved in ("failed", "delayed"):
        classification = classify_failure(status, diagnostic)
    return RecipientReport(
        final_recipient=final or original,
        original_recipient=original,
        action=resolved,
        status=status,
        diagnostic_code=diagnostic,
        remote_mta=header(block, "Remote-MTA"),
        last_attempt_date=parse_date(header(block, "Last-Attempt-Date"), problems, "Last-Attempt-Date"),
        classification=classification,
    )


def _kind_of(recipients: tuple[RecipientReport, ...]) -> FeedbackKind:
    actions = {r.action for r in recipients}
    if "failed" in actions:
        return FeedbackKind.BOUNCE
    if "delayed" in actions:
        return FeedbackKind.DELAY
    if actions & _SUCCESS_ACTIONS:
        return FeedbackKind.DELIVERED
    return FeedbackKind.UNKNOWN
