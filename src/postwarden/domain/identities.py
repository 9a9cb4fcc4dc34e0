"""Identity verification as the send policy sees it: addresses and domains, with inheritance."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from postwarden.domain.addresses import EmailAddress, parent_domains


class IdentityType(StrEnum):
    EMAIL_ADDRESS = "EMAIL_ADDRESS"
    DOMAIN = "DOMAIN"


class VerificationStatus(StrEnum):
    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    TEMPORARY_FAILURE = "TEMPORARY_FAILURE"
    NOT_STARTED = "NOT_STARTED"


def identity_type_of(identity: str) -> IdentityType:
    return IdentityType.EMAIL_ADDRESS if "@" in identity else IdentityType.DOMAIN


def normalize_identity(identity: str) -> str:
    """Identities are matched without regard to case (domains are case-insensitive by definition)."""
    return identity.strip().lower()


def candidate_identities(address: EmailAddress) -> list[str]:
    """Every identity whose verification covers `address`: itself, its domain and each parent domain."""
    return [normalize_identity(address.addr_spec), *parent_domains(address.domain)]


@dataclass(frozen=True, slots=True)
class VerifiedIdentities:
    """The verified identities of one (account, region) relevant to a send."""

    names: frozenset[str]

    def covers(self, address: EmailAddress) -> bool:
        """SES: "Subdomains and email addresses inherit verification from the parent domain"."""
        return any(name in self.names for name in candidate_identities(address))


@dataclass(frozen=True, slots=True)
class MailFromSetting:
    """A custom MAIL FROM domain configured on an identity, and what to do while it is not verified."""

    domain: str
    status: VerificationStatus
    behavior: str  # USE_DEFAULT_VALUE | REJECT_MESSAGE
