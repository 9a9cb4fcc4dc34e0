"""DKIM RSA keys: generation, bring-your-own validation and the DNS TXT record (RFC 6376 §3.6.1).

Pure functions, no I/O. Private keys leave this module as PKCS#8 PEM with LF line endings, which is
what :mod:`postwarden.dkim.signing` (dkimpy) reads; public keys as base64 DER SubjectPublicKeyInfo,
which is what a DKIM record's ``p=`` tag holds.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = [
    "GENERATED_KEY_SIZES",
    "IMPORTED_KEY_SIZES",
    "DkimError",
    "DkimKeyPair",
    "InvalidDkimKeyError",
    "dns_txt_value",
    "generate_key",
    "key_from_private_pem",
    "load_private_key",
    "txt_strings",
]

GENERATED_KEY_SIZES = (1024, 2048)  # SES's NextSigningKeyLength: RSA_1024_BIT | RSA_2048_BIT
IMPORTED_KEY_SIZES = range(1024, 4097)  # bring-your-own DKIM accepts 1024 to 4096 bits
TXT_STRING_MAX = 255  # a DNS character-string holds at most 255 bytes (RFC 1035 §3.3)


class DkimError(Exception):
    """Base class of the errors raised by :mod:`postwarden.dkim`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidDkimKeyError(DkimError, ValueError):
    """A private key that cannot be used for DKIM: unreadable, not RSA, or of an unsupported size."""


@dataclass(frozen=True, slots=True)
class DkimKeyPair:
    private_pem: bytes  # PKCS#8 PEM, unencrypted
    public_b64: str  # base64 of the DER SubjectPublicKeyInfo (the record's p= tag)
    bits: int

    def __repr__(self) -> str:  # never print the private key
        return f"DkimKeyPair(bits={self.bits}, public_b64={self.public_b64[:16]}...)"


def generate_key(bits: int = 2048) -> DkimKeyPair:
    """A new RSA key pair (public exponent 65537) of 1024 or 2048 bits."""
    if bits not in GENERATED_KEY_SIZES:
        raise ValueError(f"DKIM keys are generated with 1024 or 2048 bits, not {bits}")
    return _key_pair(rsa.generate_private_key(public_exponent=65537, key_size=bits))


def key_from_private_pem(pem: bytes | str) -> DkimKeyPair:
    """Validate a customer's RSA private key and return it normalised to PKCS#8 PEM.

    Accepts PKCS#1 (``BEGIN RSA PRIVATE KEY``) and PKCS#8 (``BEGIN PRIVATE KEY``) PEM, and the bare
    base64 body of either without the armour (SES's ``DomainSigningPrivateKey``). Raises
    :class:`InvalidDkimKeyError` unless it is an unencrypted RSA key of 1024 to 4096 bits.
    """
    return _key_pair(load_private_key(pem))


def load_private_key(pem: bytes | str) -> rsa.RSAPrivateKey:
    """The validated RSA key object; same formats and errors as :func:`key_from_private_pem`."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    data = data.strip()
    if not data:
        raise InvalidDkimKeyError("The DKIM private key is empty.")
    try:
        # The RSA consistency check costs ~40 ms at 2048 bits and grows with the cube of the size: look
        # at the type and size first, so that an oversized key is refused before any expensive work.
        if data.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(data, None, unsafe_skip_rsa_key_validation=True)
        else:
            der = _decode_base64(data)
            key = serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
    except TypeError as exc:  # cryptography's way of saying "this key is encrypted"
        raise InvalidDkimKeyError("The DKIM private key must not be encrypted.") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidDkimKeyError("The DKIM private key is not a valid PEM or base64 DER key.") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidDkimKeyError("The DKIM private key must be an RSA key.")
    if key.key_size not in IMPORTED_KEY_SIZES:
        raise InvalidDkimKeyError(
            f"The DKIM private key has {key.key_size} bits; it must have between 1024 and 4096 bits."
        )
    try:
        key = key.private_numbers().private_key()  # validates p, q, d and the CRT values
    except ValueError as exc:
        raise InvalidDkimKeyError("The DKIM private key is not a consistent RSA key.") from exc
    return key


def dns_txt_value(public_b64: str) -> str:
    """The DKIM key record published at ``<selector>._domainkey.<domain>``."""
    return f"v=DKIM1; k=rsa; p={public_b64}"


def txt_strings(value: str) -> list[str]:
    """Split a TXT value into character-strings of at most 255 bytes (UTF-8), never inside a character.

    Receivers concatenate the strings of one TXT record without separators (RFC 6376 §3.6.2.2).
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for char in value:
        width = len(char.encode("utf-8"))
        if size + width > TXT_STRING_MAX:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current or not chunks:
        chunks.append("".join(current))
    return chunks


def _key_pair(key: rsa.RSAPrivateKey) -> DkimKeyPair:
    private_pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    public_der = key.public_key().public_bytes(
        encoding=serialization.Encoding.DER,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    return DkimKeyPair(private_pem, base64.b64encode(public_der).decode("ascii"), key.key_size)


def _decode_base64(data: bytes) -> bytes:
    compact = b"".join(data.split())
    try:
        return base64.b64decode(compact, validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64") from exc
