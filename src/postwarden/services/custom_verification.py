"""Custom verification email templates and SendCustomVerificationEmail.

The account's own message (its From address, subject and HTML) carries the same signed 24-hour link as
Postwarden's own verification email, sent through the same durable queue. Following the link verifies the
address and sends the browser to the template's SuccessRedirectionURL, or to its FailureRedirectionURL
when the link has expired or is not valid. SES allows this only out of the sandbox.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from postwarden.domain.addresses import EmailAddress
from postwarden.domain.decision import Decision, Rule
from postwarden.domain.identities import VerifiedIdentities, candidate_identities
from postwarden.domain.model import EnforcementStatus, SendingState
from postwarden.domain.policy.sandbox import check_identities
from postwarden.domain.policy.send import SENDING_DISABLED, SENDING_PAUSED
from postwarden.domain.verification_content import check_content, with_verification_link
from postwarden.mail import MailError, build_simple_message, parse_address
from postwarden.ports import Clock, Store, Transaction, VerificationTemplate
from postwarden.services.accounts import AccountService
from postwarden.services.email_verification import VERIFY_PATH, EmailVerification, ServiceMail
from postwarden.services.identities import IdentityNotFoundError, IdentityService
from postwarden.services.links import InvalidLinkError
from postwarden.services.send import SendService

MAX_TEMPLATES = 50
"""SES: "You can create up to 50 custom verification email templates" (per account, here per region)."""
MAX_PAGE_SIZE = 50
CUSTOM_VERIFY_PATH = f"{VERIFY_PATH}/custom"


class TemplateExistsError(Exception):
    pass


class TemplateNotFoundError(LookupError):
    pass


class TemplateLimitError(Exception):
    pass


class InvalidParameterError(ValueError):
    pass


class SenderNotVerifiedError(Exception):
    """The template's FromEmailAddress is neither a verified address nor on a verified domain."""


class ProductionAccessError(Exception):
    """SES: "To use this feature, your Amazon SES account has to be out of the sandbox"."""


class SendRefusedError(Exception):
    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.message)
        self.decision = decision


@dataclass(frozen=True, slots=True)
class TemplateChanges:
    """UpdateCustomVerificationEmailTemplate: the attributes given overwrite the stored ones."""

    from_email_address: str | None = None
    subject: str | None = None
    content: str | None = None
    success_redirection_url: str | None = None
    failure_redirection_url: str | None = None


class VerificationTemplates:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def create(
        self,
        account_id: str,
        region: str,
        name: str,
        changes: TemplateChanges,
        tags: Mapping[str, str] | None = None,
    ) -> VerificationTemplate:
        template = VerificationTemplate(
            account_id,
            region,
            name,
            plain_address(changes.from_email_address or "", "FromEmailAddress"),
            changes.subject or "",
            changes.content or "",
            changes.success_redirection_url or "",
            changes.failure_redirection_url or "",
            self._clock.now(),
            dict(tags or {}),
        )
        if not name:
            raise InvalidParameterError("TemplateName must not be empty.")
        check_content(template.content)
        with self._store.transaction() as tx:
            _require_verified_sender(tx, template)
            count = tx.verification_templates.count(account_id, region)
            if count >= MAX_TEMPLATES:
                if tx.verification_templates.get(account_id, region, name) is not None:
                    raise TemplateExistsError(name)
                raise TemplateLimitError(
                    f"You can create up to {MAX_TEMPLATES} custom verification email templates in region "
                    f"{region}; this account has {count}. Delete one before creating another."
                )
            if not tx.verification_templates.add(template):
                raise TemplateExistsError(name)
        return template

    def get(self, account_id: str, region: str, name: str) -> VerificationTemplate:
        with self._store.read() as tx:
            template = tx.verification_templates.get(account_id, region, name)
        if template is None:
            raise TemplateNotFoundError(name)
        return template

    def page(
        self, account_id: str, region: str, after: str | None, size: int
    ) -> tuple[list[VerificationTemplate], str | None]:
        """Up to `size` templates (without their content) after `after`, and the name to continue after."""
        with self._store.read() as tx:
            found = tx.verification_templates.page(account_id, region, after, size + 1)
        return found[:size], (found[size - 1].name if len(found) > size else None)

    def update(self, account_id: str, region: str, name: str, changes: TemplateChanges) -> None:
        if changes.content is not None:
            check_content(changes.content)
        sender = changes.from_email_address
        if sender is not None:
            sender = plain_address(sender, "FromEmailAddress")
        with self._store.transaction() as tx:
            current = tx.verification_templates.get(account_id, region, name)
            if current is None:
                raise TemplateNotFoundError(name)
            updated = replace(
                current,
                from_email_address=sender or current.from_email_address,
                subject=_given(changes.subject, current.subject),
                content=_given(changes.content, current.content),
                success_redirection_url=_given(
                    changes.success_redirection_url, current.success_redirection_url
                ),
                failure_redirection_url=_given(
                    changes.failure_redirection_url, current.failure_redirection_url
                ),
            )
            if sender is not None:
                _require_verified_sender(tx, updated)
            tx.verification_templates.replace(updated)

    def delete(self, account_id: str, region: str, name: str) -> None:
        with self._store.transaction() as tx:
            if not tx.verification_templates.delete(account_id, region, name):
                raise TemplateNotFoundError(name)

    def check_sender(self, template: VerificationTemplate) -> Decision:
        """Whether the template's FromEmailAddress is verified now (SES's send-time check and text)."""
        sender = EmailAddress.of(template.from_email_address)
        with self._store.read() as tx:
            verified = _verified(tx, template.account_id, template.region, sender)
        return check_identities([sender], [], verified, sandbox=False, region=template.region)


@dataclass(frozen=True, slots=True)
class CustomVerificationSettings:
    secret: bytes
    """The server key; links are signed with a key derived from it."""
    hostname: str
    contact: str
    """The address the disclaimer at the end of every custom verification email names."""


@dataclass(frozen=True, slots=True)
class LinkContext:
    """Which template's redirection URLs apply to a followed link."""

    account_id: str
    region: str
    template: str


class ContextSigner:
    """Binds a template to one verification token, so that neither can be swapped in a link."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"verify-email-custom\0" + secret).digest()

    def sign(self, token: str, context: LinkContext) -> str:
        data = {"a": context.account_id, "r": context.region, "t": context.template}
        payload = _b64(json.dumps(data, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(token, payload)}"

    def read(self, token: str, value: str) -> LinkContext | None:
        payload, _, mac = value.partition(".")
        if not payload or not hmac.compare_digest(mac, self._mac(token, payload)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            return LinkContext(str(data["a"]), str(data["r"]), str(data["t"]))
        except (ValueError, KeyError, TypeError):
            return None

    def _mac(self, token: str, payload: str) -> str:
        return _b64(hmac.new(self._key, f"{token}\n{payload}".encode(), hashlib.sha256).digest())


class CustomVerificationMail:
    def __init__(
        self,
        templates: VerificationTemplates,
        accounts: AccountService,
        identities: IdentityService,
        verification: EmailVerification,
        sender: SendService,
        clock: Clock,
        settings: CustomVerificationSettings,
    ) -> None:
        self._templates = templates
        self._accounts = accounts
        self._identities = identities
        self._verification = verification
        self._sender = sender
        self._clock = clock
        self._settings = settings
        self._signer = ContextSigner(settings.secret)

    async def send(
        self, account_id: str, region: str, address: str, template_name: str, caller: str, source_ip: str
    ) -> str:
        """Queue the template's email with a verification link to `address`; returns its message id."""
        recipient = plain_address(address, "EmailAddress")
        template = await asyncio.to_thread(self._prepare, account_id, region, recipient, template_name)
        message_id = self._sender.new_message_id(region)
        try:
            content = build_simple_message(
                from_address=template.from_email_address,
                to=[recipient],
                subject=template.subject,
                html=with_verification_link(
                    template.content, self._link(template, recipient), self._settings.contact
                ),
                message_id=f"<{message_id}@{region}.{self._settings.hostname}>",
                date=datetime.fromtimestamp(self._clock.now(), UTC),
            )
        except MailError as error:
            raise InvalidParameterError(f"The custom verification email can't be built: {error}") from error
        await self._verification.queue(
            ServiceMail(account_id, region, message_id, template.from_email_address, recipient, content),
            caller=caller,
            source_ip=source_ip,
            operation="SendCustomVerificationEmail",
            subject=template.subject,
        )
        return message_id

    def follow(self, token: str, context: str) -> str | None:
        """Verify the address a followed link names; the URL to send the browser to, or None when the link
        names no (existing) template, and the plain verification page should answer instead."""
        named = self._signer.read(token, context)
        if named is None:
            return None
        try:
            template = self._templates.get(named.account_id, named.region, named.template)
        except TemplateNotFoundError:
            return None
        try:  # the context is signed together with this token, so both name the same account
            self._verification.confirm(token)
        except (InvalidLinkError, IdentityNotFoundError):
            return template.failure_redirection_url
        return template.success_redirection_url

    def _prepare(self, account_id: str, region: str, recipient: str, name: str) -> VerificationTemplate:
        state = self._accounts.sending_state(account_id, region)
        if not state.production_access:
            raise ProductionAccessError(
                "Production access not granted: custom verification emails can be sent only once the "
                f"account is out of the sandbox in region {region}. Request production access first."
            )
        template = self._templates.get(account_id, region, name)
        refusal = _paused(state)
        if refusal is not None:
            raise SendRefusedError(refusal)
        decision = self._templates.check_sender(template)
        if not decision.allowed:
            raise SenderNotVerifiedError(decision.message)
        self._identities.ensure(account_id, region, recipient)
        return template

    def _link(self, template: VerificationTemplate, recipient: str) -> str:
        parts = urlsplit(self._verification.link(template.account_id, template.region, recipient))
        token = parse_qs(parts.query)["token"][0]
        context = self._signer.sign(token, LinkContext(template.account_id, template.region, template.name))
        path = parts.path.removesuffix(VERIFY_PATH) + CUSTOM_VERIFY_PATH
        return urlunsplit(parts._replace(path=path, query=urlencode({"token": token, "context": context})))


def plain_address(value: str, member: str) -> str:
    """An email address without a display name (SES: FromEmailAddress "doesn't support display names")."""
    try:
        address = parse_address(value)
    except MailError as error:
        raise InvalidParameterError(f"Invalid {member} {value!r}: {error}") from error
    if address.display_name or value.strip() != address.addr_spec:
        raise InvalidParameterError(f"{member} must be a bare email address, without a display name: {value}")
    return address.addr_spec


def _verified(tx: Transaction, account_id: str, region: str, address: EmailAddress) -> VerifiedIdentities:
    return VerifiedIdentities(tx.identities.verified_names(account_id, region, candidate_identities(address)))


def _require_verified_sender(tx: Transaction, template: VerificationTemplate) -> None:
    sender = EmailAddress.of(template.from_email_address)
    if not _verified(tx, template.account_id, template.region, sender).covers(sender):
        raise SenderNotVerifiedError(
            f"The from email address {sender.addr_spec} is not verified in region {template.region}: "
            "verify the address, or its domain, before using it in a custom verification email template."
        )


def _paused(state: SendingState) -> Decision | None:
    if state.enforcement_status is EnforcementStatus.SHUTDOWN:
        explanation = f"sending is paused in {state.region} by reputation enforcement (status SHUTDOWN)"
        return Decision.refuse(Rule.ACCOUNT_PAUSED, SENDING_PAUSED, explanation)
    if not state.sending_enabled:
        explanation = f"sending was disabled for this account in {state.region}"
        return Decision.refuse(Rule.SENDING_DISABLED, SENDING_DISABLED, explanation)
    return None


def _given(value: str | None, current: str) -> str:
    return current if value is None else value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
