"""Exceptions raised by :mod:`postwarden.mail`.

Every error carries a human-readable ``message``. Where Amazon SES is known to return a specific text
for the same fault (SES parses addresses with JavaMail, so its address errors are JavaMail's texts),
that exact text is used, so the API layers can pass it through unchanged as ``InvalidParameterValue``
(v1) or ``BadRequestException`` (v2).
"""

from __future__ import annotations

__all__ = [
    "InvalidAddressError",
    "InvalidContentError",
    "InvalidHeaderError",
    "InvalidRawMessageError",
    "MailError",
]


class MailError(ValueError):
    """Base class of every error raised by the mail package."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidAddressError(MailError):
    """An email address or address list cannot be parsed or is not acceptable to SES."""


class InvalidHeaderError(MailError):
    """A header name or value is malformed, unsafe (CR/LF) or not allowed."""


class InvalidContentError(MailError):
    """A body, charset or attachment cannot be encoded into a message."""


class InvalidRawMessageError(MailError):
    """A raw (caller-built) message is not acceptable."""
