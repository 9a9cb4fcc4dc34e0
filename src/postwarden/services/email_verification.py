"""Verifying an email-address identity the way SES does: a message with a link, valid for 24 hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from postwarden.domain.addresses import EmailAddress
from postwarden.mail import build_simple_message
from postwarden.ports import Clock
from postwarden.services.identities import IdentityService
from postwarden.services.links import LinkClaims, LinkSigner
from postwarden.services.send import OutgoingMessage, SendService

LINK_LIFETIME_SECONDS = 24 * 3600
VERIFY_PATH = "/verify-email"


@dataclass(frozen=True, slots=True)
class ServiceMail:
    account_id: str
    region: str
    message_id: str
    sender: str
    recipient: str
    content: bytes


@dataclass(frozen=True, slots=True)
class VerificationMailSettings:
    sender: str
    public_url: str
    hostname: str


class EmailVerification:
    def __init__(
        self,
        sender: SendService,
        identities: IdentityService,
        links: LinkSigner,
        clock: Clock,
        settings: VerificationMailSettings,
    ) -> None:
        self._sender = sender
        self._identities = identities
        self._links = links
        self._clock = clock
        self._settings = settings

    def link(self, account_id: str, region: str, address: str) -> str:
        claims = LinkClaims(account_id, region, address, self._clock.now() + LINK_LIFETIME_SECONDS)
        return f"{self._settings.public_url.rstrip('/')}{VERIFY_PATH}?token={self._links.token(claims)}"

    async def send(self, account_id: str, region: str, address: str, caller: str, source_ip: str) -> str:
        """Queue the verification email; returns its message id."""
        message_id = self._sender.new_message_id(region)
        link = self.link(account_id, region, address)
        content = build_simple_message(
            from_address=self._settings.sender,
            to=[address],
            subject=f"Postwarden - Email Address Verification Request in region {region}",
            text=_BODY.format(region=region, link=link),
            message_id=f"<{message_id}@{region}.{self._settings.hostname}>",
            date=datetime.fromtimestamp(self._clock.now(), UTC),
        )
        await self.queue(
            ServiceMail(account_id, region, message_id, self._settings.sender, address, content),
            caller=caller,
            source_ip=source_ip,
            operation="VerifyEmailIdentity",
            subject="Email Address Verification Request",
        )
        return message_id

    async def queue(
        self, mail: ServiceMail, *, caller: str, source_ip: str, operation: str, subject: str
    ) -> None:
        """Queue a one-recipient message Postwarden sends on the account's behalf (no policy, no quota)."""
        source = EmailAddress.of(mail.sender)
        await self._sender.enqueue_service_message(
            OutgoingMessage(
                account_id=mail.account_id,
                region=mail.region,
                message_id=mail.message_id,
                source=source,
                senders=(source,),
                recipients=(EmailAddress.of(mail.recipient),),
                content=mail.content,
                caller_identity=caller,
                source_ip=source_ip,
                operation=operation,
                common_headers={"from": [mail.sender], "to": [mail.recipient], "subject": subject},
            )
        )

    def confirm(self, token: str) -> LinkClaims:
        """Verify the identity a followed link names; raises InvalidLinkError for a forged or old link."""
        claims = self._links.verify(token, self._clock.now())
        self._identities.confirm_email(claims.account_id, claims.region, claims.identity)
        return claims


_BODY = """Hello,

We have received a request to authorize this email address for sending with Postwarden in region {region}.
If you requested this verification, go to the following address to confirm that you are authorized to
use this email address:

{link}

The request is not processed unless you confirm the address with this link. The link expires 24 hours
after the verification request.

If you did not request this verification, do not follow the link; nothing will happen.
"""
