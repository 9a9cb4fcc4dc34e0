"""SES v2 SendEmail with Simple and Raw content, translated onto the shared composer and send service."""

from __future__ import annotations

from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import ApiError, bad_request, v2_error_for
from postwarden.api.simple_content import simple_content
from postwarden.mail import Attachment
from postwarden.services.compose import (
    CompositionError,
    MessageComposer,
    Origin,
    RawContent,
    SendOptions,
)
from postwarden.services.send import OutgoingMessage, SendService


class SendHandlers:
    def __init__(self, sender: SendService, composer: MessageComposer) -> None:
        self._sender = sender
        self._composer = composer

    def table(self) -> dict[str, Handler]:
        return {"SendEmail": self.send_email}

    async def send_email(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        content = params["Content"]
        given = [kind for kind in ("Simple", "Raw", "Template") if content.get(kind) is not None]
        if len(given) != 1:
            raise bad_request("Exactly one of Simple, Raw or Template must be specified in Content.")
        if given[0] == "Template":
            raise bad_request("Template content is not supported by this Postwarden version.")
        origin = Origin(ctx.account_id, ctx.region, ctx.access_key_id, ctx.source_ip, "SendEmail")
        tags: dict[str, list[str]] = {}
        for tag in params.get("EmailTags", []):
            tags.setdefault(tag["Name"], []).append(tag["Value"])
        options = SendOptions(params.get("ConfigurationSetName"), tags)
        try:
            message = (
                self._simple(origin, params, options)
                if given[0] == "Simple"
                else self._raw(origin, params, options)
            )
        except CompositionError as error:
            raise v2_composition_error(error) from error
        decision = await self._sender.submit(message)
        if not decision.allowed:
            raise v2_error_for(decision)
        return {"MessageId": message.message_id}

    def _simple(self, origin: Origin, params: dict[str, Any], options: SendOptions) -> OutgoingMessage:
        if not params.get("FromEmailAddress"):
            raise bad_request("FromEmailAddress is required when the content is Simple.")
        simple = params["Content"]["Simple"]
        content = simple_content(
            params["FromEmailAddress"],
            params,
            simple,
            headers=[(h["Name"], h["Value"]) for h in simple.get("Headers", [])],
            attachments=[_attachment(a) for a in simple.get("Attachments", [])],
        )
        return self._composer.simple(origin, content, options)

    def _raw(self, origin: Origin, params: dict[str, Any], options: SendOptions) -> OutgoingMessage:
        destination = params.get("Destination")
        destinations = None
        if destination:
            destinations = [
                *destination.get("ToAddresses", []),
                *destination.get("CcAddresses", []),
                *destination.get("BccAddresses", []),
            ]
        raw = RawContent(params["Content"]["Raw"]["Data"], params.get("FromEmailAddress"), destinations)
        message, _ = self._composer.raw(origin, raw, options)
        return message


def v2_composition_error(error: CompositionError) -> ApiError:
    if error.kind in {"rejected", "too-large"}:
        return ApiError("MessageRejected", error.message)
    return bad_request(error.message)


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
