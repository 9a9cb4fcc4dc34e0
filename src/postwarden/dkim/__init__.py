"""DKIM for outgoing mail: RSA keys and their DNS records, and message signing."""

from __future__ import annotations

from postwarden.dkim.keys import (
    DkimError,
    DkimKeyPair,
    InvalidDkimKeyError,
    dns_txt_value,
    generate_key,
    key_from_private_pem,
    txt_strings,
)
from postwarden.dkim.signing import DkimSigner, DkimSigningError, prepend

__all__ = [
    "DkimError",
    "DkimKeyPair",
    "DkimSigner",
    "DkimSigningError",
    "InvalidDkimKeyError",
    "dns_txt_value",
    "generate_key",
    "key_from_private_pem",
    "prepend",
    "txt_strings",
]
