"""Production access against real databases (SQLite and PostgreSQL), with time as a parameter and DNS in
memory: requests, the gathered checklist, conflicts, decisions per region, mail to the contacts, the
overdue flag, failures, returns to the sandbox and the repeated-SHUTDOWN policy."""

from __future__ import annotations

import email
import email.policy
import uuid
from dataclasses import dataclass, replace

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from postwarden.domain.configuration_sets import ConfigurationSet
from postwarden.domain.events import EventType
from postwarden.domain.identities import IdentityType
from postwarden.domain.identities import VerificationStatus as V
from postwarden.domain.model import SendingLimits
from postwarden.domain.notifications import EventDestination, Subscription, SubscriptionStatus, Topic
from postwarden.domain.policy.send import PolicySettings
from postwarden.domain.review import (
    AccountDetails,
    CheckKey,
    CheckStatus,
    ContactLanguage,
    InvalidReviewTransitionError,
    MailType,
    ReviewStatus,
)
from postwarden.ports import Identity, NewEvent, NewMessage, NewRecipient, VerificationUpdate
from postwarden.ports.notifications import NewNotification, NotificationResult
from postwarden.services.accounts import AccountService, TierDefaults
from postwarden.services.production_access import (
    ProductionAccessService,
    ReviewConflictError,
    ReviewSettings,
)
from postwarden.services.recommendations import RecommendationSettings
from postwarden.services.review_facts import FactSettings, ReviewFactGatherer
from postwarden.services.review_mail import OPERATION, ReviewMail, ReviewMailSettings
from postwarden.services.sandbox_return import SandboxReturns
from postwarden.services.send import SendService, SendSettings
from postwarden.storage.secrets import FernetCipher
from postwarden.storage.store import SqlStore
from postwarden.storage.tables import audit_log, messages
from tests.support.fakes import FakeClock
from tests.unit.test_authcheck_spf import ZoneLookup
from tests.unit.test_review_checklist import GOOD_USE_CASE

REGION, OTHER = "us-east-1", "eu-west-1"
DOMAIN = "acme-shop.com"
IP = "192.0.2.10"
MAIL_FROM = f"bounce.{DOMAIN}"
SANDBOX, PRODUCTION = SendingLimits(200, 1.0), SendingLimits(50_000, 14.0)
HOUR = 3600.0
DETAILS = AccountDetails(
    MailType.TRANSACTIONAL,
    "https://www.acme-shop.com",
    ContactLanguage.EN,
    GOOD_USE_CASE,
    ("ops@acme-shop.com",),
)
GOOD_DNS = {
    MAIL_FROM: [f"v=spf1 ip4:{IP} -all"],
    f"_dmarc.{DOMAIN}": [f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{DOMAIN}"],
}


class Probe:
    def __init__(self) -> None:
        self.urls: list[str] = []

    async def check(self, url: str) -> tuple[bool, str]:
        self.urls.append(url)
        return True, "HTTP 200 in 0.1 s"


@dataclass
class World:
    store: SqlStore
    clock: FakeClock
    zone: ZoneLookup
    probe: Probe
    access: ProductionAccessService
    sandbox: SandboxReturns
    accounts: AccountService
    account_id: str


def world(
    store: SqlStore,
    *,
    auto_grant: bool = False,
    after_shutdowns: int = 0,
    dns: dict[str, list[str]] | None = None,
) -> World:
    clock = FakeClock()
    tiers = TierDefaults(SANDBOX, PRODUCTION)
    accounts = AccountService(store, FernetCipher(Fernet.generate_key()), clock, tiers)
    account_id = accounts.create_account("t", REGION).account_id
    zone, probe = ZoneLookup(dict(GOOD_DNS if dns is None else dns)), Probe()
    sender = SendService(store, clock, SendSettings(SANDBOX, PolicySettings(), "bounces.test"))
    mail = ReviewMail(sender, clock, ReviewMailSettings("no-reply@postwarden.test", "postwarden.test"))
    dns_settings = RecommendationSettings("dkim.postwarden.test", "bounces.postwarden.test", (IP,), None)
    facts = ReviewFactGatherer(store, zone, probe, clock, FactSettings(dns_settings, check_website=True))
    access = ProductionAccessService(store, clock, facts, mail, ReviewSettings(tiers, auto_grant=auto_grant))
    sandbox = SandboxReturns(store, clock, mail, SANDBOX, after_shutdowns)
    return World(store, clock, zone, probe, access, sandbox, accounts, account_id)


def add_domain(w: World, region: str = REGION, dkim: V = V.SUCCESS) -> None:
    with w.store.transaction() as tx:
        tx.identities.add(
            Identity(
                account_id=w.account_id,
                region=region,
                name=DOMAIN,
                identity_type=IdentityType.DOMAIN,
                verification_status=V.SUCCESS,
                created_at=w.clock.now(),
                dkim_tokens=("tok1", "tok2", "tok3"),
                dkim_signing_enabled=True,
                dkim_status=dkim,
            )
        )
        tx.identities.set_mail_from(w.account_id, region, DOMAIN, MAIL_FROM, "USE_DEFAULT_VALUE")
        now = w.clock.now()  # the checker found the records, the MAIL FROM domain's MX and SPF included
        tx.identities.record_check(
            VerificationUpdate(w.account_id, region, DOMAIN, V.SUCCESS, dkim, now, now, None, None, V.SUCCESS)
        )


def sent(
    w: World, count: int, *, bounces: int = 0, head: bytes = b"Subject: hi\r\n", operation: str = "SendEmail"
) -> None:
    """`count` one-recipient messages accepted now, `bounces` of them bounced."""
    now = w.clock.now()
    ids = [f"m-{uuid.uuid4()}" for _ in range(count)]
    with w.store.transaction() as tx:
        tx.messages.add_messages(
            [
                NewMessage(m, w.account_id, REGION, now, f"me@{DOMAIN}", "bounces.test", [f"r@{DOMAIN}"],
                           head + b"\r\nbody\r\n", "AKIA", "127.0.0.1", operation, None, {}, {})
                for m in ids
            ]
        )  # fmt: skip
        tx.messages.add_recipients(
            [NewRecipient(m, w.account_id, REGION, f"r@{DOMAIN}", DOMAIN, now, None) for m in ids]
        )
        tx.events.add(
            [
                NewEvent(str(uuid.uuid4()), w.account_id, REGION, m, f"r@{DOMAIN}", EventType.BOUNCE, now, {})
                for m in ids[:bounces]
            ]
        )


def review_mail(w: World) -> list[tuple[str, str]]:
    """(To, subject and text) of each review mail queued for the account, oldest first."""
    with w.store.engine.connect() as connection:
        rows = connection.execute(
            select(messages.c.content)
            .where(messages.c.account_id == w.account_id, messages.c.operation == OPERATION)
            .order_by(messages.c.created_at)
        ).all()
    found = []
    for (content,) in rows:
        parsed = email.message_from_bytes(bytes(content), policy=email.policy.default)
        body = parsed.get_body(("plain",))
        assert body is not None
        found.append((str(parsed["To"]), f"{parsed['Subject']}\n{body.get_content()}"))
    return found


def audit(w: World, prefix: str = "review.") -> list[tuple[str, str, str | None]]:
    with w.store.engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.action, audit_log.c.actor, audit_log.c.region)
            .where(audit_log.c.account_id == w.account_id, audit_log.c.action.startswith(prefix))
            .order_by(audit_log.c.entry_id)
        ).all()
    return [(str(a), str(b), c) for a, b, c in rows]


async def test_a_request_opens_a_pending_case_with_the_gathered_checklist(store: SqlStore) -> None:
    w = world(store)
    add_domain(w)
    sent(w, 60, bounces=1)
    case = await w.access.request_access(w.account_id, REGION, DETAILS, "access-key:AKIA")
    assert case.status is ReviewStatus.PENDING and len(case.case_id) == 11
    checklist = case.checklist
    assert checklist is not None
    status = {item.key: item.status for item in checklist.items}
    assert status[CheckKey.DOMAIN_DKIM] is CheckStatus.PASS
    assert status[CheckKey.SPF_DMARC] is CheckStatus.PASS, checklist.item(CheckKey.SPF_DMARC)
    assert status[CheckKey.BOUNCE_COMPLAINT_HANDLING] is CheckStatus.PASS  # the suppression list's default
    assert status[CheckKey.WEBSITE] is CheckStatus.PASS and w.probe.urls == [DETAILS.website_url]
    history = checklist.item(CheckKey.SANDBOX_HISTORY)
    assert history.status is CheckStatus.PASS and "over 60 eligible messages" in history.evidence
    assert history.evidence.startswith("Bounce rate 1.67% and complaint rate 0%")
    assert (checklist.recommended_quota, checklist.recommended_rate) == (50_000, 14.0)
    # stored and shown as it was evaluated
    assert w.access.get(case.case_id) == case
    assert w.access.latest(w.account_id, REGION) == case
    assert w.access.latest(w.account_id, OTHER) is None
    # auto-grant is off: an operator decides; the region stays in the sandbox
    state = w.accounts.sending_state(w.account_id, REGION)
    assert not state.production_access and state.limits == SANDBOX
    assert audit(w) == [
        ("review.request", "access-key:AKIA", REGION),
        ("review.checklist", "access-key:AKIA", REGION),
    ]
    ((to, content),) = review_mail(w)
    assert "ops@acme-shop.com" in to
    assert f"production access request in {REGION} (case {case.case_id}) was received" in content
    assert "[PASS] Verified domain with working DKIM" in content


async def test_a_second_request_while_one_is_pending_is_a_conflict(store: SqlStore) -> None:
    w = world(store)
    first = await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    with pytest.raises(ReviewConflictError) as conflict:
        await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    assert conflict.value.conflict.pending_case_id == first.case_id
    assert "There is already an ongoing account details update under review" in str(conflict.value)
    other = await w.access.request_access(w.account_id, OTHER, DETAILS, "k")  # regions are separate
    assert other.status is ReviewStatus.PENDING and other.region == OTHER


async def test_deny_with_reasons_then_fix_request_again_and_grant_in_that_region_only(
    store: SqlStore,
) -> None:
    w = world(store, dns={MAIL_FROM: GOOD_DNS[MAIL_FROM]})  # no DMARC record yet
    add_domain(w)
    first = await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    assert first.checklist is not None
    assert first.checklist.item(CheckKey.SPF_DMARC).status is CheckStatus.FAIL
    denied = await w.access.deny(first.case_id, actor="cli:alice", reason="Publish DMARC, then ask again.")
    assert denied.status is ReviewStatus.DENIED and denied.decided_by == "cli:alice"
    assert "SPF and DMARC published and aligned" in denied.reason
    assert f"publish a DMARC record at _dmarc.{DOMAIN}" in denied.reason
    assert denied.reason.count("Reviewer's note: Publish DMARC, then ask again.") == 1
    assert not w.accounts.sending_state(w.account_id, REGION).production_access
    with pytest.raises(InvalidReviewTransitionError):
        await w.access.grant(first.case_id, actor="cli:bob")
    denial_mail = review_mail(w)[-1][1]
    assert "production access denied" in denial_mail and "Reviewer's note: Publish DMARC" in denial_mail

    w.zone._txt.update(GOOD_DNS)  # the sender publishes DMARC
    w.clock.advance(HOUR)
    second = await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    assert second.case_id != first.case_id and second.checklist is not None
    assert second.checklist.item(CheckKey.SPF_DMARC).status is CheckStatus.PASS
    granted = await w.access.grant(second.case_id, actor="cli:bob", note="welcome")
    assert granted.status is ReviewStatus.GRANTED
    assert (granted.granted_quota, granted.granted_rate, granted.reason) == (50_000, 14.0, "welcome")
    state = w.accounts.sending_state(w.account_id, REGION)
    assert state.production_access and state.limits == PRODUCTION
    other = w.accounts.sending_state(w.account_id, OTHER)
    assert not other.production_access and other.limits == SANDBOX
    assert [a for a, _, _ in audit(w)][-2:] == ["review.checklist", "review.grant"]
    assert "production access granted in us-east-1" in review_mail(w)[-1][1]
    assert "50,000 messages per 24 hours and 14 messages per second" in review_mail(w)[-1][1]


async def test_grant_takes_an_explicit_quota_and_never_lowers_a_production_region(store: SqlStore) -> None:
    w = world(store)
    case = await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    granted = await w.access.grant(case.case_id, actor="admin-api", quota=120_000, rate=40.0)
    assert w.accounts.sending_state(w.account_id, REGION).limits == SendingLimits(120_000, 40.0)
    assert (granted.granted_quota, granted.granted_rate) == (120_000, 40.0)
    again = await w.access.request_access(
        w.account_id, REGION, replace(DETAILS, mail_type=MailType.MARKETING), "k"
    )
    regranted = await w.access.grant(again.case_id, actor="admin-api")
    assert (regranted.granted_quota, regranted.granted_rate) == (120_000, 40.0)


async def test_auto_grant_when_every_check_passes_and_only_then(store: SqlStore) -> None:
    w = world(store, auto_grant=True)
    add_domain(w)
    sent(w, 60)
    granted = await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    assert granted.status is ReviewStatus.GRANTED and granted.decided_by == "auto"
    assert "every check passed (8 pass, 0 warn, 0 fail)" in granted.reason
    assert w.accounts.sending_state(w.account_id, REGION).production_access
    assert [a for a, actor, _ in audit(w) if actor == "auto"] == ["review.grant"]

    waits = await w.access.request_access(w.account_id, OTHER, DETAILS, "k")  # no domain in eu-west-1
    assert waits.status is ReviewStatus.PENDING
    assert not w.accounts.sending_state(w.account_id, OTHER).production_access


async def test_a_pre_review_that_cannot_run_fails_the_case_and_a_new_request_is_allowed(
    store: SqlStore,
) -> None:
    w = world(store)
    add_domain(w)
    w.zone._failing = frozenset({MAIL_FROM})
    failed = await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    assert failed.status is ReviewStatus.FAILED and failed.decided_by == "system"
    assert "DnsTemporaryError" in failed.reason and failed.checklist is None
    assert "could not be reviewed" in review_mail(w)[-1][1]
    w.zone._failing = frozenset()
    retried = await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    assert retried.status is ReviewStatus.PENDING


async def test_pending_reviews_show_their_age_and_are_overdue_after_24_hours(store: SqlStore) -> None:
    w = world(store)
    old = await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    w.clock.advance(20 * HOUR)
    young = await w.access.request_access(w.account_id, OTHER, DETAILS, "k")
    w.clock.advance(4 * HOUR)
    listed = w.access.pending()
    assert [(p.case.case_id, p.age_seconds, p.overdue) for p in listed] == [
        (old.case_id, 24 * HOUR, True),
        (young.case_id, 4 * HOUR, False),
    ]
    await w.access.grant(old.case_id, actor="x")
    assert [p.case.case_id for p in w.access.pending()] == [young.case_id]


async def test_recheck_sees_the_fix_and_refuses_a_decided_case(store: SqlStore) -> None:
    w = world(store)
    case = await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    assert case.checklist is not None
    assert case.checklist.item(CheckKey.DOMAIN_DKIM).status is CheckStatus.FAIL
    add_domain(w)
    w.clock.advance(60)
    rechecked = await w.access.recheck(case.case_id, "cli:alice")
    assert rechecked.status is ReviewStatus.PENDING and rechecked.checklist is not None
    assert rechecked.checklist.item(CheckKey.DOMAIN_DKIM).status is CheckStatus.PASS
    assert rechecked.checklist.evaluated_at == case.opened_at + 60
    await w.access.deny(case.case_id, actor="x", reason="no")
    with pytest.raises(InvalidReviewTransitionError):
        await w.access.recheck(case.case_id, "cli:alice")


async def test_destinations_list_unsubscribe_and_service_mail_are_read_from_storage(store: SqlStore) -> None:
    w = world(store)
    add_domain(w)
    now = w.clock.now()
    topic = Topic(f"arn:aws:sns:{REGION}:{w.account_id}:feedback", w.account_id, REGION, "feedback", now)
    sub = Subscription(f"{topic.arn}:s1", topic.arn, w.account_id, "https", "https://hooks.acme-shop.com/ses",
                       SubscriptionStatus.CONFIRMED, "t", now)  # fmt: skip
    with w.store.transaction() as tx:
        tx.suppression.set_reasons(w.account_id, REGION, [])
        tx.configuration_sets.add(ConfigurationSet(w.account_id, REGION, "news", now))
        tx.topics.add_topic(topic)
        tx.topics.add_subscription(sub)
        tx.event_destinations.add(
            EventDestination(
                w.account_id, REGION, "news", "hooks", True, frozenset({EventType.BOUNCE}), topic.arn
            )
        )
        tx.notifications.add([NewNotification("n1", sub.arn, w.account_id, now, {"Message": "x"})])
        assert len(tx.notifications.claim_due(now, 10, now + 60, "lease")) == 1
        tx.notifications.record([NotificationResult("n1", "lease", now, False, "HTTP 500", now + 20)])
    sent(w, 3, head=b"Subject: news\r\nList-Unsubscribe: <https://acme-shop.com/u>\r\n")
    sent(w, 1)
    sent(w, 5, operation=OPERATION)  # Postwarden's own mail is not the account's sending
    marketing = replace(DETAILS, mail_type=MailType.MARKETING)
    case = await w.access.request_access(w.account_id, REGION, marketing, "k")
    assert case.checklist is not None
    handling = case.checklist.item(CheckKey.BOUNCE_COMPLAINT_HANDLING)
    assert handling.status is CheckStatus.FAIL
    assert "configuration set news, event destination hooks → topic feedback" in handling.evidence
    assert "(Bounce; subscription confirmed, not reachable)" in handling.evidence
    assert "account suppression list: off" in handling.evidence
    unsubscribe = case.checklist.item(CheckKey.UNSUBSCRIBE)
    assert unsubscribe.status is CheckStatus.WARN
    assert unsubscribe.evidence.startswith("3 of 4 recent messages (75%) carried List-Unsubscribe")


async def test_return_to_sandbox_resets_the_region_and_needs_a_new_request(store: SqlStore) -> None:
    w = world(store)
    case = await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    await w.access.grant(case.case_id, actor="x")
    elsewhere = await w.access.request_access(w.account_id, OTHER, DETAILS, "k")
    other = await w.access.grant(elsewhere.case_id, actor="x")
    assert other.status is ReviewStatus.GRANTED
    state = await w.sandbox.return_to_sandbox(w.account_id, REGION, actor="cli:alice", reason="phishing")
    assert not state.production_access and state.limits == SANDBOX
    assert w.accounts.sending_state(w.account_id, OTHER).production_access
    assert audit(w, "review.return")[-1] == ("review.return-to-sandbox", "cli:alice", REGION)
    assert "returned to the sandbox in us-east-1" in review_mail(w)[-1][1]
    assert "Reason: phishing" in review_mail(w)[-1][1]
    again = await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    assert again.status is ReviewStatus.PENDING


async def test_the_nth_shutdown_since_the_grant_returns_the_region_to_the_sandbox(store: SqlStore) -> None:
    w = world(store, after_shutdowns=2)
    assert await w.sandbox.record_shutdown(w.account_id, REGION, actor="reputation", reason="r0") is None
    case = await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    w.clock.advance(1)
    await w.access.grant(case.case_id, actor="x")
    w.clock.advance(1)
    assert await w.sandbox.record_shutdown(w.account_id, REGION, actor="reputation", reason="r1") is None
    assert w.accounts.sending_state(w.account_id, REGION).production_access  # one since the grant
    assert await w.sandbox.record_shutdown(w.account_id, OTHER, actor="reputation", reason="x") is None
    state = await w.sandbox.record_shutdown(
        w.account_id, REGION, actor="reputation", reason="bounce rate 12%"
    )
    assert state is not None and not state.production_access and state.limits == SANDBOX
    (entry,) = audit(w, "review.return")
    assert entry == ("review.return-to-sandbox", "policy:sandbox_after_shutdowns", REGION)
    assert "2 reputation SHUTDOWNs since production access was granted" in review_mail(w)[-1][1]
    # already in the sandbox: more SHUTDOWNs change nothing
    assert await w.sandbox.record_shutdown(w.account_id, REGION, actor="reputation", reason="r3") is None


async def test_the_shutdown_policy_is_off_by_default(store: SqlStore) -> None:
    w = world(store)
    case = await w.access.request_access(w.account_id, REGION, DETAILS, "k")
    await w.access.grant(case.case_id, actor="x")
    for n in range(5):
        assert await w.sandbox.record_shutdown(w.account_id, REGION, actor="r", reason=str(n)) is None
    assert w.accounts.sending_state(w.account_id, REGION).production_access
