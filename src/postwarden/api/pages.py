"""The few pages people open in a browser rather than through an SDK."""

from __future__ import annotations

import asyncio
import html
from urllib.parse import parse_qs

from postwarden.services.email_verification import EmailVerification
from postwarden.services.identities import IdentityNotFoundError
from postwarden.services.links import InvalidLinkError


class VerificationPage:
    def __init__(self, verification: EmailVerification) -> None:
        self._verification = verification

    async def handle(self, query: str) -> tuple[int, str]:
        token = (parse_qs(query).get("token") or [""])[0]
        try:
            claims = await asyncio.to_thread(self._verification.confirm, token)
        except InvalidLinkError as error:
            return 400, _page("Verification failed", str(error))
        except IdentityNotFoundError:
            return 404, _page("Verification failed", "This address is no longer an identity of the account.")
        return 200, _page(
            "Email address verified",
            f"{claims.identity} can now be used with Postwarden in region {claims.region}.",
        )


def _page(title: str, text: str) -> str:
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></html>"
    )
