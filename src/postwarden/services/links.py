"""Signed, expiring links (email-address verification): the server can trust what comes back in a URL
without storing the link, and a forged or edited link fails the signature check."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass


class InvalidLinkError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class LinkClaims:
    account_id: str
    region: str
    identity: str
    expires_at: float


class LinkSigner:
    def __init__(self, secret: bytes, purpose: str) -> None:
        self._key = hashlib.sha256(purpose.encode() + b"\0" + secret).digest()

    def token(self, claims: LinkClaims) -> str:
        payload = _b64(
            json.dumps(
                {
                    "a": claims.account_id,
                    "r": claims.region,
                    "i": claims.identity,
                    "e": int(claims.expires_at),
                },
                separators=(",", ":"),
            ).encode()
        )
        return f"{payload}.{self._mac(payload)}"

    def verify(self, token: str, now: float) -> LinkClaims:
        payload, _, mac = token.partition(".")
        if not payload or not hmac.compare_digest(mac, self._mac(payload)):
            raise InvalidLinkError("This link is not valid.")
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            claims = LinkClaims(str(data["a"]), str(data["r"]), str(data["i"]), float(data["e"]))
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidLinkError("This link is not valid.") from error
        if now > claims.expires_at:
            raise InvalidLinkError("This link has expired. Request a new verification email.")
        return claims

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
