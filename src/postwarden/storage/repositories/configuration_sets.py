"""Configuration sets per (account, region)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from postwarden.domain.configuration_sets import ConfigurationSet
from postwarden.domain.suppression import SuppressionReason
from postwarden.storage.tables import configuration_sets as table


class SqlConfigurationSetRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, config: ConfigurationSet) -> bool:
        savepoint = self._c.begin_nested()
        try:
            self._c.execute(
                insert(table).values(
                    account_id=config.account_id,
                    region=config.region,
                    name=config.name,
                    created_at=config.created_at,
                    sending_enabled=config.sending_enabled,
                    tls_policy=config.tls_policy,
                    max_delivery_seconds=config.max_delivery_seconds,
                    tags=json.dumps(dict(config.tags)),
                    **option_values(config),
                )
            )
        except IntegrityError:
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

    def get(self, account_id: str, region: str, name: str) -> ConfigurationSet | None:
        row = self._c.execute(select(table).where(*_key(account_id, region, name))).mappings().first()
        return None if row is None else _config(row)

    def many(self, account_id: str, region: str, names: Iterable[str]) -> dict[str, ConfigurationSet]:
        wanted = list(set(names))
        if not wanted:
            return {}
        query = select(table).where(table.c.account_id == account_id, table.c.region == region)
        query = query.where(table.c.name.in_(wanted))
        return {row["name"]: _config(row) for row in self._c.execute(query).mappings()}

    def for_account(self, account_id: str, region: str) -> list[ConfigurationSet]:
        query = (
            select(table)
            .where(table.c.account_id == account_id, table.c.region == region)
            .order_by(table.c.name)
        )
        return [_config(row) for row in self._c.execute(query).mappings()]

    def update(self, account_id: str, region: str, name: str, **values: Any) -> bool:
        result = self._c.execute(update(table).where(*_key(account_id, region, name)).values(**values))
        return bool(result.rowcount)

    def delete(self, account_id: str, region: str, name: str) -> bool:
        return bool(self._c.execute(delete(table).where(*_key(account_id, region, name))).rowcount)


def _key(account_id: str, region: str, name: str) -> tuple[ColumnElement[bool], ...]:
    return (table.c.account_id == account_id, table.c.region == region, table.c.name == name)


def _config(row: Any) -> ConfigurationSet:
    return ConfigurationSet(
        account_id=row["account_id"],
        region=row["region"],
        name=row["name"],
        created_at=row["created_at"],
        sending_enabled=bool(row["sending_enabled"]),
        tls_policy=row["tls_policy"],
        max_delivery_seconds=row["max_delivery_seconds"],
        tags=json.loads(row["tags"]),
        reputation_metrics_enabled=bool(row["reputation_metrics_enabled"]),
        last_fresh_start=row["last_fresh_start"],
        suppressed_reasons=(
            None
            if row["suppressed_reasons"] is None
            else frozenset(SuppressionReason(r) for r in json.loads(row["suppressed_reasons"]))
        ),
        tracking_domain=row["tracking_domain"],
        https_policy=row["https_policy"],
    )


def option_values(config: ConfigurationSet) -> dict[str, Any]:
    """The reputation, suppression and tracking options as column values."""
    reasons = config.suppressed_reasons
    return {
        "reputation_metrics_enabled": config.reputation_metrics_enabled,
        "last_fresh_start": config.last_fresh_start,
        "suppressed_reasons": None if reasons is None else json.dumps(sorted(r.value for r in reasons)),
        "tracking_domain": config.tracking_domain,
        "https_policy": config.https_policy,
    }
