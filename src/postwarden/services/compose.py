"""Turning what a client sent (Simple fields or a raw MIME message) into an OutgoingMessage.

One implementation behind every protocol: the v2 and v1 APIs and SMTP all come through here, so the
limits (recipients, size) and the headers SES adds or removes are applied the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from postwarden.domain.addresses import EmailAddress
from postwarden.mail import (
    SES_REMOVED_HEADERS,
    Address,
    Attachment,
    build_simple_message,
    format_date,
    inspect_raw_message,
    parse_address,
    rewrite_headers,
)
from postwarden.mail.errors import MailError
from postwarden.ports import Clock
from postwarden.services.send import OutgoingMessage, SendService

MAX_RECIPIENTS = 50


class CompositionError(Exception):
    """The request cannot become a message. `kind` tells adapters which protocol error to answer."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "invalid" (bad parameter) | "rejected" (bad message) | "too-large"
        self.message = message


@dataclass(frozen=True, slots=True)
class Origin:
    """Who is sending, from where, through which operation."""

    account_id: str
    region: str
    caller_identity: str
    source_ip: str
    operation: str


@dataclass(frozen=True, slots=True)
class SimpleContent:
    source: str
    to: Sequence[str]
    cc: Sequence[str]
    bcc: Sequence[str]
    reply_to: Sequence[str]
    subject: str
    subject_charset: str | None = None
    text: str | None = None
    text_charset: str | None = None
    html: str | None = None
    html_charset: str | None = None
    headers: Sequence[tuple[str, str]] = ()
    attachments: Sequence[Attachment] = ()
    return_path: str | None = None


@dataclass(frozen=True, slots=True)
class RawContent:
    data: bytes
    source: str | None = None
    """Source / FromEmailAddress, or for SMTP the MAIL FROM; None: the message's From header."""
    destinations: Sequence[str] | None = None
    """Explicit recipients (Destinations, Destination, RCPT TO); None: To, Cc and Bcc headers."""
    max_bytes: int = 40 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SendOptions:
    configuration_set: str | None = None
    tags: Mapping[str, Sequence[str]] = field(default_factory=dict)


class MessageComposer:
    def __init__(self, sender: SendService, clock: Clock, hostname: str) -> None:
        self._sender = sender
        self._clock = clock
        self._hostname = hostname

    def simple(self, origin: Origin, content: SimpleContent, options: SendOptions) -> OutgoingMessage:
        message_id, header_id, date = self._identifiers(origin.region)
        try:
            source = parse_address(content.source)
            to, cc, bcc = _parse_all(content.to), _parse_all(content.cc), _parse_all(content.bcc)
            recipients = _check_count([*to, *cc, *bcc])
            senders = [source, *([parse_address(content.return_path)] if content.return_path else [])]
            data = build_simple_message(
                from_address=source,
                to=to,
                cc=cc,
                reply_to=_parse_all(content.reply_to),
                subject=content.subject,
                subject_charset=content.subject_charset,
                text=content.text,
                text_charset=content.text_charset,
                html=content.html,
                html_charset=content.html_charset,
                headers=content.headers,
                attachments=content.attachments,
                message_id=header_id,
                date=date,
            )
        except MailError as error:
            raise CompositionError("invalid", str(error)) from error
        common: dict[str, Any] = {
            "from": [source.original],
            "to": [a.original for a in to],
            "messageId": header_id,
            "subject": content.subject,
        }
        if cc:
            common["cc"] = [a.original for a in cc]
        return _outgoing(origin, options, message_id, source, senders, recipients, data, common)

    def raw(
        self, origin: Origin, content: RawContent, options: SendOptions
    ) -> tuple[OutgoingMessage, RawHeaders]:
        """The message, and the SES control headers it carried (X-SES-CONFIGURATION-SET and friends)."""
        if len(content.data) > content.max_bytes:
            raise CompositionError(
                "too-large",
                f"Message length is more than {content.max_bytes} bytes long: '{len(content.data)}'.",
            )
        message_id, header_id, date = self._identifiers(origin.region)
        try:
            info = inspect_raw_message(content.data)
            if content.destinations is not None:
                recipients = _check_count(_parse_all(content.destinations))
            else:
                recipients = _check_count([*info.to, *info.cc, *info.bcc])
            header_senders = [*info.from_addresses, *info.sender]
            source = parse_address(content.source) if content.source else None
            if source is None:
                if not header_senders:
                    raise CompositionError("rejected", "Missing required header 'From'.")
                source = header_senders[0]
            data = rewrite_headers(
                content.data,
                remove=SES_REMOVED_HEADERS,
                set_headers=[("Message-ID", header_id), ("Date", format_date(date))],
            )
        except MailError as error:
            raise CompositionError("rejected", str(error)) from error
        control = RawHeaders(
            configuration_set=info.get("X-SES-CONFIGURATION-SET"),
            tags=_parse_tag_header(info.get("X-SES-MESSAGE-TAGS")),
            list_management=info.get("X-SES-LIST-MANAGEMENT-OPTIONS"),
        )
        merged = SendOptions(
            configuration_set=options.configuration_set or control.configuration_set,
            tags={**control.tags, **options.tags},
        )
        common: dict[str, Any] = {
            "from": [a.original for a in info.from_addresses],
            "to": [a.original for a in info.to],
            "messageId": header_id,
            "subject": info.subject or "",
        }
        senders = list(dict.fromkeys([source, *header_senders]))
        return _outgoing(origin, merged, message_id, source, senders, recipients, data, common), control

    def _identifiers(self, region: str) -> tuple[str, str, datetime]:
        message_id = self._sender.new_message_id(region)
        return (
            message_id,
            f"<{message_id}@{region}.{self._hostname}>",
            datetime.fromtimestamp(self._clock.now(), UTC),
        )


@dataclass(frozen=True, slots=True)
class RawHeaders:
    configuration_set: str | None
    tags: Mapping[str, Sequence[str]]
    list_management: str | None


def _parse_all(values: Sequence[str]) -> list[Address]:
    return [parse_address(value) for value in values]


def _check_count(recipients: list[Address]) -> list[Address]:
    if not recipients:
        raise CompositionError("invalid", "There are no recipients specified.")
    if len(recipients) > MAX_RECIPIENTS:
        raise CompositionError("invalid", f"Recipient count exceeds {MAX_RECIPIENTS}.")
    return recipients


def _parse_tag_header(value: str | None) -> dict[str, list[str]]:
    """`X-SES-MESSAGE-TAGS: k1=v1, k2=v2`."""
    tags: dict[str, list[str]] = {}
    for pair in (value or "").split(","):
        name, sep, tag_value = pair.strip().partition("=")
        if sep and name:
            tags.setdefault(name.strip(), []).append(tag_value.strip())
    return tags


def _outgoing(
    origin: Origin,
    options: SendOptions,
    message_id: str,
    source: Address,
    senders: Sequence[Address],
    recipients: Sequence[Address],
    content: bytes,
    common_headers: Mapping[str, Any],
) -> OutgoingMessage:
    return OutgoingMessage(
        account_id=origin.account_id,
        region=origin.region,
        message_id=message_id,
        source=_domain_address(source),
        senders=tuple(_domain_address(a) for a in senders),
        recipients=tuple(_domain_address(a) for a in recipients),
        content=content,
        caller_identity=origin.caller_identity,
        source_ip=origin.source_ip,
        operation=origin.operation,
        configuration_set=options.configuration_set,
        tags=options.tags,
        common_headers=common_headers,
    )


def _domain_address(address: Address) -> EmailAddress:
    return EmailAddress(address.addr_spec, address.original)
