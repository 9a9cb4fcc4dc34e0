"""Which domain the envelope sender (Return-Path) uses: the identity's custom MAIL FROM domain once its
MX and SPF records check out; until then the default bounce domain, or a refusal if the identity says so."""

from __future__ import annotations

from collections.abc import Mapping

from postwarden.domain.addresses import EmailAddress
from postwarden.domain.decision import Decision, Rule
from postwarden.domain.identities import MailFromSetting, VerificationStatus, candidate_identities

NOT_VERIFIED = "Mail FROM domain is not verified"


def choose(
    source: EmailAddress, settings: Mapping[str, MailFromSetting], default_domain: str
) -> tuple[Decision, str]:
    """The decision and the envelope domain for a message from `source`. The most specific identity
    covering the sender (the address, then its domain, then parents) with a MAIL FROM setting wins."""
    setting = next((settings[n] for n in candidate_identities(source) if n in settings), None)
    if setting is None or setting.status is VerificationStatus.SUCCESS:
        return Decision.allow(), setting.domain if setting else default_domain
    if setting.behavior == "REJECT_MESSAGE":
        explanation = (
            f"the custom MAIL FROM domain {setting.domain} is {setting.status.value}: its MX and SPF records "
            "have not been found, and the identity is set to reject mail until they are "
            "(BehaviorOnMxFailure REJECT_MESSAGE)"
        )
        return Decision.refuse(Rule.MAIL_FROM_NOT_VERIFIED, NOT_VERIFIED, explanation), default_domain
    return Decision.allow(), default_domain
