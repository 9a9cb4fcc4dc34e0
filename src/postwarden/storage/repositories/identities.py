"""Email-address and domain identities per (account, region)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from postwarden.domain.identities import IdentityType, VerificationStatus
from postwarden.ports import Identity
from postwarden.storage.driver import fetch
from postwarden.storage.tables import identities


class SqlIdentityRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def verified_names(self, account_id: str, region: str, names: Iterable[str]) -> frozenset[str]:
        wanted = list(set(names))
        if not wanted:
            return frozenset()
        sql = (
            "SELECT name FROM identities WHERE account_id = ? AND region = ? AND verification_status = ? "
            f"AND name IN ({', '.join(['?'] * len(wanted))})"
        )
        rows = fetch(self._c, sql, (account_id, region, VerificationStatus.SUCCESS.value, *wanted))
        return frozenset(row[0] for row in rows)

    def add(self, identity: Identity) -> bool:
        savepoint = self._c.begin_nested()
        try:
            self._c.execute(
                insert(identities).values(
                    account_id=identity.account_id,
                    region=identity.region,
                    name=identity.name,
                    identity_type=identity.identity_type.value,
                    verification_status=identity.verification_status.value,
                    created_at=identity.created_at,
                    verified_at=identity.verified_at,
                    tags=json.dumps(dict(identity.tags)),
                    verification_token=identity.verification_token,
                    dkim_tokens=json.dumps(list(identity.dkim_tokens)),
                )
            )
        except IntegrityError:
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

    def get(self, account_id: str, region: str, name: str) -> Identity | None:
        query = select(identities).where(*self._key(account_id, region, name))
        row = self._c.execute(query).mappings().first()
        return None if row is None else _identity(row)

    def list(self, account_id: str, region: str) -> list[Identity]:
        query = (
            select(identities)
            .where(identities.c.account_id == account_id, identities.c.region == region)
            .order_by(identities.c.name)
        )
        return [_identity(row) for row in self._c.execute(query).mappings()]

    def delete(self, account_id: str, region: str, name: str) -> bool:
        result = self._c.execute(delete(identities).where(*self._key(account_id, region, name)))
        return bool(result.rowcount)

    def set_status(
        self, account_id: str, region: str, name: str, status: VerificationStatus, at: float
    ) -> bool:
        values: dict[str, object] = {"verification_status": status.value}
        if status is VerificationStatus.SUCCESS:
            values["verified_at"] = at
        result = self._c.execute(
            update(identities).where(*self._key(account_id, region, name)).values(values)
        )
        return bool(result.rowcount)

    @staticmethod
    def _key(account_id: str, region: str, name: str) -> tuple[ColumnElement[bool], ...]:
        return (
            identities.c.account_id == account_id,
            identities.c.region == region,
            identities.c.name == name,
        )


def _identity(row: object) -> Identity:
    data = dict(row)  # type: ignore[call-overload]
    return Identity(
        account_id=data["account_id"],
        region=data["region"],
        name=data["name"],
        identity_type=IdentityType(data["identity_type"]),
        verification_status=VerificationStatus(data["verification_status"]),
        created_at=data["created_at"],
        verified_at=data["verified_at"],
        tags=json.loads(data["tags"]),
        verification_token=data["verification_token"],
        dkim_tokens=tuple(json.loads(data["dkim_tokens"])),
    )
