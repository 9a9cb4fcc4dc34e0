"""The composition root: settings in, a wired application out. The only module that imports everything."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from postwarden.config import Settings
from postwarden.domain.model import SendingLimits
from postwarden.services.accounts import AccountService, TierDefaults
from postwarden.services.dkim import DkimKeys
from postwarden.services.identities import IdentityService
from postwarden.services.suppression import SuppressionService
from postwarden.storage.engine import make_engine, migrate
from postwarden.storage.secrets import FernetCipher, load_or_create_key
from postwarden.storage.store import SqlStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from postwarden.api.admin import AdminApi
    from postwarden.api.app import ApiApp, Handler, PageHandler, VisitHandler
    from postwarden.api.prometheus import MetricsEndpoint
    from postwarden.delivery.mx import MxResolver, StaticRoutes
    from postwarden.dns.authority import DnsAuthority
    from postwarden.domain.tracking import TrackingSigner
    from postwarden.feedback.mx import FeedbackMx
    from postwarden.ports import Transaction
    from postwarden.services.delivery import DeliveryWorker
    from postwarden.services.email_verification import EmailVerification
    from postwarden.services.event_destinations import EventDestinationService
    from postwarden.services.import_runner import ImportRunner
    from postwarden.services.notification_dispatch import NotificationDispatcher
    from postwarden.services.production_access import ProductionAccessService
    from postwarden.services.recommendations import RecommendationService
    from postwarden.services.reputation import ReputationService
    from postwarden.services.reputation_ledger import NoticeWriter
    from postwarden.services.reputation_recorder import ReputationRecorder
    from postwarden.services.sandbox_return import SandboxReturns
    from postwarden.services.send import SendService
    from postwarden.services.topics import TopicService
    from postwarden.services.verification import VerificationChecker
    from postwarden.smtp.server import SubmissionServer
    from postwarden.webhooks.signer import SnsSigner

log = logging.getLogger("postwarden")


class SystemClock:
    def now(self) -> float:
        return time.time()


@dataclass
class Services:
    settings: Settings
    store: SqlStore
    accounts: AccountService
    identities: IdentityService
    suppression: SuppressionService
    dkim: DkimKeys
    server_key: bytes


def build_services(settings: Settings, *, run_migrations: bool = True) -> Services:
    engine = make_engine(settings.effective_database_url, sqlite_synchronous=settings.sqlite_synchronous)
    if run_migrations:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        migrate(engine)
    store = SqlStore(engine)
    clock = SystemClock()
    server_key = load_or_create_key(settings.data_dir, settings.secret_key or None)
    cipher = FernetCipher(server_key)
    tiers = TierDefaults(
        sandbox=SendingLimits(settings.sandbox_max_24_hour_send, settings.sandbox_max_send_rate),
        production=SendingLimits(settings.production_max_24_hour_send, settings.production_max_send_rate),
    )
    dkim = DkimKeys(store, cipher, clock, settings.dkim_key_cache_seconds)
    return Services(
        settings=settings,
        store=store,
        accounts=AccountService(store, cipher, clock, tiers),
        identities=IdentityService(store, clock, dkim),
        suppression=SuppressionService(store, clock, tiers.sandbox),
        dkim=dkim,
        server_key=server_key,
    )


@dataclass
class Server:
    services: Services
    sender: SendService
    worker: DeliveryWorker
    app: ApiApp
    checker: VerificationChecker
    authority: DnsAuthority | None
    dispatcher: NotificationDispatcher
    reputation: ReputationService
    imports: ImportRunner | None = None


def build_server(settings: Settings) -> Server:
    # Adapters are imported here, not at the top, so that operator commands start quickly.
    from postwarden.api.app import ApiApp, QueryProtocol, RestJsonProtocol
    from postwarden.api.credentials import CredentialCache, KnownKey
    from postwarden.api.model import ServiceModel
    from postwarden.api.pages import VerificationPage
    from postwarden.api.query import QueryModel
    from postwarden.api.sigv4 import SigV4Verifier
    from postwarden.api.sns import SNS_NAMESPACE, SnsHandlers
    from postwarden.api.v1_configuration_sets import V1ConfigurationSetHandlers
    from postwarden.api.v1_identities import V1IdentityHandlers
    from postwarden.api.v1_notifications import V1NotificationHandlers
    from postwarden.api.v1_send import V1SendHandlers
    from postwarden.api.v2_account import AccountHandlers
    from postwarden.api.v2_account_details import AccountDetailsHandlers
    from postwarden.api.v2_configuration_sets import ConfigurationSetHandlers
    from postwarden.api.v2_event_destinations import EventDestinationHandlers
    from postwarden.api.v2_identities import IdentityHandlers
    from postwarden.api.v2_metrics import MetricsHandlers
    from postwarden.api.v2_recommendations import RecommendationHandlers
    from postwarden.api.v2_send import SendHandlers
    from postwarden.api.v2_suppression import SuppressionHandlers
    from postwarden.delivery.smtp import SmtpSettings, SmtpTransport
    from postwarden.domain.delivery import RetryPolicy
    from postwarden.domain.tracking import TrackingSigner
    from postwarden.services.compose import MessageComposer
    from postwarden.services.configuration_sets import ConfigurationSetService
    from postwarden.services.custom_verification import CUSTOM_VERIFY_PATH
    from postwarden.services.delivery import DeliverySettings, DeliveryWorker
    from postwarden.services.email_verification import (
        VERIFY_PATH,
        EmailVerification,
        VerificationMailSettings,
    )
    from postwarden.services.links import LinkSigner
    from postwarden.services.metrics import MetricsService
    from postwarden.services.signing import MessageSigner
    from postwarden.services.tracking import TrackingLinks

    services = build_services(settings)
    clock = SystemClock()
    routes = _routes(settings)
    tracking_signer = TrackingSigner(services.server_key)
    transport = SmtpTransport(
        routes.route,
        SmtpSettings(
            helo_name=settings.hostname,
            max_connections_per_destination=settings.max_connections_per_destination,
        ),
    )
    worker = DeliveryWorker(
        services.store,
        transport,
        clock,
        DeliverySettings(
            retry=RetryPolicy(
                initial_seconds=settings.retry_initial_seconds,
                max_interval_seconds=settings.retry_max_interval_seconds,
                max_delivery_seconds=settings.max_delivery_seconds,
            ),
            reporting_mta=settings.hostname,
            max_in_flight=settings.delivery_max_in_flight,
            lease_seconds=settings.delivery_lease_seconds,
        ),
        signer=MessageSigner(services.dkim),
        tracking=TrackingLinks(tracking_signer, settings.effective_public_url),
    )
    sender = build_sender(settings, services, on_accepted=worker.wake)

    def lookup(access_key_id: str) -> KnownKey | None:
        caller = services.accounts.caller(access_key_id)
        return None if caller is None else KnownKey(caller.account_id, caller.secret_access_key)

    credentials = CredentialCache(lookup)
    regions = settings.region_list
    verifier = SigV4Verifier(
        credentials.secret, service="ses", also_services=("sns",), is_region_allowed=regions.__contains__
    )
    composer = MessageComposer(sender, clock, settings.hostname)
    configuration_sets = ConfigurationSetService(services.store, clock)
    reviews = build_reviews(settings, services, sender)
    reputation = build_reputation(settings, services, sender, reviews.sandbox)
    notify = build_notifications(settings, services, reputation)
    verification = EmailVerification(
        sender,
        services.identities,
        LinkSigner(services.server_key, "verify-email"),
        clock,
        VerificationMailSettings(
            settings.effective_verification_sender, settings.effective_public_url, settings.hostname
        ),
    )
    plain_page = VerificationPage(verification).handle
    import_v2, import_pages, imports = _import_jobs(settings, services)
    custom_v2, custom_v1, custom_page = _custom_verification(
        settings, services, sender, verification, plain_page
    )
    v2_handlers = {
        **AccountHandlers(services.accounts, services.suppression, reviews.access).table(),
        **AccountDetailsHandlers(reviews.access).table(),
        **SuppressionHandlers(services.suppression).table(),
        **ConfigurationSetHandlers(configuration_sets).table(),
        **EventDestinationHandlers(notify.destinations).table(),
        **IdentityHandlers(services.identities, settings.dkim_zone, verification).table(),
        **SendHandlers(sender, composer).table(),
        **RecommendationHandlers(_recommendations(settings, services)).table(),
        **MetricsHandlers(MetricsService(services.store, settings.feedback_domain_set)).table(),
        **custom_v2,
        **import_v2,
    }
    v1_handlers = {
        **V1SendHandlers(sender, composer, services.accounts).table(),
        **V1IdentityHandlers(services.identities, verification).table(),
        **V1ConfigurationSetHandlers(configuration_sets, notify.destinations).table(),
        **V1NotificationHandlers(notify.destinations).table(),
        **custom_v1,
    }
    app = ApiApp(
        verifier,
        credentials,
        RestJsonProtocol(ServiceModel("sesv2"), v2_handlers),
        QueryProtocol(QueryModel("ses"), v1_handlers),
        clock,
        pages={VERIFY_PATH: plain_page, CUSTOM_VERIFY_PATH: custom_page, **notify.pages, **import_pages},
        sns=QueryProtocol(QueryModel("sns", SNS_NAMESPACE), SnsHandlers(notify.topics).table()),
        visits=_tracking_pages(services, tracking_signer),
        admin=_admin_api(settings, services, reviews, reputation.service, notify.topics),
        metrics=_metrics_endpoint(settings, services, reputation.service),
    )
    return Server(
        services,
        sender,
        worker,
        app,
        _checker(settings, services),
        _dns_authority(settings, services),
        notify.dispatcher,
        reputation.service,
        imports,
    )


@dataclass
class Notifications:
    topics: TopicService
    destinations: EventDestinationService
    dispatcher: NotificationDispatcher
    signer: SnsSigner
    pages: dict[str, PageHandler]


def build_sender(settings: Settings, services: Services, on_accepted: Callable[[], None]) -> SendService:
    from postwarden.domain.policy.send import PolicySettings
    from postwarden.services.send import SendService, SendSettings

    return SendService(
        services.store,
        SystemClock(),
        SendSettings(
            sandbox=SendingLimits(settings.sandbox_max_24_hour_send, settings.sandbox_max_send_rate),
            policy=PolicySettings(burst_seconds=settings.rate_burst_seconds),
            return_path_domain=settings.effective_return_path_domain,
        ),
        on_accepted=on_accepted,
    )


@dataclass
class Reputation:
    service: ReputationService
    recorder: ReputationRecorder
    notices: NoticeWriter


def build_reputation(
    settings: Settings, services: Services, sender: SendService, returns: SandboxReturns | None = None
) -> Reputation:
    """Reputation metrics, enforcement and quota growth, with notices mailed through `sender`; with
    `returns`, a region's repeated SHUTDOWNs return it to the sandbox (`sandbox_after_shutdowns`)."""
    from postwarden.domain.enforcement import EnforcementSettings
    from postwarden.domain.model import EnforcementStatus
    from postwarden.domain.quota_growth import QuotaGrowthSettings
    from postwarden.domain.reputation import ReputationSettings
    from postwarden.services.notices import MailedNotices, NoticeSettings
    from postwarden.services.reputation import ReputationService
    from postwarden.services.reputation_ledger import Notice, ReputationPolicy
    from postwarden.services.reputation_recorder import SYSTEM_ACTOR, ReputationRecorder

    policy = ReputationPolicy(
        reputation=ReputationSettings(
            minimum_volume=settings.reputation_minimum_volume,
            maximum_volume=settings.reputation_maximum_volume,
            representative_days=settings.reputation_representative_days,
        ),
        enforcement=EnforcementSettings(
            bounce_review_rate=settings.bounce_review_rate,
            bounce_pause_rate=settings.bounce_pause_rate,
            complaint_review_rate=settings.complaint_review_rate,
            complaint_pause_rate=settings.complaint_pause_rate,
            review_period_seconds=settings.review_period_seconds,
        ),
        growth=QuotaGrowthSettings(
            near_quota_fraction=settings.quota_growth_near_fraction,
            days_near_quota=settings.quota_growth_days,
            quota_step=settings.quota_growth_quota_step,
            rate_step=settings.quota_growth_rate_step,
            max_24_hour_send_cap=settings.quota_growth_max_24_hour_send,
            max_send_rate_cap=settings.quota_growth_max_send_rate,
        ),
        feedback_domains=settings.feedback_domain_set,
        production_default=SendingLimits(
            settings.production_max_24_hour_send, settings.production_max_send_rate
        ),
        sandbox=SendingLimits(settings.sandbox_max_24_hour_send, settings.sandbox_max_send_rate),
    )
    mailed = MailedNotices(
        sender,
        _account_contacts,
        NoticeSettings(
            settings.effective_verification_sender, settings.hostname, settings.operator_notice_address
        ),
    )

    def notices(tx: Transaction, notice: Notice, now: float) -> None:
        mailed(tx, notice, now)
        change = notice.transition
        if returns is None or change is None or change.new is not EnforcementStatus.SHUTDOWN:
            return
        returned = returns.count_shutdown(
            tx, notice.account_id, notice.region, SYSTEM_ACTOR, change.reason, now
        )
        if returned is not None:
            text = f"Production access in {notice.region} was withdrawn: {returned[2]}\n"
            mailed(
                tx, Notice(notice.account_id, notice.region, "Postwarden: returned to the sandbox", text), now
            )

    return Reputation(
        ReputationService(services.store, SystemClock(), policy, notices),
        ReputationRecorder(policy),
        notices,
    )


def _account_contacts(tx: Transaction, account_id: str, region: str) -> list[str]:
    """The contact addresses the account gave in its latest production access request."""
    latest = tx.reviews.latest(account_id, region)
    return list(latest.details.additional_contact_email_addresses) if latest is not None else []


def build_notifications(
    settings: Settings, services: Services, reputation: Reputation | None = None
) -> Notifications:
    """Topics, event destinations, the fan-out and the dispatcher, and the URLs subscribers open."""
    from postwarden.api.app import Document
    from postwarden.api.sns import SubscriptionPages
    from postwarden.domain.delivery import RetryPolicy
    from postwarden.services.event_destinations import EventDestinationService
    from postwarden.services.notification_dispatch import DispatchSettings, NotificationDispatcher
    from postwarden.services.notification_fanout import EventFanout
    from postwarden.services.topics import CONFIRM_PATH, UNSUBSCRIBE_PATH, TopicService, TopicSettings
    from postwarden.webhooks.endpoints import EndpointGuard
    from postwarden.webhooks.signer import SnsSigner
    from postwarden.webhooks.transport import HttpxWebhookTransport

    clock = SystemClock()
    public_url = settings.effective_public_url
    guard = EndpointGuard(allow_private=settings.webhook_allow_private)
    topics = TopicService(services.store, clock, guard, TopicSettings(public_url))
    signer = SnsSigner.load_or_create(settings.data_dir, settings.hostname, public_url)
    dispatcher = NotificationDispatcher(
        services.store,
        clock,
        EventFanout(
            services.store,
            clock,
            public_url,
            recorder=reputation.recorder if reputation else None,
            notices=reputation.notices if reputation else None,
        ),
        HttpxWebhookTransport(settings.webhook_timeout_seconds, settings.webhook_verify_tls),
        signer,
        guard,
        DispatchSettings(
            retry=RetryPolicy(
                initial_seconds=settings.notification_retry_initial_seconds,
                max_interval_seconds=settings.notification_retry_max_interval_seconds,
                max_delivery_seconds=settings.notification_max_age_seconds,
            ),
            max_in_flight=settings.notification_max_in_flight,
        ),
    )
    certificate = Document(200, signer.certificate_pem, b"application/x-pem-file")

    async def certificate_page(query: str) -> Document:
        return certificate

    subscription_pages = SubscriptionPages(topics)
    return Notifications(
        topics,
        EventDestinationService(services.store, clock, public_url),
        dispatcher,
        signer,
        {
            signer.certificate_path: certificate_page,
            CONFIRM_PATH: subscription_pages.confirm,
            UNSUBSCRIBE_PATH: subscription_pages.unsubscribe,
        },
    )


def _tracking_pages(services: Services, signer: TrackingSigner) -> dict[str, VisitHandler]:
    from postwarden.api.tracking import TrackingPages
    from postwarden.services.tracking import CLICK_PATH, OPEN_PATH, TrackingEvents

    pages = TrackingPages(TrackingEvents(services.store, SystemClock(), signer))
    return {OPEN_PATH: pages.open, CLICK_PATH: pages.click}


def _import_jobs(
    settings: Settings, services: Services
) -> tuple[dict[str, Handler], dict[str, PageHandler], ImportRunner]:
    """Suppression-list import jobs: the v2 handlers, the failed-records page, and the runner."""
    from postwarden.api.v2_import_jobs import FailedRecordsPage, ImportJobHandlers
    from postwarden.domain.suppression_import import MAX_FILE_BYTES
    from postwarden.imports.sources import LocalOrHttpSource
    from postwarden.mail.addrspec import check_addr_spec
    from postwarden.services.import_jobs import FAILED_RECORDS_PATH, ImportJobService, ImportJobSettings
    from postwarden.services.import_runner import ImportRunner
    from postwarden.webhooks.endpoints import EndpointGuard

    def canonical_address(text: str) -> str:
        local, domain = check_addr_spec(text)
        return f"{local}@{domain}"

    clock = SystemClock()
    allowed = settings.effective_import_allowed_dir
    allowed.mkdir(parents=True, exist_ok=True)
    guard = EndpointGuard(allow_private=settings.webhook_allow_private)
    source = LocalOrHttpSource(
        allowed, guard, max_bytes=MAX_FILE_BYTES, verify_tls=settings.webhook_verify_tls
    )
    runner = ImportRunner(services.store, clock, source, canonical_address)
    jobs = ImportJobService(
        services.store,
        clock,
        SendingLimits(settings.sandbox_max_24_hour_send, settings.sandbox_max_send_rate),
        source,
        ImportJobSettings(settings.effective_public_url, services.server_key),
        on_created=runner.wake,
    )
    return ImportJobHandlers(jobs).table(), {FAILED_RECORDS_PATH: FailedRecordsPage(jobs).handle}, runner


def _custom_verification(
    settings: Settings,
    services: Services,
    sender: SendService,
    verification: EmailVerification,
    plain_page: PageHandler,
) -> tuple[dict[str, Handler], dict[str, Handler], PageHandler]:
    """Custom verification email templates: the v2 and v1 handlers, and the page their links open."""
    from postwarden.api.v1_verification_templates import V1VerificationTemplateHandlers
    from postwarden.api.v2_verification_templates import CustomVerificationPage, VerificationTemplateHandlers
    from postwarden.services.custom_verification import (
        CustomVerificationMail,
        CustomVerificationSettings,
        VerificationTemplates,
    )

    clock = SystemClock()
    templates = VerificationTemplates(services.store, clock)
    mail = CustomVerificationMail(
        templates,
        services.accounts,
        services.identities,
        verification,
        sender,
        clock,
        CustomVerificationSettings(
            services.server_key, settings.hostname, settings.effective_verification_sender
        ),
    )
    return (
        VerificationTemplateHandlers(templates, mail).table(),
        V1VerificationTemplateHandlers(templates, mail).table(),
        CustomVerificationPage(mail, plain_page).handle,
    )


def _nameserver(settings: Settings) -> tuple[str, int] | None:
    if not settings.dns_resolver:
        return None
    host, _, port = settings.dns_resolver.rpartition(":")
    return host, int(port)


def _checker(settings: Settings, services: Services) -> VerificationChecker:
    from postwarden.dns.resolver import Resolver
    from postwarden.services.verification import VerificationChecker, VerificationSettings

    return VerificationChecker(
        services.store,
        Resolver(_nameserver(settings)),
        SystemClock(),
        VerificationSettings(
            dkim_zone=settings.dkim_zone,
            mail_from_mx_host=settings.effective_mail_from_mx_host,
            spf_include=settings.effective_spf_include,
            recheck_seconds=settings.verification_recheck_seconds,
            poll_seconds=settings.verification_poll_seconds,
        ),
    )


def _recommendations(settings: Settings, services: Services) -> RecommendationService:
    from postwarden.authcheck import ResolverLookup
    from postwarden.services.recommendations import RecommendationService, RecommendationSettings

    return RecommendationService(
        services.identities,
        ResolverLookup(_nameserver(settings)),
        SystemClock(),
        RecommendationSettings(
            dkim_zone=settings.dkim_zone,
            default_mail_from=settings.effective_return_path_domain,
            sending_ips=tuple(ip.strip() for ip in settings.sending_ips.split(",") if ip.strip()),
            spf_include=settings.effective_spf_include,
        ),
    )


@dataclass
class Reviews:
    access: ProductionAccessService
    sandbox: SandboxReturns


def build_reviews(settings: Settings, services: Services, sender: SendService | None = None) -> Reviews:
    """Production access reviews and returns to the sandbox. Without `sender` (operator commands) the
    review mail is queued in the database for the running server's delivery workers."""
    from postwarden.authcheck import ResolverLookup
    from postwarden.domain.policy.send import PolicySettings
    from postwarden.services.production_access import ProductionAccessService, ReviewSettings
    from postwarden.services.recommendations import RecommendationSettings
    from postwarden.services.review_facts import FactSettings, ReviewFactGatherer
    from postwarden.services.review_mail import ReviewMail, ReviewMailSettings
    from postwarden.services.sandbox_return import SandboxReturns
    from postwarden.services.send import SendService, SendSettings
    from postwarden.webhooks.endpoints import EndpointGuard
    from postwarden.webhooks.probe import HttpxWebsiteProbe

    clock = SystemClock()
    tiers = TierDefaults(
        sandbox=SendingLimits(settings.sandbox_max_24_hour_send, settings.sandbox_max_send_rate),
        production=SendingLimits(settings.production_max_24_hour_send, settings.production_max_send_rate),
    )
    if sender is None:
        sender = SendService(
            services.store,
            clock,
            SendSettings(tiers.sandbox, PolicySettings(), settings.effective_return_path_domain),
        )
    mail = ReviewMail(
        sender, clock, ReviewMailSettings(settings.effective_verification_sender, settings.hostname)
    )
    facts = ReviewFactGatherer(
        services.store,
        ResolverLookup(_nameserver(settings)),
        HttpxWebsiteProbe(EndpointGuard(allow_private=settings.webhook_allow_private)),
        clock,
        FactSettings(
            RecommendationSettings(
                dkim_zone=settings.dkim_zone,
                default_mail_from=settings.effective_return_path_domain,
                sending_ips=tuple(ip.strip() for ip in settings.sending_ips.split(",") if ip.strip()),
                spf_include=settings.effective_spf_include,
            ),
            check_website=settings.review_check_website,
        ),
    )
    return Reviews(
        ProductionAccessService(
            services.store, clock, facts, mail, ReviewSettings(tiers, auto_grant=settings.review_auto_grant)
        ),
        SandboxReturns(services.store, clock, mail, tiers.sandbox, settings.sandbox_after_shutdowns),
    )


def _admin_api(
    settings: Settings,
    services: Services,
    reviews: Reviews,
    reputation: ReputationService,
    topics: TopicService,
) -> AdminApi:
    """The operator's admin API (off, answering 404, while `admin_token` is empty); add routes here."""
    from postwarden.api.admin import AdminApi
    from postwarden.api.admin_reputation import ReputationAdminRoutes
    from postwarden.api.admin_reviews import ReviewAdminRoutes
    from postwarden.api.admin_topics import TopicAdminRoutes

    regions = settings.region_list
    return AdminApi(
        settings.admin_token,
        [
            *ReviewAdminRoutes(reviews.access, reviews.sandbox, SystemClock(), regions).routes(),
            *ReputationAdminRoutes(reputation, services.accounts, regions).routes(),
            *TopicAdminRoutes(topics, regions).routes(),
        ],
    )


def _metrics_endpoint(
    settings: Settings, services: Services, reputation: ReputationService
) -> MetricsEndpoint:
    """Prometheus at /metrics (404 unless `metrics_enabled`; the admin token guards it when set)."""
    from postwarden.api.prometheus import MetricsEndpoint
    from postwarden.services.monitoring import MonitoringService

    monitoring = MonitoringService(services.store, SystemClock(), reputation)
    return MetricsEndpoint(monitoring.collect, enabled=settings.metrics_enabled, token=settings.admin_token)


def _dns_authority(settings: Settings, services: Services) -> DnsAuthority | None:
    """Postwarden's own name server for the DKIM zone: `<token>.<zone>` TXT carries the public key."""
    if not settings.dns_server_port:
        return None
    from postwarden.dkim.keys import dns_txt_value
    from postwarden.dns.authority import DnsAuthority

    async def lookup(label: str) -> list[str] | None:
        key = await asyncio.to_thread(services.dkim.public_key, label.lower())
        return None if key is None else [dns_txt_value(key)]

    return DnsAuthority(
        settings.dkim_zone, lookup, host=settings.dns_server_host, port=settings.dns_server_port
    )


def _routes(settings: Settings) -> MxResolver | StaticRoutes:
    from postwarden.delivery.mx import MxResolver, StaticRoutes

    if settings.relay:
        host, _, port = settings.relay.rpartition(":")
        return StaticRoutes(host or "127.0.0.1", int(port))
    if settings.dns_resolver:
        host, _, port = settings.dns_resolver.rpartition(":")
        return MxResolver((host, int(port)), port=settings.outbound_smtp_port)
    return MxResolver(port=settings.outbound_smtp_port)


def smtp_server(settings: Settings, server: Server) -> SubmissionServer | None:
    """The SES SMTP interface, sharing the API's accept pipeline; None when both ports are 0."""
    if not settings.smtp_port and not settings.smtps_port:
        return None
    from postwarden.services.compose import MessageComposer
    from postwarden.smtp.server import SubmissionSettings, submission_server
    from postwarden.smtp.tls import server_context

    tls = server_context(
        settings.data_dir,
        settings.hostname,
        cert_file=settings.smtp_tls_cert,
        key_file=settings.smtp_tls_key,
        extra_names=(settings.smtp_host,),
    )
    return submission_server(
        SubmissionSettings(
            host=settings.smtp_host,
            starttls_port=settings.smtp_port,
            tls_port=settings.smtps_port,
            hostname=settings.hostname,
            max_connections=settings.smtp_max_connections,
            idle_timeout=settings.smtp_idle_timeout,
        ),
        tls,
        composer=MessageComposer(server.sender, SystemClock(), settings.hostname),
        sender=server.sender,
        lookup=server.services.accounts.caller,
        regions=settings.region_list,
    )


def feedback_mx(settings: Settings, server: Server) -> FeedbackMx | None:
    """The inbound feedback MX for the bounce domains; None when its port is 0."""
    if not settings.feedback_smtp_port:
        return None
    from postwarden.feedback.mx import FeedbackHandler, FeedbackMx, FeedbackMxSettings
    from postwarden.services.feedback import FeedbackService

    domains = (
        settings.effective_return_path_domain,
        *(d.strip() for d in settings.feedback_extra_domains.split(",") if d.strip()),
    )
    service = FeedbackService(server.services.store, SystemClock(), settings.hostname)
    return FeedbackMx(
        FeedbackMxSettings(
            settings.feedback_smtp_host, settings.feedback_smtp_port, settings.hostname, domains
        ),
        FeedbackHandler(service, domains),
    )
