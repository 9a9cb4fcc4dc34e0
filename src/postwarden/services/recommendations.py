"""Virtual Deliverability Manager style recommendations: for each domain identity, what DKIM, SPF and
DMARC records are missing or wrong, with the exact record to publish (evaluated live from DNS)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from postwarden.authcheck import DnsLookup, DnsTemporaryError, Recommendation, recommendations
from postwarden.domain.identities import IdentityType, VerificationStatus
from postwarden.ports import Clock, Identity
from postwarden.services.identities import IdentityService


@dataclass(frozen=True, slots=True)
class RecommendationSettings:
    dkim_zone: str
    default_mail_from: str
    sending_ips: tuple[str, ...]
    spf_include: str | None


@dataclass(frozen=True, slots=True)
class IdentityRecommendation:
    identity: Identity
    recommendation: Recommendation
    evaluated_at: float


class RecommendationService:
    def __init__(
        self, identities: IdentityService, lookup: DnsLookup, clock: Clock, settings: RecommendationSettings
    ) -> None:
        self._identities = identities
        self._lookup = lookup
        self._clock = clock
        self._settings = settings

    async def for_account(self, account_id: str, region: str) -> list[IdentityRecommendation]:
        domains = await asyncio.to_thread(self._identities.list, account_id, region, IdentityType.DOMAIN)
        found = await asyncio.gather(*(self._for_identity(identity) for identity in domains))
        return [item for items in found for item in items]

    async def _for_identity(self, identity: Identity) -> Sequence[IdentityRecommendation]:
        mail_from = (
            identity.mail_from_domain
            if identity.mail_from_domain and identity.mail_from_status is VerificationStatus.SUCCESS
            else self._settings.default_mail_from
        )
        try:
            found = await recommendations(
                identity.name,
                sending_ips=self._settings.sending_ips,
                mail_from_domain=mail_from,
                dkim_domain=identity.name if identity.dkim_signing_enabled else None,
                dkim_verified=identity.dkim_status is VerificationStatus.SUCCESS,
                lookup=self._lookup,
                dkim_cnames=[
                    (f"{token}._domainkey.{identity.name}", f"{token}.{self._settings.dkim_zone}")
                    for token in identity.dkim_tokens
                ],
                spf_include=self._settings.spf_include,
            )
        except DnsTemporaryError:
            return []  # DNS is not answering now; nothing can be said until it does
        now = self._clock.now()
        return [IdentityRecommendation(identity, item, now) for item in found]
