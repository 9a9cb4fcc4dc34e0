"""SES v2 SendEmail with Simple and Raw content: parse, build the MIME message, hand it to the policy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import ApiError, bad_request, not_found, v2_error_for
from postwarden.domain.addresses import EmailAddress
from postwarden.mail import (
    MAX_MESSAGE_BYTES_V2,
    SES_REMOVED_HEADERS,
    Address,
    Attachment,
    InvalidAddressError,
    MailError,
    build_simple_message,
    format_date,
    inspect_raw_message,
    parse_address,
    rewrite_headers,
)
from postwarden.ports import Clock
from postwarden.services.send import OutgoingMessage, SendService

MAX_RECIPIENTS = 50


class SendHandlers:
    def __init__(self, sender: SendService, clock: Clock, hostname: str) -> None:
        self._sender = sender
        self._clock = clock
        self._hostname = hostname

    def table(self) -> dict[str, Handler]:
        return {"SendEmail": self.send_email}

    async def send_email(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        content = params["Content"]
        given = [kind for kind in ("Simple", "Raw", "Template") if content.get(kind) is not None]
        if len(given) != 1:
            raise bad_request("Exactly one of Simple, Raw or Template must be specified in Content.")
        if given[0] == "Template":
            raise bad_request("Template content is not supported by this Postwarden version.")
        if params.get("ConfigurationSetName"):
            raise not_found(f"Configuration set <{params['ConfigurationSetName']}> does not exist.")
        message_id = self._sender.new_message_id(ctx.region)
        header_id = f"<{message_id}@{ctx.region}.{self._hostname}>"
        date = datetime.fromtimestamp(self._clock.now(), UTC)
        try:
            if given[0] == "Simple":
                outgoing = self._simple(ctx, params, message_id, header_id, date)
            else:
                outgoing = self._raw(ctx, params, message_id, header_id, date)
        except MailError as error:
            raise bad_request(str(error)) from error
        decision = await self._sender.submit(outgoing)
        if not decision.allowed:
            raise v2_error_for(decision)
        return {"MessageId": message_id}

    def _simple(
        self, ctx: RequestContext, params: dict[str, Any], message_id: str, header_id: str, date: datetime
    ) -> OutgoingMessage:
        if not params.get("FromEmailAddress"):
            raise bad_request("FromEmailAddress is required when the content is Simple.")
        source = parse_address(params["FromEmailAddress"])
        destination = params.get("Destination") or {}
        to = _addresses(destination.get("ToAddresses"))
        cc = _addresses(destination.get("CcAddresses"))
        bcc = _addresses(destination.get("BccAddresses"))
        recipients = _check_count([*to, *cc, *bcc])
        simple = params["Content"]["Simple"]
        body = simple.get("Body") or {}
        data = build_simple_message(
            from_address=source,
            to=to,
            cc=cc,
            reply_to=_addresses(params.get("ReplyToAddresses")),
            subject=simple["Subject"]["Data"],
            subject_charset=simple["Subject"].get("Charset"),
            text=(body.get("Text") or {}).get("Data"),
            text_charset=(body.get("Text") or {}).get("Charset"),
            html=(body.get("Html") or {}).get("Data"),
            html_charset=(body.get("Html") or {}).get("Charset"),
            headers=[(h["Name"], h["Value"]) for h in simple.get("Headers", [])],
            attachments=[_attachment(a) for a in simple.get("Attachments", [])],
            message_id=header_id,
            date=date,
        )
        common = {
            "from": [source.original],
            "to": [a.original for a in to],
            "messageId": header_id,
            "subject": simple["Subject"]["Data"],
        }
        if cc:
            common["cc"] = [a.original for a in cc]
        return self._outgoing(ctx, params, message_id, source, (source,), recipients, data, common)

    def _raw(
        self, ctx: RequestContext, params: dict[str, Any], message_id: str, header_id: str, date: datetime
    ) -> OutgoingMessage:
        data: bytes = params["Content"]["Raw"]["Data"]
        if len(data) > MAX_MESSAGE_BYTES_V2:
            raise ApiError(
                "MessageRejected",
                f"Message length is more than {MAX_MESSAGE_BYTES_V2} bytes long: '{len(data)}'.",
            )
        info = inspect_raw_message(data)
        destination = params.get("Destination")
        if destination:
            recipients = [
                *_addresses(destination.get("ToAddresses")),
                *_addresses(destination.get("CcAddresses")),
                *_addresses(destination.get("BccAddresses")),
            ]
        else:
            recipients = [*info.to, *info.cc, *info.bcc]
        _check_count(recipients)
        source = parse_address(params["FromEmailAddress"]) if params.get("FromEmailAddress") else None
        header_senders = [*info.from_addresses, *info.sender]
        if source is None:
            if not header_senders:
                raise bad_request("The message has no From header and no FromEmailAddress was given.")
            source = header_senders[0]
        senders = tuple(dict.fromkeys([source, *header_senders]))
        content = rewrite_headers(
            data,
            remove=SES_REMOVED_HEADERS,
            set_headers=[("Message-ID", header_id), ("Date", format_date(date))],
        )
        common: dict[str, Any] = {
            "from": [a.original for a in info.from_addresses],
            "to": [a.original for a in info.to],
            "messageId": header_id,
            "subject": info.subject or "",
        }
        return self._outgoing(ctx, params, message_id, source, senders, recipients, content, common)

    def _outgoing(
        self,
        ctx: RequestContext,
        params: dict[str, Any],
        message_id: str,
        source: Address,
        senders: tuple[Address, ...],
        recipients: list[Address],
        content: bytes,
        common_headers: dict[str, Any],
    ) -> OutgoingMessage:
        tags: dict[str, list[str]] = {}
        for tag in params.get("EmailTags", []):
            tags.setdefault(tag["Name"], []).append(tag["Value"])
        return OutgoingMessage(
            account_id=ctx.account_id,
            region=ctx.region,
            message_id=message_id,
            source=_domain_address(source),
            senders=tuple(_domain_address(a) for a in senders),
            recipients=tuple(_domain_address(a) for a in recipients),
            content=content,
            caller_identity=ctx.access_key_id,
            source_ip=ctx.source_ip,
            operation="SendEmail",
            tags=tags,
            common_headers=common_headers,
        )


def _addresses(values: list[str] | None) -> list[Address]:
    found: list[Address] = []
    for value in values or []:
        try:
            found.append(parse_address(value))
        except InvalidAddressError as error:
            raise bad_request(f"{error} ({value})") from error
    return found


def _check_count(recipients: list[Address]) -> list[Address]:
    if not recipients:
        raise bad_request("There are no recipients specified.")
    if len(recipients) > MAX_RECIPIENTS:
        raise bad_request(f"Recipient count exceeds {MAX_RECIPIENTS}.")
    return recipients


def _domain_address(address: Address) -> EmailAddress:
    return EmailAddress(address.addr_spec, address.original)


def _attachment(spec: dict[str, Any]) -> Attachment:
    return Attachment(
        raw_content=spec["RawContent"],
        file_name=spec["FileName"],
        content_disposition=spec.get("ContentDisposition") or "ATTACHMENT",
        content_type=spec.get("ContentType"),
        content_id=spec.get("ContentId"),
        content_transfer_encoding=spec.get("ContentTransferEncoding"),
        content_description=spec.get("ContentDescription"),
    )
