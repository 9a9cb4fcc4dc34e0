"""Accounts and their access keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from postwarden.ports import AccessKey
from postwarden.storage.tables import access_keys, accounts


class SqlAccountRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add_account(self, account_id: str, created_at: float, name: str) -> None:
        self._c.execute(insert(accounts).values(account_id=account_id, created_at=created_at, name=name))

    def account_exists(self, account_id: str) -> bool:
        query = select(accounts.c.account_id).where(accounts.c.account_id == account_id)
        return self._c.execute(query).first() is not None

    def list_accounts(self) -> list[dict[str, Any]]:
        rows = self._c.execute(select(accounts).order_by(accounts.c.created_at)).mappings()
        return [dict(row) for row in rows]

    def add_access_key(self, key: AccessKey, created_at: float) -> None:
        self._c.execute(
            insert(access_keys).values(
                access_key_id=key.access_key_id,
                account_id=key.account_id,
                secret_ciphertext=key.secret_ciphertext,
                active=key.active,
                created_at=created_at,
            )
        )

    def get_access_key(self, access_key_id: str) -> AccessKey | None:
        query = select(access_keys).where(access_keys.c.access_key_id == access_key_id)
        row = self._c.execute(query).mappings().first()
        if row is None:
            return None
        return AccessKey(row["access_key_id"], row["account_id"], row["secret_ciphertext"], row["active"])
