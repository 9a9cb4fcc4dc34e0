"""Identities an account may send from (and, in the sandbox, to)."""

from __future__ import annotations

import base64
import secrets

from postwarden.domain.identities import (
    IdentityType,
    VerificationStatus,
    identity_type_of,
    normalize_identity,
)
from postwarden.ports import Clock, Identity, Store, VerificationUpdate
from postwarden.services.dkim import KEY_LENGTHS, DkimKeys


class IdentityExistsError(Exception):
    pass


class IdentityNotFoundError(LookupError):
    pass


class MailFromDomainError(ValueError):
    pass


class IdentityTypeError(ValueError):
    """The operation applies to domain identities only."""


class IdentityService:
    def __init__(self, store: Store, clock: Clock, dkim: DkimKeys) -> None:
        self._store = store
        self._clock = clock
        self._dkim = dkim

    def create(
        self,
        account_id: str,
        region: str,
        name: str,
        tags: dict[str, str] | None = None,
        *,
        key_length: str = "RSA_2048_BIT",
        external_key: tuple[str, str] | None = None,
    ) -> Identity:
        """A pending identity. A domain gets Easy DKIM (three tokens and key pairs), or the sender's own
        key when `external_key` (selector, private key) is given."""
        kind = identity_type_of(name)
        domain = kind is IdentityType.DOMAIN
        key = normalize_identity(name)
        now = self._clock.now()
        tokens: tuple[str, ...] = self._dkim.new_tokens() if domain and external_key is None else ()
        keys = []
        if domain and external_key is not None:
            keys = [self._dkim.external(account_id, region, key, *external_key)]
        elif domain:
            keys = self._dkim.generate(account_id, region, key, tokens, KEY_LENGTHS[key_length])
        identity = Identity(
            account_id=account_id,
            region=region,
            name=key,
            identity_type=kind,
            verification_status=VerificationStatus.PENDING,
            created_at=now,
            tags=tags or {},
            verification_token=base64.b64encode(secrets.token_bytes(33)).decode() if domain else None,
            dkim_tokens=tokens,
            dkim_signing_enabled=domain,
            dkim_status=VerificationStatus.PENDING if domain else VerificationStatus.NOT_STARTED,
            dkim_origin="EXTERNAL" if external_key is not None else "AWS_SES",
            dkim_key_generated_at=now if domain else None,
        )
        with self._store.transaction() as tx:
            if not tx.identities.add(identity):
                raise IdentityExistsError(name)
            tx.dkim.add(keys)
        return identity

    def ensure(self, account_id: str, region: str, name: str) -> Identity:
        """The identity, created (pending) if it does not exist yet: what the v1 Verify* calls do."""
        try:
            return self.create(account_id, region, name)
        except IdentityExistsError:
            return self.get(account_id, region, name)

    def get(self, account_id: str, region: str, name: str) -> Identity:
        with self._store.read() as tx:
            identity = tx.identities.get(account_id, region, normalize_identity(name))
        if identity is None:
            raise IdentityNotFoundError(name)
        return identity

    def list(self, account_id: str, region: str, identity_type: IdentityType | None = None) -> list[Identity]:
        with self._store.read() as tx:
            found = tx.identities.for_account(account_id, region)
        return [i for i in found if identity_type is None or i.identity_type is identity_type]

    def delete(self, account_id: str, region: str, name: str) -> None:
        key = normalize_identity(name)
        with self._store.transaction() as tx:
            if not tx.identities.delete(account_id, region, key):
                raise IdentityNotFoundError(name)
            tx.dkim.delete_for_identity(account_id, region, key)
            tx.event_destinations.delete_identity_topics(account_id, region, key)

    def signing_key_bits(self, account_id: str, region: str, name: str) -> int | None:
        with self._store.read() as tx:
            keys = tx.dkim.for_identity(account_id, region, normalize_identity(name))
        return next((k.bits for k in keys if k.signing), None)

    def set_dkim_signing(self, account_id: str, region: str, name: str, enabled: bool) -> None:
        with self._store.transaction() as tx:
            if not tx.identities.set_dkim(
                account_id, region, normalize_identity(name), signing_enabled=enabled
            ):
                raise IdentityNotFoundError(name)
        self._dkim.forget()

    def set_dkim_origin(
        self,
        account_id: str,
        region: str,
        name: str,
        *,
        external_key: tuple[str, str] | None,
        key_length: str = "RSA_2048_BIT",
    ) -> Identity:
        """Switch a domain to the sender's own key (EXTERNAL) or to new Easy DKIM keys (AWS_SES); either
        way DKIM is pending until the checker finds the records."""
        key = normalize_identity(name)
        current = self.get(account_id, region, key)
        if current.identity_type is not IdentityType.DOMAIN:
            raise IdentityTypeError(name)
        tokens: tuple[str, ...] = ()
        if external_key is not None:
            keys = [self._dkim.external(account_id, region, key, *external_key)]
        else:
            tokens = self._dkim.new_tokens()
            keys = self._dkim.generate(account_id, region, key, tokens, KEY_LENGTHS[key_length])
        with self._store.transaction() as tx:
            tx.dkim.delete_for_identity(account_id, region, key)
            tx.dkim.add(keys)
            tx.identities.set_dkim(
                account_id,
                region,
                key,
                signing_enabled=True,
                origin="EXTERNAL" if external_key is not None else "AWS_SES",
                status=VerificationStatus.PENDING,
                tokens=tokens,
                generated_at=self._clock.now(),
            )
            identity = tx.identities.get(account_id, region, key)
        self._dkim.forget()
        assert identity is not None
        return identity

    def rotate_dkim(self, account_id: str, region: str, name: str, actor: str) -> str:
        """Easy DKIM key rotation: a new key under the next token, which becomes the signing one. The
        previous signing key stays published, so mail already signed with it still verifies; the sender's
        CNAMEs do not change. Returns the new signing selector."""
        key = normalize_identity(name)
        with self._store.read() as tx:
            keys = tx.dkim.for_identity(account_id, region, key)
            identity = tx.identities.get(account_id, region, key)
        if identity is None:
            raise IdentityNotFoundError(name)
        if identity.dkim_origin != "AWS_SES" or not identity.dkim_tokens:
            raise IdentityTypeError(name)
        tokens = list(identity.dkim_tokens)
        current = next((k.selector for k in keys if k.signing), tokens[0])
        selector = tokens[(tokens.index(current) + 1) % len(tokens)]
        bits = next((k.bits for k in keys if k.signing), 2048)
        (fresh,) = self._dkim.generate(account_id, region, key, [selector], bits)
        now = self._clock.now()
        with self._store.transaction() as tx:
            tx.dkim.replace_key(fresh)
            tx.identities.set_dkim(account_id, region, key, generated_at=now)
            tx.audit.record(
                now, actor, "dkim.rotate", account_id, region, {"identity": key, "selector": selector}
            )
        self._dkim.forget()
        return selector

    def set_mail_from(
        self, account_id: str, region: str, name: str, domain: str | None, behavior: str = "USE_DEFAULT_VALUE"
    ) -> None:
        """Configure (or, with None, remove) a custom MAIL FROM domain: a subdomain of the identity."""
        key = normalize_identity(name)
        identity_domain = key.rpartition("@")[2]
        if domain:
            domain = domain.strip().rstrip(".").lower()
            if not domain.endswith("." + identity_domain):
                raise MailFromDomainError(
                    f"The MAIL FROM domain {domain} must be a subdomain of the identity's domain "
                    f"{identity_domain}."
                )
        with self._store.transaction() as tx:
            if not tx.identities.set_mail_from(account_id, region, key, domain or None, behavior):
                raise IdentityNotFoundError(name)

    def confirm_email(self, account_id: str, region: str, address: str) -> None:
        """The address owner followed the verification link."""
        key = normalize_identity(address)
        now = self._clock.now()
        with self._store.transaction() as tx:
            current = tx.identities.get(account_id, region, key)
            if current is None:
                raise IdentityNotFoundError(address)
            tx.identities.record_check(
                VerificationUpdate(
                    account_id,
                    region,
                    key,
                    VerificationStatus.SUCCESS,
                    current.dkim_status,
                    now,
                    now,
                    None,
                    None,
                )
            )
            tx.audit.record(now, f"link:{key}", "identity.confirm", account_id, region, {"identity": key})

    def mark_verified(self, account_id: str, region: str, name: str, actor: str) -> Identity:
        """The operator override: verified now, whether or not it was created before."""
        now = self._clock.now()
        key = normalize_identity(name)
        with self._store.transaction() as tx:
            if tx.identities.get(account_id, region, key) is None:
                tx.identities.add(
                    Identity(
                        account_id, region, key, identity_type_of(key), VerificationStatus.SUCCESS, now, now
                    )
                )
            tx.identities.set_status(account_id, region, key, VerificationStatus.SUCCESS, now)
            tx.audit.record(now, actor, "identity.verify", account_id, region, {"identity": key})
            identity = tx.identities.get(account_id, region, key)
        assert identity is not None
        return identity
