"""Identities an account may send from (and, in the sandbox, to)."""

from __future__ import annotations

import base64
import secrets
import string

from postwarden.domain.identities import (
    IdentityType,
    VerificationStatus,
    identity_type_of,
    normalize_identity,
)
from postwarden.ports import Clock, Identity, Store


class IdentityExistsError(Exception):
    pass


class IdentityNotFoundError(LookupError):
    pass


class IdentityService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def create(self, account_id: str, region: str, name: str, tags: dict[str, str] | None = None) -> Identity:
        kind = identity_type_of(name)
        domain = kind is IdentityType.DOMAIN
        identity = Identity(
            account_id=account_id,
            region=region,
            name=normalize_identity(name),
            identity_type=kind,
            verification_status=VerificationStatus.PENDING,
            created_at=self._clock.now(),
            tags=tags or {},
            verification_token=base64.b64encode(secrets.token_bytes(33)).decode() if domain else None,
            dkim_tokens=tuple(_dkim_token() for _ in range(3)) if domain else (),
        )
        with self._store.transaction() as tx:
            if not tx.identities.add(identity):
                raise IdentityExistsError(name)
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
            found = tx.identities.list(account_id, region)
        return [i for i in found if identity_type is None or i.identity_type is identity_type]

    def delete(self, account_id: str, region: str, name: str) -> None:
        with self._store.transaction() as tx:
            if not tx.identities.delete(account_id, region, normalize_identity(name)):
                raise IdentityNotFoundError(name)

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


def _dkim_token() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(32))
