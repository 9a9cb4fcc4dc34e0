"""DKIM-sign outgoing messages (RFC 6376): relaxed/relaxed, rsa-sha256.

A message is signed once; the returned ``DKIM-Signature`` header is prepended unchanged to the copy
sent to every recipient (the envelope differs per recipient, the signed headers and body do not).

dkimpy does the DKIM work: parsing the message, canonicalization, choosing and hashing the signed
header fields, and folding the signature header, exactly as its ``DKIM.sign`` does. Only the RSA
operation is OpenSSL's (through ``cryptography``) instead of dkimpy's pure-Python ``pow``: that is
about 85% of dkimpy's signing time and over 20 times slower at 2048 bits (see ``benchmarks/dkim_sign.py``).
RSASSA-PKCS1-v1_5 is deterministic, so the header is byte for byte the one ``dkim.sign`` returns
(``tests/unit/test_dkim_signing.py`` checks that).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import time
from collections.abc import Callable, Iterable

import dkim  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from dkim.canonicalization import CanonicalizationPolicy  # type: ignore[import-untyped]

from postwarden.dkim.keys import DkimError, InvalidDkimKeyError, load_private_key

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

_HEADER = b"DKIM-Signature"
_CANONICALIZATION = b"relaxed/relaxed"
_POLICY = CanonicalizationPolicy.from_c_value(_CANONICALIZATION)
_DNS_NAME = re.compile(rb"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")


class DkimSigningError(DkimError):
    """The message or the signing parameters cannot be signed (bad key, no From, unparsable header)."""


class DkimSigner:
    """Signs messages. Holds the header policy and a cache of loaded keys; one instance serves all domains.

    Loading and validating a key costs ~40 ms at 2048 bits, so the last *key_cache_size* keys are kept.
    """

    def __init__(
        self,
        *,
        signed_headers: Iterable[str] = SIGNED_HEADERS,
        oversigned_headers: Iterable[str] = OVERSIGNED_HEADERS,
        key_cache_size: int = 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signed = frozenset(name.lower().encode("ascii") for name in signed_headers)
        self._oversigned = tuple(name.lower().encode("ascii") for name in oversigned_headers)
        if b"from" not in self._signed:
            raise ValueError("From must be signed (RFC 6376 §5.4)")
        forbidden = self._signed & {name.lower() for name in dkim.DKIM.SHOULD_NOT}
        if forbidden:
            raise ValueError(f"these header fields must not be signed: {sorted(forbidden)}")
        self._clock = clock
        self._load_key: Callable[[bytes], rsa.RSAPrivateKey] = functools.lru_cache(maxsize=key_cache_size)(
            load_private_key
        )

    def sign(self, message: bytes, *, domain: str, selector: str, private_pem: bytes) -> bytes:
        """The ``DKIM-Signature: ...\\r\\n`` header field (folded, CRLF) to put in front of *message*.

        *private_pem*: an RSA key as PKCS#1 or PKCS#8 PEM (or bare base64), see :mod:`postwarden.dkim.keys`.
        """
        d, s = _dns_name(domain, "domain"), _dns_name(selector, "selector")
        try:
            key = self._load_key(private_pem)
        except InvalidDkimKeyError as exc:
            raise DkimSigningError(f"DKIM signing failed: {exc}") from exc
        try:
            parsed = dkim.DKIM(message, linesep=b"\r\n")
        except dkim.DKIMException as exc:
            raise DkimSigningError(f"DKIM signing failed: {exc}") from exc
        except IndexError as exc:  # dkimpy's parser on a message that opens with a continuation line
            raise DkimSigningError("DKIM signing failed: the message header is malformed.") from exc
        present = [bytes(name).lower() for name, _value in parsed.headers]
        if b"from" not in present:
            raise DkimSigningError("The message has no From header field to sign.")
        include = self._include_headers(present)
        body_hash = hashlib.sha256(_POLICY.canonicalize_body(parsed.body)).digest()
        fields = [
            (b"v", b"1"),
            (b"a", b"rsa-sha256"),
            (b"c", _CANONICALIZATION),
            (b"d", d),
            (b"i", b"@" + d),
            (b"q", b"dns/txt"),
            (b"s", s),
            (b"t", str(int(self._clock())).encode("ascii")),
            (b"h", b" : ".join(include)),
            (b"bh", base64.b64encode(body_hash)),
            (b"b", b"0" * 60),  # a placeholder that makes b= fold onto its own line, as dkimpy does
        ]
        # What the verifier hashes: this header with an empty b= value, after the signed header fields.
        unsigned = dkim.RE_BTAG.sub(rb"\1", dkim.fold(_tag_list(fields), namelen=len(_HEADER)))
        hasher = hashlib.sha256()
        headers = _POLICY.canonicalize_headers(parsed.headers)
        dkim.hash_headers(hasher, _POLICY, headers, include, (_HEADER, b" " + unsigned), dict(fields))
        signature = key.sign(hasher.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        fields[-1] = (b"b", base64.b64encode(signature))
        folded: bytes = dkim.fold(_tag_list(fields) + b"\r\n", namelen=len(_HEADER))
        return _HEADER + b": " + folded

    @staticmethod
    def prepend(message: bytes, header: bytes) -> bytes:
        """Same as the module-level :func:`prepend`."""
        return prepend(message, header)

    def _include_headers(self, present: list[bytes]) -> tuple[bytes, ...]:
        # One entry per instance, which dkimpy signs from the bottom up; a name listed more often than
        # it occurs also signs the absent instance (oversigning, RFC 6376 §5.4.2).
        include = [name for name in present if name in self._signed]
        return (*include, *(name for name in self._oversigned if name in self._signed))


def prepend(message: bytes, header: bytes) -> bytes:
    """*message* with the signature *header* (ending in CRLF) in front of its first header field."""
    if not header.endswith(b"\r\n"):
        header += b"\r\n"
    return header + message


def _tag_list(fields: list[tuple[bytes, bytes]]) -> bytes:
    return b"; ".join(b"=".join(field) for field in fields)


def _dns_name(value: str, what: str) -> bytes:
    """*value* as the A-label form a DKIM tag holds (``d=`` and ``s=`` are dot-separated DNS labels)."""
    try:
        encoded = value.rstrip(".").encode("idna")
    except UnicodeError:
        encoded = b""
    if not _DNS_NAME.fullmatch(encoded):
        raise DkimSigningError(f"The DKIM {what} {value!r} is not a valid DNS name.")
    return encoded
