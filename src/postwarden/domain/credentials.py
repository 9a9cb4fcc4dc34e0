"""SES SMTP credentials: the password is derived from the secret access key and the region."""

from __future__ import annotations

import base64
import hashlib
import hmac

_VERSION = b"\x04"


def _sign(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def smtp_password(secret_access_key: str, region: str) -> str:
    """SES's SigV4-style derivation: the region is part of it, so the password names the region."""
    key = _sign(("AWS4" + secret_access_key).encode(), "11111111")
    for part in (region, "ses", "aws4_request", "SendRawEmail"):
        key = _sign(key, part)
    return base64.b64encode(_VERSION + key).decode()
