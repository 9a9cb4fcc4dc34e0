"""Easy DKIM key pairs: one per token (selector); the private half is stored encrypted."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, insert, select, update

from postwarden.domain.identities import VerificationStatus
from postwarden.ports import DkimKey
from postwarden.storage.tables import dkim_keys, identities


class SqlDkimKeyRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, keys: Sequence[DkimKey]) -> None:
        if keys:
            self._c.execute(
                insert(dkim_keys),
                [
                    {
                        "selector": k.selector,
                        "account_id": k.account_id,
                        "region": k.region,
                        "identity": k.identity,
                        "private_ciphertext": k.private_ciphertext,
                        "public_key": k.public_key,
                        "bits": k.bits,
                        "created_at": k.created_at,
                        "signing": k.signing,
                    }
                    for k in keys
                ],
            )

    def for_identity(self, account_id: str, region: str, identity: str) -> list[DkimKey]:
        query = (
            select(dkim_keys)
            .where(
                dkim_keys.c.account_id == account_id,
                dkim_keys.c.region == region,
                dkim_keys.c.identity == identity,
            )
            .order_by(dkim_keys.c.created_at, dkim_keys.c.selector)
        )
        return [DkimKey(**dict(row)) for row in self._c.execute(query).mappings()]

    def public_key(self, selector: str) -> str | None:
        query = select(dkim_keys.c.public_key).where(dkim_keys.c.selector == selector)
        row = self._c.execute(query).first()
        return None if row is None else str(row[0])

    def signing_key(self, account_id: str, region: str, names: Sequence[str]) -> DkimKey | None:
        if not names:
            return None
        query = (
            select(dkim_keys)
            .join(
                identities,
                (identities.c.account_id == dkim_keys.c.account_id)
                & (identities.c.region == dkim_keys.c.region)
                & (identities.c.name == dkim_keys.c.identity),
            )
            .where(dkim_keys.c.account_id == account_id, dkim_keys.c.region == region)
            .where(dkim_keys.c.identity.in_(list(names)), dkim_keys.c.signing.is_(True))
            .where(identities.c.dkim_signing_enabled.is_(True))
            .where(identities.c.dkim_status == VerificationStatus.SUCCESS.value)
        )
        found = {row["identity"]: DkimKey(**dict(row)) for row in self._c.execute(query).mappings()}
        return next((found[name] for name in names if name in found), None)

    def replace_key(self, key: DkimKey) -> None:
        self._c.execute(delete(dkim_keys).where(dkim_keys.c.selector == key.selector))
        self._c.execute(
            update(dkim_keys)
            .where(
                dkim_keys.c.account_id == key.account_id,
                dkim_keys.c.region == key.region,
                dkim_keys.c.identity == key.identity,
            )
            .values(signing=False)
        )
        self.add([key])

    def delete_for_identity(self, account_id: str, region: str, identity: str) -> None:
        self._c.execute(
            delete(dkim_keys).where(
                dkim_keys.c.account_id == account_id,
                dkim_keys.c.region == region,
                dkim_keys.c.identity == identity,
            )
        )
