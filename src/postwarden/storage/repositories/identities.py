"""Email-address and domain identities per (account, region)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, Connection, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from postwarden.domain.identities import IdentityType, MailFromSetting, VerificationStatus
from postwarden.ports import Identity, VerificationUpdate
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
                    dkim_signing_enabled=identity.dkim_signing_enabled,
                    dkim_status=identity.dkim_status.value,
                    dkim_origin=identity.dkim_origin,
                    dkim_key_generated_at=identity.dkim_key_generated_at,
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

    def for_account(self, account_id: str, region: str) -> list[Identity]:
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
            values["verified_by_operator"] = True
        result = self._c.execute(
            update(identities).where(*self._key(account_id, region, name)).values(values)
        )
        return bool(result.rowcount)

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
    ) -> bool:
        values: dict[str, object] = {}
        if signing_enabled is not None:
            values["dkim_signing_enabled"] = signing_enabled
        if origin is not None:
            values["dkim_origin"] = origin
        if status is not None:
            values["dkim_status"] = status.value
        if tokens is not None:
            values["dkim_tokens"] = json.dumps(list(tokens))
        if generated_at is not None:
            values["dkim_key_generated_at"] = generated_at
        if not values:
            return True
        result = self._c.execute(
            update(identities).where(*self._key(account_id, region, name)).values(values)
        )
        return bool(result.rowcount)

    def due_for_check(self, checked_before: float, limit: int) -> list[Identity]:
        """Domain identities not checked since `checked_before`, least recently checked first."""
        query = (
            select(identities)
            .where(
                or_(
                    identities.c.identity_type == IdentityType.DOMAIN.value,
                    identities.c.mail_from_domain.is_not(None),
                )
            )
            .where(or_(identities.c.last_checked_at.is_(None), identities.c.last_checked_at < checked_before))
            .where(identities.c.verification_status != VerificationStatus.FAILED.value)
            # something to look for: Easy DKIM tokens, the v1 TXT token, the sender's own key, MAIL FROM
            .where(
                or_(
                    identities.c.dkim_tokens != "[]",
                    identities.c.verification_token.is_not(None),
                    identities.c.dkim_origin == "EXTERNAL",
                    identities.c.mail_from_domain.is_not(None),
                )
            )
            .order_by(identities.c.last_checked_at.is_not(None), identities.c.last_checked_at)
            .limit(limit)
        )
        return [_identity(row) for row in self._c.execute(query).mappings()]

    def record_check(self, update_: VerificationUpdate) -> None:
        values: dict[str, object] = {
            # an operator's verification stands, whatever DNS says; DKIM still follows DNS
            "verification_status": case(
                (identities.c.verified_by_operator.is_(True), identities.c.verification_status),
                else_=update_.status.value,
            ),
            "dkim_status": update_.dkim_status.value,
            "last_checked_at": update_.checked_at,
            "last_success_at": update_.last_success_at,
            "failing_since": update_.failing_since,
            "error_type": update_.error_type,
        }
        if update_.mail_from_status is not None:
            values["mail_from_status"] = update_.mail_from_status.value
        if update_.status is VerificationStatus.SUCCESS:
            values["verified_at"] = func.coalesce(identities.c.verified_at, update_.checked_at)
        self._c.execute(
            update(identities)
            .where(*self._key(update_.account_id, update_.region, update_.name))
            .values(values)
        )

    def set_mail_from(
        self, account_id: str, region: str, name: str, domain: str | None, behavior: str
    ) -> bool:
        values = {
            "mail_from_domain": domain,
            "mail_from_behavior": behavior,
            "mail_from_status": VerificationStatus.PENDING.value if domain else None,
            "last_checked_at": None,  # check the new records at once
        }
        result = self._c.execute(
            update(identities).where(*self._key(account_id, region, name)).values(values)
        )
        return bool(result.rowcount)

    def mail_from_settings(
        self, account_id: str, region: str, names: Iterable[str]
    ) -> dict[str, MailFromSetting]:
        wanted = list(set(names))
        if not wanted:
            return {}
        sql = (
            "SELECT name, mail_from_domain, mail_from_status, mail_from_behavior FROM identities "
            f"WHERE account_id = ? AND region = ? AND mail_from_domain IS NOT NULL AND name IN "
            f"({', '.join(['?'] * len(wanted))})"
        )
        return {
            name: MailFromSetting(domain, VerificationStatus(status or "PENDING"), behavior)
            for name, domain, status, behavior in fetch(self._c, sql, (account_id, region, *wanted))
        }

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
        dkim_signing_enabled=bool(data["dkim_signing_enabled"]),
        dkim_status=VerificationStatus(data["dkim_status"]),
        dkim_origin=data["dkim_origin"],
        dkim_key_generated_at=data["dkim_key_generated_at"],
        last_checked_at=data["last_checked_at"],
        last_success_at=data["last_success_at"],
        failing_since=data["failing_since"],
        error_type=data["error_type"],
        verified_by_operator=bool(data["verified_by_operator"]),
        mail_from_domain=data["mail_from_domain"],
        mail_from_behavior=data["mail_from_behavior"],
        mail_from_status=VerificationStatus(data["mail_from_status"]) if data["mail_from_status"] else None,
    )
