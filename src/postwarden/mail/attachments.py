"""The SES v2 ``Attachment`` and its rendering as a MIME body part."""

from __future__ import annotations

import re
from dataclasses import dataclass

from postwarden.mail.bodies import encode_attachment, guess_content_type
from postwarden.mail.errors import InvalidContentError
from postwarden.mail.headers import param_header, unstructured_header

__all__ = ["DISPOSITIONS", "TRANSFER_ENCODINGS", "Attachment", "Part", "render_attachment"]

DISPOSITIONS = frozenset({"ATTACHMENT", "INLINE"})
TRANSFER_ENCODINGS = frozenset({"BASE64", "QUOTED_PRINTABLE", "SEVEN_BIT"})

_MEDIA_TYPE = re.compile(
    r"([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*)/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*[ \t]*(;[ -~]*)?"
)
_CONTENT_ID = re.compile(r"[!-;=?-~]+")

# A rendered body part: header lines (each ending in CRLF, without the blank line) and body chunks.
Part = tuple[str, list[bytes]]


@dataclass(frozen=True, slots=True)
class Attachment:
    """One entry of ``Simple.Attachments`` (SES v2), with the SES member names in snake case.

    ``content_disposition`` is ``ATTACHMENT`` (default) or ``INLINE``; ``content_transfer_encoding`` is
    ``BASE64``, ``QUOTED_PRINTABLE``, ``SEVEN_BIT`` or None (7bit when the octets allow it, else base64);
    ``content_type`` defaults to a guess from the file extension.
    """

    raw_content: bytes
    file_name: str
    content_disposition: str = "ATTACHMENT"
    content_type: str | None = None
    content_id: str | None = None
    content_transfer_encoding: str | None = None
    content_description: str | None = None

    @property
    def is_inline(self) -> bool:
        return self.content_disposition.upper() == "INLINE"


def _no_crlf(what: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise InvalidContentError(f"Attachment {what} must not contain CR or LF characters")


def render_attachment(attachment: Attachment) -> Part:
    """Render an attachment as a body part. Raises :class:`InvalidContentError`."""
    file_name = attachment.file_name
    _no_crlf("FileName", file_name)
    disposition = attachment.content_disposition.upper()
    if disposition not in DISPOSITIONS:
        raise InvalidContentError(f"Invalid ContentDisposition: {attachment.content_disposition}")
    encoding = attachment.content_transfer_encoding
    if encoding is not None:
        encoding = encoding.upper()
        if encoding not in TRANSFER_ENCODINGS:
            raise InvalidContentError(f"Invalid ContentTransferEncoding: {encoding}")
    content_type = attachment.content_type or guess_content_type(file_name)
    _no_crlf("ContentType", content_type)
    match = _MEDIA_TYPE.fullmatch(content_type.strip())
    if match is None:
        raise InvalidContentError(f"Invalid ContentType: {content_type}")
    major = match.group(1).lower()
    if major in ("multipart", "message"):
        raise InvalidContentError(f"Unsupported ContentType for an attachment: {content_type}")

    body, cte = encode_attachment(attachment.raw_content, encoding, major == "text")
    name_params = [("name", file_name)] if file_name else []
    lines = [
        param_header("Content-Type", content_type.strip(), name_params),
        param_header(
            "Content-Disposition",
            disposition.lower(),
            [("filename", file_name)] if file_name else [],
        ),
        f"Content-Transfer-Encoding: {cte}\r\n",
    ]
    if attachment.content_id is not None:
        _no_crlf("ContentId", attachment.content_id)
        content_id = attachment.content_id.strip()
        if content_id.startswith("<") and content_id.endswith(">"):
            content_id = content_id[1:-1]
        if not _CONTENT_ID.fullmatch(content_id):
            raise InvalidContentError(f"Invalid ContentId: {attachment.content_id}")
        lines.append(f"Content-ID: <{content_id}>\r\n")
    if attachment.content_description:
        _no_crlf("ContentDescription", attachment.content_description)
        lines.append(unstructured_header("Content-Description", attachment.content_description))
    return "".join(lines), [body]
