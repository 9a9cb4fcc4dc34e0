"""Pure, fast message building and raw-message handling for the sending path.

No I/O. Messages are written directly as bytes; see :mod:`postwarden.mail.build` and
:mod:`postwarden.mail.raw`.
"""

from __future__ import annotations

from postwarden.mail.addresses import Address, parse_address, parse_address_list
from postwarden.mail.attachments import Attachment
from postwarden.mail.build import build_simple_message, format_message_id
from postwarden.mail.errors import (
    InvalidAddressError,
    InvalidContentError,
    InvalidHeaderError,
    InvalidRawMessageError,
    MailError,
)
from postwarden.mail.headers import format_date
from postwarden.mail.raw import (
    MAX_MESSAGE_BYTES_V1,
    MAX_MESSAGE_BYTES_V2,
    SES_OVERWRITTEN_HEADERS,
    SES_REMOVED_HEADERS,
    RawMessageInfo,
    inspect_raw_message,
    message_size,
    rewrite_headers,
)

__all__ = [
    "MAX_MESSAGE_BYTES_V1",
    "MAX_MESSAGE_BYTES_V2",
    "SES_OVERWRITTEN_HEADERS",
    "SES_REMOVED_HEADERS",
    "Address",
    "Attachment",
    "InvalidAddressError",
    "InvalidContentError",
    "InvalidHeaderError",
    "InvalidRawMessageError",
    "MailError",
    "RawMessageInfo",
    "build_simple_message",
    "format_date",
    "format_message_id",
    "inspect_raw_message",
    "message_size",
    "parse_address",
    "parse_address_list",
    "rewrite_headers",
]
