"""DKIM-sign outgoing messages with dkimpy (RFC 6376): relaxed/relaxed, rsa-sha256.

A message is signed once; the returned ``DKIM-Signature`` header is prepended unchanged to the copy
sent to every recipient (the envelope differs per recipient, the signed headers and body do not).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import dkim  # type: ignore[import-untyped]

from postwarden.dkim.keys import DkimError

__all__ = ["OVERSIGNED_HEADERS", "SIGNED_HEADERS", "DkimSigner", "DkimSigningError", "prepend"]

#: Signed when present, each instance once (RFC 6376 §5.4.1). List-Unsubscribe-Post must be signed
#: for one-click unsubscribe (RFC 8058 §4).
SIGNED_HEADERS = (
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "reply-to",
    "list-unsubscribe",
    "list-unsubscribe-post",
)
#: Signed once more than they occur, so that adding another instance breaks the signature.
OVERSIGNED_HEADERS = ("from",)

_CANONICALIZATION = (b"relaxed", b"relaxed")
_DNS_NAME = re.compile(rb"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")


class DkimSigningError(DkimError):
    """The message or the signing parameters cannot be signed (bad key, no From, unparsable header)."""


class DkimSigner:
    """Signs messages; holds only the header policy, so one instance serves every domain and key."""

    def __init__(
        self,
        *,
        signed_headers: Iterable[str] = SIGNED_HEADERS,
        oversigned_headers: Iterable[str] = OVERSIGNED_HEADERS,
    ) -> None:
        self._signed = frozenset(name.lower().encode("ascii") for name in signed_headers)
        self._oversigned = tuple(name.lower().encode("ascii") for name in oversigned_headers)
        if b"from" not in self._signed:
            raise ValueError("From must be signed (RFC 6376 §5.4)")

    def sign(self, message: bytes, *, domain: str, selector: str, private_pem: bytes) -> bytes:
        """The ``DKIM-Signature: ...\\r\\n`` header field (folded, CRLF) to put in front of *message*.

        *private_pem* is a PKCS#1 or PKCS#8 PEM RSA key, as produced by :mod:`postwarden.dkim.keys`.
        """
        try:
            signer = dkim.DKIM(message, linesep=b"\r\n")
            names = [bytes(name).lower() for name, _value in signer.headers]
            if b"from" not in names:
                raise DkimSigningError("The message has no From header field to sign.")
            header: bytes = signer.sign(
                _ascii_label(selector, "selector"),
                _ascii_label(domain, "domain"),
                private_pem,
                canonicalize=_CANONICALIZATION,
                include_headers=self._include_headers(names),
            )
        except dkim.DKIMException as exc:
            raise DkimSigningError(f"DKIM signing failed: {exc}") from exc
        except IndexError as exc:  # dkimpy's parser on a message that opens with a continuation line
            raise DkimSigningError("DKIM signing failed: the message header is malformed.") from exc
        return header

    @staticmethod
    def prepend(message: bytes, header: bytes) -> bytes:
        """Same as the module-level :func:`prepend`."""
        return prepend(message, header)

    def _include_headers(self, present: list[bytes]) -> list[bytes]:
        # dkimpy signs one instance per listed name, from the bottom up; a name listed more often than
        # it occurs signs the absent instance too (oversigning, RFC 6376 §5.4.2).
        include = [name for name in present if name in self._signed]
        return include + [name for name in self._oversigned if name in self._signed]


def prepend(message: bytes, header: bytes) -> bytes:
    """*message* with the signature *header* (ending in CRLF) in front of its first header field."""
    if not header.endswith(b"\r\n"):
        header += b"\r\n"
    return header + message


def _ascii_label(value: str, what: str) -> bytes:
    """*value* as the A-label form a DKIM tag holds (``d=`` and ``s=`` are dot-separated DNS labels)."""
    try:
        encoded = value.rstrip(".").encode("idna")
    except UnicodeError:
        encoded = b""
    if not _DNS_NAME.fullmatch(encoded):
        raise DkimSigningError(f"The DKIM {what} {value!r} is not a valid DNS name.")
    return encoded
