"""What the automated pre-review of a production access request looks at, gathered beforehand by the
service layer (identities, DNS findings, event destinations, counters), and the criteria it applies."""

from __future__ import annotations

from dataclasses import dataclass, field

from postwarden.domain.identities import VerificationStatus
from postwarden.domain.model import SendingLimits
from postwarden.domain.suppression import SuppressionReason


@dataclass(frozen=True, slots=True)
class DomainFacts:
    """One domain identity of the account in the region, with its DKIM, SPF and DMARC findings."""

    domain: str
    verification_status: VerificationStatus
    dkim_status: VerificationStatus
    dkim_signing_enabled: bool
    spf_published: bool
    """An SPF record that authorizes this server exists for the domain's MAIL FROM domain."""
    spf_aligned: bool
    """The MAIL FROM domain is the domain or under it (a custom MAIL FROM), so SPF counts for DMARC."""
    dmarc_published: bool
    dmarc_aligned: bool
    """Mail from the domain passes DMARC: DKIM or SPF is aligned with it."""
    dmarc_policy: str | None = None
    """The published `p=`: none, quarantine or reject; None without a usable record."""

    @property
    def verified(self) -> bool:
        return self.verification_status is VerificationStatus.SUCCESS


@dataclass(frozen=True, slots=True)
class FeedbackDestination:
    """Where bounce and complaint notifications go: a configuration set's event destination or an
    identity's notification topic."""

    name: str
    """Shown as evidence, e.g. "configuration set news → https://hooks.example.net/ses"."""
    covers_bounce: bool
    covers_complaint: bool
    subscription_confirmed: bool
    reachable: bool
    """The endpoint acknowledged the last delivery (or the subscription confirmation)."""

    @property
    def working(self) -> bool:
        return self.subscription_confirmed and self.reachable


@dataclass(frozen=True, slots=True)
class SandboxHistory:
    """Reputation of the mail sent from the sandbox, with the thresholds of the reputation policy
    (fractions: 0.05 is 5 %)."""

    eligible_messages: int
    bounce_rate: float
    complaint_rate: float
    bounce_review_threshold: float = 0.05
    complaint_review_threshold: float = 0.001
    bounce_pause_threshold: float = 0.10
    complaint_pause_threshold: float = 0.005


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    """Everything the checklist needs besides the request's own details (mail type, website, use case)."""

    domains: tuple[DomainFacts, ...]
    feedback_destinations: tuple[FeedbackDestination, ...]
    suppressed_reasons: frozenset[SuppressionReason]
    """The account-level suppression list's reasons; empty when it is off."""
    recent_messages: int
    """Messages sent recently (the window is the service's choice) that the unsubscribe check looks at."""
    recent_messages_with_list_unsubscribe: int
    sandbox: SandboxHistory
    content_flags: int
    """Messages the content checks flagged."""
    website_reachable: bool | None = None
    """None when the operator has not enabled the website check."""
    website_check_detail: str = ""
    """What the check saw, e.g. "HTTP 200 in 0.4 s" or "connection refused"."""


PRODUCTION_DEFAULTS = SendingLimits(max_24_hour_send=50_000, max_send_rate=14.0)


@dataclass(frozen=True, slots=True)
class ReviewCriteria:
    production_defaults: SendingLimits = field(default=PRODUCTION_DEFAULTS)
    """The quota and rate granted when the use case states no larger volume."""
    max_recommended_quota: int = 1_000_000
    """The largest quota the review recommends whatever the use case states."""
    min_use_case_characters: int = 200
    min_use_case_characters_cjk: int = 80
    """For a description written mostly in Japanese (or Chinese) characters."""
    min_sandbox_messages: int = 50
    """Below this many eligible messages the sandbox rates say too little (a WARN, not a verdict)."""
    min_unsubscribe_share: float = 0.9
    """Share of recent marketing mail that must carry List-Unsubscribe."""


DEFAULT_CRITERIA = ReviewCriteria()
