"""Configuration sets as the account manages them."""

from __future__ import annotations

from collections.abc import Mapping

from postwarden.domain.configuration_sets import ConfigurationSet
from postwarden.ports import Clock, Store

MAX_PER_REGION = 10_000


class ConfigurationSetExistsError(Exception):
    pass


class ConfigurationSetNotFoundError(LookupError):
    pass


class ConfigurationSetLimitError(Exception):
    pass


class ConfigurationSetService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def create(
        self,
        account_id: str,
        region: str,
        name: str,
        *,
        sending_enabled: bool = True,
        tls_policy: str = "OPTIONAL",
        max_delivery_seconds: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> ConfigurationSet:
        config = ConfigurationSet(
            account_id,
            region,
            name,
            self._clock.now(),
            sending_enabled,
            tls_policy,
            max_delivery_seconds,
            tags or {},
        )
        with self._store.transaction() as tx:
            if len(tx.configuration_sets.for_account(account_id, region)) >= MAX_PER_REGION:
                raise ConfigurationSetLimitError(name)
            if not tx.configuration_sets.add(config):
                raise ConfigurationSetExistsError(name)
        return config

    def get(self, account_id: str, region: str, name: str) -> ConfigurationSet:
        with self._store.read() as tx:
            config = tx.configuration_sets.get(account_id, region, name)
        if config is None:
            raise ConfigurationSetNotFoundError(name)
        return config

    def list(self, account_id: str, region: str) -> list[ConfigurationSet]:
        with self._store.read() as tx:
            return tx.configuration_sets.for_account(account_id, region)

    def delete(self, account_id: str, region: str, name: str) -> None:
        with self._store.transaction() as tx:
            if not tx.configuration_sets.delete(account_id, region, name):
                raise ConfigurationSetNotFoundError(name)
            tx.event_destinations.delete_for_set(account_id, region, name)

    def set_sending(self, account_id: str, region: str, name: str, enabled: bool) -> None:
        self._update(account_id, region, name, sending_enabled=enabled)

    def set_delivery(
        self,
        account_id: str,
        region: str,
        name: str,
        tls_policy: str | None,
        max_delivery_seconds: int | None,
    ) -> None:
        self._update(
            account_id,
            region,
            name,
            tls_policy=tls_policy or "OPTIONAL",
            max_delivery_seconds=max_delivery_seconds,
        )

    def _update(self, account_id: str, region: str, name: str, **values: object) -> None:
        with self._store.transaction() as tx:
            if not tx.configuration_sets.update(account_id, region, name, **values):
                raise ConfigurationSetNotFoundError(name)
