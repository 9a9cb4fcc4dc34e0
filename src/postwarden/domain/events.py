"""SES event records and their JSON shapes (the `mail`, `send`, `reject`, `delivery`, `bounce`… objects).

Events are stored as (type, time, recipient, detail); the `mail` object is composed from the message
when an event is rendered, so the hot send path writes a few bytes per event, not the whole document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from postwarden.domain.delivery import BounceSubType, BounceType, SmtpReply


class EventType(StrEnum):
    SEND = "Send"
    REJECT = "Reject"
    DELIVERY = "Delivery"
    DELIVERY_DELAY = "DeliveryDelay"
    BOUNCE = "Bounce"
    COMPLAINT = "Complaint"
    OPEN = "Open"
    CLICK = "Click"
    RENDERING_FAILURE = "Rendering Failure"
    SUBSCRIPTION = "Subscription"


_DETAIL_KEY = {
    EventType.SEND: "send",
    EventType.REJECT: "reject",
    EventType.DELIVERY: "delivery",
    EventType.DELIVERY_DELAY: "deliveryDelay",
    EventType.BOUNCE: "bounce",
    EventType.COMPLAINT: "complaint",
    EventType.OPEN: "open",
    EventType.CLICK: "click",
    EventType.RENDERING_FAILURE: "failure",
    EventType.SUBSCRIPTION: "subscription",
}


def iso_timestamp(epoch: float) -> str:
    """SES's event timestamp form: `2012-05-25T14:59:38.605Z`."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class MailSummary:
    """What SES reports about the original message in every event."""

    message_id: str
    timestamp: float
    source: str
    sending_account_id: str
    region: str
    destination: Sequence[str]
    caller_identity: str = ""
    source_ip: str = ""
    tags: Mapping[str, Sequence[str]] = field(default_factory=dict)
    common_headers: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        domain = self.source.rpartition("@")[2].rstrip(">")
        mail: dict[str, Any] = {
            "timestamp": iso_timestamp(self.timestamp),
            "source": self.source,
            "sourceArn": f"arn:aws:ses:{self.region}:{self.sending_account_id}:identity/{domain}",
            "sendingAccountId": self.sending_account_id,
            "messageId": self.message_id,
            "destination": list(self.destination),
        }
        if self.source_ip:
            mail["sourceIp"] = self.source_ip
        if self.caller_identity:
            mail["callerIdentity"] = self.caller_identity
        if self.common_headers:
            mail["headersTruncated"] = False
            mail["commonHeaders"] = dict(self.common_headers)
        tags = {key: list(values) for key, values in self.tags.items()}
        tags.setdefault("ses:operation", ["SendEmail"])
        tags.setdefault("ses:from-domain", [domain])
        tags.setdefault("ses:caller-identity", [self.caller_identity or "root"])
        if self.source_ip:
            tags.setdefault("ses:source-ip", [self.source_ip])
        mail["tags"] = tags
        return mail


def render(event_type: EventType, mail: MailSummary, detail: Mapping[str, Any]) -> dict[str, Any]:
    """The event as SES publishes it to an event destination."""
    return {"eventType": event_type.value, "mail": mail.as_json(), _DETAIL_KEY[event_type]: dict(detail)}


def delivery_detail(
    recipient: str,
    at: float,
    accepted_at: float,
    reply: SmtpReply,
    reporting_mta: str,
    remote_mta_ip: str | None,
) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "timestamp": iso_timestamp(at),
        "processingTimeMillis": max(0, round((at - accepted_at) * 1000)),
        "recipients": [recipient],
        "smtpResponse": str(reply),
        "reportingMTA": reporting_mta,
    }
    if remote_mta_ip:
        detail["remoteMtaIp"] = remote_mta_ip
    return detail


def bounce_detail(
    recipient: str,
    at: float,
    feedback_id: str,
    bounce_type: BounceType,
    bounce_sub_type: BounceSubType,
    reporting_mta: str,
    reply: SmtpReply | None = None,
    description: str = "",
    remote_mta_ip: str | None = None,
) -> dict[str, Any]:
    bounced: dict[str, Any] = {"emailAddress": recipient}
    if reply is not None:
        bounced["action"] = "failed"
        bounced["status"] = reply.enhanced or f"{str(reply.code)[0]}.0.0"
        bounced["diagnosticCode"] = f"smtp; {reply}"
    elif description:
        bounced["diagnosticCode"] = description
    detail: dict[str, Any] = {
        "bounceType": bounce_type.value,
        "bounceSubType": bounce_sub_type.value,
        "bouncedRecipients": [bounced],
        "timestamp": iso_timestamp(at),
        "feedbackId": feedback_id,
        "reportingMTA": f"dsn; {reporting_mta}",
    }
    if remote_mta_ip:
        detail["remoteMtaIp"] = remote_mta_ip
    return detail


def delivery_delay_detail(
    recipient: str,
    at: float,
    expiration: float,
    reporting_mta: str,
    description: str,
    reply: SmtpReply | None,
    remote_mta_ip: str | None,
) -> dict[str, Any]:
    delayed: dict[str, Any] = {"emailAddress": recipient, "diagnosticCode": description}
    if reply is not None:
        delayed["status"] = reply.enhanced or f"{str(reply.code)[0]}.0.0"
    detail: dict[str, Any] = {
        "delayType": "TransientCommunicationFailure" if reply is None else "General",
        "delayedRecipients": [delayed],
        "expirationTime": iso_timestamp(expiration),
        "reportingMTA": reporting_mta,
        "timestamp": iso_timestamp(at),
    }
    if remote_mta_ip:
        detail["remoteMtaIp"] = remote_mta_ip
    return detail


def complaint_detail(
    recipient: str,
    at: float,
    feedback_id: str,
    user_agent: str,
    feedback_type: str = "abuse",
    arrival: float | None = None,
) -> dict[str, Any]:
    return {
        "complainedRecipients": [{"emailAddress": recipient}],
        "timestamp": iso_timestamp(at),
        "feedbackId": feedback_id,
        "complaintSubType": None,
        "userAgent": user_agent,
        "complaintFeedbackType": feedback_type,
        "arrivalDate": iso_timestamp(arrival if arrival is not None else at),
    }
