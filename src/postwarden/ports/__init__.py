"""The ports the services need: storage (a unit of work with repositories), delivery transport, clock.

Adapters implement these; services and tests depend only on the Protocols.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from postwarden.domain.configuration_sets import ConfigurationSet
from postwarden.domain.delivery import Outcome
from postwarden.domain.events import EventType, MailSummary
from postwarden.domain.identities import IdentityType, MailFromSetting, VerificationStatus
from postwarden.domain.model import SendingLimits, SendingState
from postwarden.domain.simulator import SimulatorScenario
from postwarden.domain.suppression import SuppressionReason
from postwarden.ports.feedback import FeedbackRepository
from postwarden.ports.import_jobs import ImportJobRepository
from postwarden.ports.metrics import DailyCount, DailyCountQuery
from postwarden.ports.notifications import (
    EventDestinationRepository,
    NotificationRepository,
    TopicRepository,
)
from postwarden.ports.reputation import ReputationRepository
from postwarden.ports.reviews import ReviewRepository


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


# --- records that cross the storage port -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccessKey:
    access_key_id: str
    account_id: str
    secret_ciphertext: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class Identity:
    account_id: str
    region: str
    name: str
    identity_type: IdentityType
    verification_status: VerificationStatus
    created_at: float
    verified_at: float | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    verification_token: str | None = None
    """The legacy v1 domain check: TXT `_amazonses.<domain>` with this value."""
    dkim_tokens: tuple[str, ...] = ()
    dkim_signing_enabled: bool = False
    dkim_status: VerificationStatus = VerificationStatus.NOT_STARTED
    dkim_origin: str = "AWS_SES"
    dkim_key_generated_at: float | None = None
    last_checked_at: float | None = None
    last_success_at: float | None = None
    failing_since: float | None = None
    error_type: str | None = None
    verified_by_operator: bool = False
    mail_from_domain: str | None = None
    mail_from_behavior: str = "USE_DEFAULT_VALUE"
    mail_from_status: VerificationStatus | None = None


@dataclass(frozen=True, slots=True)
class SuppressedDestination:
    account_id: str
    region: str
    email_address: str
    reason: SuppressionReason
    last_update_time: float
    message_id: str | None
    feedback_id: str | None


@dataclass(frozen=True, slots=True)
class DkimKey:
    selector: str
    account_id: str
    region: str
    identity: str
    private_ciphertext: str
    public_key: str
    bits: int
    created_at: float
    signing: bool


@dataclass(frozen=True, slots=True)
class VerificationUpdate:
    """What a DNS check found for one identity."""

    account_id: str
    region: str
    name: str
    status: VerificationStatus
    dkim_status: VerificationStatus
    checked_at: float
    last_success_at: float | None
    failing_since: float | None
    error_type: str | None
    mail_from_status: VerificationStatus | None = None


@dataclass(frozen=True, slots=True)
class NewMessage:
    message_id: str
    account_id: str
    region: str
    created_at: float
    source: str
    envelope_from: str
    destination: Sequence[str]
    content: bytes
    caller_identity: str
    source_ip: str
    operation: str
    configuration_set: str | None
    tags: Mapping[str, Sequence[str]]
    common_headers: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class NewRecipient:
    message_id: str
    account_id: str
    region: str
    address: str
    domain: str
    accepted_at: float
    simulator: SimulatorScenario | None


@dataclass(frozen=True, slots=True)
class NewEvent:
    event_id: str
    account_id: str
    region: str
    message_id: str | None
    recipient: str | None
    event_type: EventType
    created_at: float
    detail: Mapping[str, Any]
    late: bool = False
    """Feedback that arrived after the delivery attempt (a DSN or a complaint report): it never counts
    as a sent message again in the reputation metrics."""
    fanout: bool = True
    """Whether the event pipeline (notifications, reputation) has to look at it; False for events no
    destination or metric can use (a Send of a message without a configuration set, a policy Reject)."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event_id: str
    event_type: EventType
    created_at: float
    recipient: str | None
    message_id: str | None
    detail: Mapping[str, Any]
    mail: MailSummary | None


@dataclass(frozen=True, slots=True)
class ActivityBucket:
    start: float
    delivery_attempts: int
    bounces: int
    complaints: int
    rejects: int


@dataclass(frozen=True, slots=True)
class DueRecipient:
    """A recipient claimed for delivery under a lease (`lease_token`)."""

    recipient_id: int
    lease_token: str
    message_id: str
    account_id: str
    region: str
    address: str
    domain: str
    attempts: int
    accepted_at: float
    simulator: SimulatorScenario | None
    suppressed: bool = False
    """On the account's suppression list: accepted, never delivered, bounced OnAccountSuppressionList."""


@dataclass(frozen=True, slots=True)
class MessageContent:
    envelope_from: str
    """The return-path domain part chosen at accept; the worker makes the per-recipient VERP address."""
    content: bytes
    source: str = ""
    """The Source / From address as the sender gave it (its domain chooses the DKIM key)."""
    configuration_set: str | None = None
    require_tls: bool = False
    """The configuration set's TlsPolicy REQUIRE: deliver only over an encrypted connection."""
    max_delivery_seconds: float | None = None
    """The configuration set's MaxDeliverySeconds, instead of the server's default."""


@dataclass(frozen=True, slots=True)
class AttemptResult:
    recipient: DueRecipient
    outcome: Outcome
    finished_at: float
    next_attempt_at: float | None
    """For a transient failure: when to retry; None when the delivery time is used up (a bounce)."""
    events: Sequence[NewEvent]


# --- repositories ----------------------------------------------------------------------------------------


class AccountRepository(Protocol):
    def add_account(self, account_id: str, created_at: float, name: str) -> None: ...
    def account_exists(self, account_id: str) -> bool: ...
    def list_accounts(self) -> list[dict[str, Any]]: ...
    def add_access_key(self, key: AccessKey, created_at: float) -> None: ...
    def get_access_key(self, access_key_id: str) -> AccessKey | None: ...


class SendingRepository(Protocol):
    def lock_states(
        self, keys: Iterable[tuple[str, str]], sandbox: SendingLimits, now: float
    ) -> dict[tuple[str, str], SendingState]:
        """Load (and lock, where the database can) the sending state of each (account, region),
        creating sandbox state for pairs seen for the first time."""
        ...

    def expired_usage(self, account_id: str, region: str, after: int, through: int) -> int:
        """Recipients counted in the seconds (after, through]."""
        ...

    def save_state(self, state: SendingState) -> None: ...
    def all_states(self) -> list[SendingState]:
        """Every (account, region) sending state, unlocked, as stored (usage not yet expired)."""
        ...

    def add_usage(self, account_id: str, region: str, second: int, count: int) -> None: ...
    def prune_usage(self, before: int) -> int: ...


class IdentityRepository(Protocol):
    def verified_names(self, account_id: str, region: str, names: Iterable[str]) -> frozenset[str]: ...
    def add(self, identity: Identity) -> bool:
        """False when it already exists."""
        ...

    def get(self, account_id: str, region: str, name: str) -> Identity | None: ...
    def for_account(self, account_id: str, region: str) -> list[Identity]: ...
    def delete(self, account_id: str, region: str, name: str) -> bool: ...
    def set_status(
        self, account_id: str, region: str, name: str, status: VerificationStatus, at: float
    ) -> bool: ...
    def set_dkim(
        self,
        account_id: str,
        region: str,
        name: str,
        *,
        signing_enabled: bool | None = None,
        origin: str | None = None,
        status: VerificationStatus | None = None,
        tokens: Sequence[str] | None = None,
        generated_at: float | None = None,
    ) -> bool: ...
    def due_for_check(self, checked_before: float, limit: int) -> list[Identity]: ...
    def set_mail_from(
        self, account_id: str, region: str, name: str, domain: str | None, behavior: str
    ) -> bool: ...
    def mail_from_settings(
        self, account_id: str, region: str, names: Iterable[str]
    ) -> dict[str, MailFromSetting]: ...
    def record_check(self, update: VerificationUpdate) -> None: ...


class DkimKeyRepository(Protocol):
    def add(self, keys: Sequence[DkimKey]) -> None: ...
    def for_identity(self, account_id: str, region: str, identity: str) -> list[DkimKey]: ...
    def public_key(self, selector: str) -> str | None: ...
    def signing_key(self, account_id: str, region: str, identities: Sequence[str]) -> DkimKey | None:
        """The signing key of the first of `identities` (most specific first) that signs and is verified."""
        ...

    def delete_for_identity(self, account_id: str, region: str, identity: str) -> None: ...
    def replace_key(self, key: DkimKey) -> None:
        """Store `key` under its selector and make it the identity's only signing key."""
        ...


class SuppressionRepository(Protocol):
    def put(self, entry: SuppressedDestination) -> None: ...
    def put_many(self, entries: Sequence[SuppressedDestination]) -> None: ...
    def get(self, account_id: str, region: str, address: str) -> SuppressedDestination | None: ...
    def delete(self, account_id: str, region: str, address: str) -> bool: ...
    def delete_many(self, account_id: str, region: str, addresses: Sequence[str]) -> int: ...
    def find(
        self,
        account_id: str,
        region: str,
        reasons: Collection[SuppressionReason],
        start: float | None,
        end: float | None,
    ) -> list[SuppressedDestination]: ...
    def suppressed_among(self, account_id: str, region: str, addresses: Iterable[str]) -> set[str]: ...
    def reasons(self, account_id: str, region: str) -> frozenset[SuppressionReason]: ...
    def set_reasons(self, account_id: str, region: str, reasons: Collection[SuppressionReason]) -> None: ...


class ConfigurationSetRepository(Protocol):
    def add(self, config: ConfigurationSet) -> bool: ...
    def get(self, account_id: str, region: str, name: str) -> ConfigurationSet | None: ...
    def many(self, account_id: str, region: str, names: Iterable[str]) -> dict[str, ConfigurationSet]: ...
    def for_account(self, account_id: str, region: str) -> list[ConfigurationSet]: ...
    def update(self, account_id: str, region: str, name: str, **values: Any) -> bool: ...
    def delete(self, account_id: str, region: str, name: str) -> bool: ...


class MessageRepository(Protocol):
    def add_messages(self, messages: Sequence[NewMessage]) -> None: ...
    def add_recipients(self, recipients: Sequence[NewRecipient]) -> None: ...
    def claim_due(self, now: float, limit: int, lease_until: float, token: str) -> list[DueRecipient]: ...
    def contents(self, message_ids: Iterable[str]) -> dict[str, MessageContent]: ...
    def record_attempts(self, results: Sequence[AttemptResult]) -> list[AttemptResult]:
        """Apply the results whose lease still holds and return them; a result from a worker whose lease
        ran out (another worker took over) is dropped."""
        ...

    def mail_summaries(self, message_ids: Iterable[str]) -> dict[str, MailSummary]: ...
    def release_leases(self, now: float) -> int: ...
    def queue_depth(self) -> int: ...


class EventRepository(Protocol):
    def add(self, events: Sequence[NewEvent]) -> None: ...
    def find(
        self,
        account_id: str,
        region: str | None = None,
        message_id: str | None = None,
        event_type: EventType | None = None,
        limit: int = 100,
    ) -> list[StoredEvent]: ...
    def activity(
        self, account_id: str, region: str, since: float, bucket_seconds: int
    ) -> list[ActivityBucket]: ...
    def daily_counts(self, query: DailyCountQuery) -> list[DailyCount]:
        """Counts of `query.kind` per UTC day (days without any left out), split as the query asks."""
        ...


class AuditRepository(Protocol):
    def record(
        self, at: float, actor: str, action: str, account_id: str | None, region: str | None, detail: Any
    ) -> None: ...
    def entries(
        self, account_id: str, region: str | None = None, action_prefix: str = "", limit: int = 100
    ) -> list[AuditEntry]:
        """Newest first."""
        ...


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: float
    actor: str
    action: str
    account_id: str | None
    region: str | None
    detail: Any


@dataclass(frozen=True, slots=True)
class VerificationTemplate:
    """A custom verification email template (SES CreateCustomVerificationEmailTemplate)."""

    account_id: str
    region: str
    name: str
    from_email_address: str
    subject: str
    content: str
    success_redirection_url: str
    failure_redirection_url: str
    created_at: float
    tags: Mapping[str, str] = field(default_factory=dict)


class VerificationTemplateRepository(Protocol):
    def add(self, template: VerificationTemplate) -> bool:
        """False when a template of that name already exists."""
        ...

    def get(self, account_id: str, region: str, name: str) -> VerificationTemplate | None: ...
    def page(self, account_id: str, region: str, after: str | None, limit: int) -> list[VerificationTemplate]:
        """Templates ordered by name, after `after`; `content` is left empty (it may be 10 MB each)."""
        ...

    def count(self, account_id: str, region: str) -> int: ...
    def replace(self, template: VerificationTemplate) -> bool: ...
    def delete(self, account_id: str, region: str, name: str) -> bool: ...


class Transaction(Protocol):
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def sending(self) -> SendingRepository: ...
    @property
    def identities(self) -> IdentityRepository: ...
    @property
    def messages(self) -> MessageRepository: ...
    @property
    def events(self) -> EventRepository: ...
    @property
    def audit(self) -> AuditRepository: ...
    @property
    def dkim(self) -> DkimKeyRepository: ...
    @property
    def suppression(self) -> SuppressionRepository: ...
    @property
    def configuration_sets(self) -> ConfigurationSetRepository: ...
    @property
    def verification_templates(self) -> VerificationTemplateRepository: ...
    @property
    def topics(self) -> TopicRepository: ...
    @property
    def event_destinations(self) -> EventDestinationRepository: ...
    @property
    def notifications(self) -> NotificationRepository: ...
    @property
    def reputation(self) -> ReputationRepository: ...
    @property
    def feedback(self) -> FeedbackRepository: ...
    @property
    def import_jobs(self) -> ImportJobRepository: ...
    @property
    def reviews(self) -> ReviewRepository: ...


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[Transaction]:
        """A write transaction: committed when the block ends normally, rolled back on an exception."""
        ...

    def read(self) -> AbstractContextManager[Transaction]:
        """A read-only transaction."""
        ...


class SecretCipher(Protocol):
    def encrypt(self, plaintext: str) -> str: ...
    def decrypt(self, ciphertext: str) -> str: ...


# --- DNS ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    status: str
    """"ok", "nxdomain" (the name does not exist), "nodata" (no record of that type) or "error"."""
    values: tuple[str, ...] = ()


class DnsRecords(Protocol):
    async def lookup(self, name: str, rdtype: str) -> DnsAnswer:
        """CNAME targets without the trailing dot, TXT strings joined per record."""
        ...


# --- delivery ----------------------------------------------------------------------------------------


class Transport(Protocol):
    async def deliver(
        self, envelope_from: str, recipient: str, domain: str, content: bytes, *, require_tls: bool = False
    ) -> Outcome:
        """One SMTP transaction for one recipient; connections are pooled by the transport."""
        ...

    async def close(self) -> None: ...
