"""Configuration sets as the account manages them."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from postwarden.domain.configuration_sets import ConfigurationSet
from postwarden.domain.suppression import SuppressionReason
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
        options: Mapping[str, Any] | None = None,
    ) -> ConfigurationSet:
        """`options`: reputation_metrics_enabled, suppressed_reasons, tracking_domain, https_policy."""
        now = self._clock.now()
        config = ConfigurationSet(
            account_id,
            region,
            name,
            now,
            sending_enabled,
            tls_policy,
            max_delivery_seconds,
            tags or {},
            **dict(options or {}),
        )
        if config.reputation_metrics_enabled:
            config = replace(config, last_fresh_start=now)
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

    def set_reputation_metrics(self, account_id: str, region: str, name: str, enabled: bool) -> None:
        """Turning reputation metrics on gives the set a fresh start (LastFreshStart)."""
        values: dict[str, object] = {"reputation_metrics_enabled": enabled}
        if enabled:
            values["last_fresh_start"] = self._clock.now()
        self._update(account_id, region, name, **values)

    def set_suppression(
        self, account_id: str, region: str, name: str, reasons: Collection[SuppressionReason] | None
    ) -> None:
        """The reasons that suppress for mail sent with this set; None: the account's."""
        stored = None if reasons is None else json.dumps(sorted(r.value for r in reasons))
        self._update(account_id, region, name, suppressed_reasons=stored)

    def set_tracking(
        self, account_id: str, region: str, name: str, domain: str | None, https_policy: str | None
    ) -> None:
        self._update(
            account_id, region, name, tracking_domain=domain, https_policy=https_policy or "OPTIONAL"
        )

    def _update(self, account_id: str, region: str, name: str, **values: object) -> None:
        with self._store.transaction() as tx:
            if not tx.configuration_sets.update(account_id, region, name, **values):
                raise ConfigurationSetNotFoundError(name)
