"""The wire shape both APIs share for a formatted message (Destination, Subject, Body) as SimpleContent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from postwarden.mail import Attachment
from postwarden.services.compose import SimpleContent


def simple_content(
    source: str,
    params: dict[str, Any],
    message: dict[str, Any],
    *,
    headers: Sequence[tuple[str, str]] = (),
    attachments: Sequence[Attachment] = (),
    return_path: str | None = None,
) -> SimpleContent:
    """`message` is v1's `Message` or v2's `Content.Simple`: `Subject{Data,Charset}`, `Body{Text,Html}`."""
    destination = params.get("Destination") or {}
    body = message.get("Body") or {}
    text, html = body.get("Text") or {}, body.get("Html") or {}
    return SimpleContent(
        source=source,
        to=destination.get("ToAddresses", []),
        cc=destination.get("CcAddresses", []),
        bcc=destination.get("BccAddresses", []),
        reply_to=params.get("ReplyToAddresses", []),
        subject=message["Subject"]["Data"],
        subject_charset=message["Subject"].get("Charset"),
        text=text.get("Data"),
        text_charset=text.get("Charset"),
        html=html.get("Data"),
        html_charset=html.get("Charset"),
        headers=headers,
        attachments=attachments,
        return_path=return_path,
    )
