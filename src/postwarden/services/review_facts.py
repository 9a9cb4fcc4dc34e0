"""Gathering what the production access pre-review looks at (`ReviewFacts`): the region's domain
identities with their DKIM state and their SPF and DMARC as published in DNS, where bounce and complaint
notifications go, the account suppression list, List-Unsubscribe in recent mail, the sandbox's bounce and
complaint rates and, when the operator enables it, whether the website answers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from postwarden.authcheck import DnsLookup, assess
from postwarden.domain.events import EventType
from postwarden.domain.identities import IdentityType, VerificationStatus
from postwarden.domain.review import DomainFacts, FeedbackDestination, ReviewFacts, SandboxHistory
from postwarden.domain.review_request_checks import parse_website_url
from postwarden.ports import Clock, Identity, Store, Transaction
from postwarden.ports.reviews import WebsiteProbe
from postwarden.services.recommendations import RecommendationSettings

SERVICE_OPERATIONS = frozenset(
    {"VerifyEmailIdentity", "SendCustomVerificationEmail", "ProductionAccessReview"}
)
"""Mail Postwarden sends on the account's behalf: not the account's own sending."""
_LIST_UNSUBSCRIBE = re.compile(rb"^list-unsubscribe[ \t]*:", re.IGNORECASE | re.MULTILINE)
_FEEDBACK = frozenset({EventType.BOUNCE, EventType.COMPLAINT})


@dataclass(frozen=True, slots=True)
class FactSettings:
    dns: RecommendationSettings
    history_days: int = 14
    """How far back the sandbox history and the recent-mail look go."""
    recent_messages: int = 200
    check_website: bool = False


@dataclass(frozen=True, slots=True)
class _StoredFacts:
    domains: tuple[Identity, ...]
    facts: ReviewFacts
    """Everything but the domains' DNS findings and the website check."""


class ReviewFactGatherer:
    def __init__(
        self, store: Store, lookup: DnsLookup, probe: WebsiteProbe, clock: Clock, settings: FactSettings
    ) -> None:
        self._store = store
        self._lookup = lookup
        self._probe = probe
        self._clock = clock
        self._settings = settings

    async def gather(self, account_id: str, region: str, website_url: str) -> ReviewFacts:
        """Raises DnsTemporaryError when DNS does not answer (the pre-review cannot be completed)."""
        stored = await asyncio.to_thread(self._stored, account_id, region)
        domains = await asyncio.gather(*(self._domain(identity) for identity in stored.domains))
        reachable, detail = None, ""
        if self._settings.check_website and not isinstance(parse_website_url(website_url), str):
            reachable, detail = await self._probe.check(website_url)
        return replace(
            stored.facts, domains=tuple(domains), website_reachable=reachable, website_check_detail=detail
        )

    def _stored(self, account_id: str, region: str) -> _StoredFacts:
        since = self._clock.now() - self._settings.history_days * 86_400
        with self._store.read() as tx:
            identities = tx.identities.for_account(account_id, region)
            domains = tuple(i for i in identities if i.identity_type is IdentityType.DOMAIN)
            destinations = self._destinations(tx, account_id, region, [i.name for i in identities])
            heads = tx.reviews.recent_headers(
                account_id, region, since, self._settings.recent_messages, SERVICE_OPERATIONS
            )
            activity = tx.events.activity(account_id, region, since, 86_400)
            reasons = tx.suppression.reasons(account_id, region)
        sent = sum(bucket.delivery_attempts for bucket in activity)
        bounces = sum(bucket.bounces for bucket in activity)
        complaints = sum(bucket.complaints for bucket in activity)
        facts = ReviewFacts(
            domains=(),
            feedback_destinations=destinations,
            suppressed_reasons=reasons,
            recent_messages=len(heads),
            recent_messages_with_list_unsubscribe=sum(
                1 for h in heads if _LIST_UNSUBSCRIBE.search(_header(h))
            ),
            sandbox=SandboxHistory(sent, bounces / sent if sent else 0.0, complaints / sent if sent else 0.0),
            content_flags=0,  # no content checks exist yet
        )
        return _StoredFacts(domains, facts)

    def _destinations(
        self, tx: Transaction, account_id: str, region: str, identities: Sequence[str]
    ) -> tuple[FeedbackDestination, ...]:
        """Enabled event destinations and identity notification topics that carry bounces or complaints."""
        routes: list[tuple[str, str, frozenset[EventType]]] = []  # (name, topic arn, event types)
        for config in tx.configuration_sets.for_account(account_id, region):
            for destination in tx.event_destinations.for_set(account_id, region, config.name):
                kinds = destination.matching_event_types & _FEEDBACK
                if destination.enabled and kinds:
                    name = f"configuration set {config.name}, event destination {destination.name}"
                    routes.append((name, destination.topic_arn, frozenset(kinds)))
        topics = tx.event_destinations.identity_topics(account_id, region, identities)
        for identity, settings in sorted(topics.items()):
            by_topic: dict[str, set[EventType]] = {}
            for kind, arn in settings.topics.items():
                if kind in _FEEDBACK:
                    by_topic.setdefault(arn, set()).add(kind)
            for arn, topic_kinds in sorted(by_topic.items()):
                routes.append((f"identity {identity} notifications", arn, frozenset(topic_kinds)))
        confirmed = tx.topics.confirmed(arn for _, arn, _ in routes)
        reachability = tx.reviews.subscription_reachability(
            s.arn for subscriptions in confirmed.values() for s in subscriptions
        )
        found = []
        for name, arn, kinds in routes:
            subscriptions = confirmed.get(arn, [])
            endpoints = ", ".join(s.endpoint for s in subscriptions) or "no confirmed subscription"
            found.append(
                FeedbackDestination(
                    name=f"{name} → topic {arn.rsplit(':', 1)[-1]} ({endpoints})",
                    covers_bounce=EventType.BOUNCE in kinds,
                    covers_complaint=EventType.COMPLAINT in kinds,
                    subscription_confirmed=bool(subscriptions),
                    reachable=any(reachability.get(s.arn, True) for s in subscriptions),
                )
            )
        return tuple(found)

    async def _domain(self, identity: Identity) -> DomainFacts:
        facts = DomainFacts(
            domain=identity.name,
            verification_status=identity.verification_status,
            dkim_status=identity.dkim_status,
            dkim_signing_enabled=identity.dkim_signing_enabled,
            spf_published=False,
            spf_aligned=False,
            dmarc_published=False,
            dmarc_aligned=False,
        )
        if identity.verification_status is not VerificationStatus.SUCCESS:
            return facts  # the checks look only at verified domains
        dns = self._settings.dns
        mail_from = dns.default_mail_from
        if identity.mail_from_domain and identity.mail_from_status is VerificationStatus.SUCCESS:
            mail_from = identity.mail_from_domain
        assessment = await assess(
            identity.name,
            sending_ips=dns.sending_ips,
            mail_from_domain=mail_from,
            dkim_domain=identity.name if identity.dkim_signing_enabled else None,
            dkim_verified=identity.dkim_status is VerificationStatus.SUCCESS,
            lookup=self._lookup,
            dkim_cnames=_dkim_cnames(identity, dns.dkim_zone),
            spf_include=dns.spf_include,
        )
        return replace(
            facts,
            spf_published=assessment.spf.passes,
            spf_aligned=assessment.evaluation.spf_aligned,
            dmarc_published=assessment.dmarc.record is not None,
            dmarc_aligned=assessment.evaluation.passes,
            dmarc_policy=assessment.dmarc.policy,
        )


def _dkim_cnames(identity: Identity, zone: str) -> Sequence[tuple[str, str]]:
    return [(f"{token}._domainkey.{identity.name}", f"{token}.{zone}") for token in identity.dkim_tokens]


def _header(head: bytes) -> bytes:
    """The header section of the start of a message."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = head.find(separator)
        if end >= 0:
            return head[:end]
    return head
