"""The account-level suppression list as the account manages it (SES's *SuppressedDestination* calls)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from postwarden.domain.model import SendingLimits
from postwarden.domain.suppression import SuppressionReason
from postwarden.ports import Clock, Store, SuppressedDestination, Transaction


class SuppressionNotFoundError(LookupError):
    pass


class SandboxRestrictionError(PermissionError):
    pass


class SuppressionService:
    def __init__(self, store: Store, clock: Clock, sandbox: SendingLimits) -> None:
        self._store = store
        self._clock = clock
        self._sandbox = sandbox

    def put(self, account_id: str, region: str, address: str, reason: SuppressionReason) -> None:
        with self._store.transaction() as tx:
            # SES: "you can't use PutSuppressedDestination ... until your account is removed from the sandbox"
            state = tx.sending.lock_states([(account_id, region)], self._sandbox, self._clock.now())
            if not state[(account_id, region)].production_access:
                raise SandboxRestrictionError(region)
            tx.suppression.put(
                SuppressedDestination(
                    account_id, region, address.lower(), reason, self._clock.now(), None, None
                )
            )

    def get(self, account_id: str, region: str, address: str) -> SuppressedDestination:
        with self._store.read() as tx:
            entry = tx.suppression.get(account_id, region, address)
        if entry is None:
            raise SuppressionNotFoundError(address)
        return entry

    def delete(self, account_id: str, region: str, address: str) -> None:
        with self._store.transaction() as tx:
            if not tx.suppression.delete(account_id, region, address):
                raise SuppressionNotFoundError(address)

    def find(
        self,
        account_id: str,
        region: str,
        reasons: Collection[SuppressionReason] = (),
        start: float | None = None,
        end: float | None = None,
    ) -> list[SuppressedDestination]:
        with self._store.read() as tx:
            return tx.suppression.find(account_id, region, reasons, start, end)

    def reasons(self, account_id: str, region: str) -> frozenset[SuppressionReason]:
        with self._store.read() as tx:
            return tx.suppression.reasons(account_id, region)

    def set_reasons(self, account_id: str, region: str, reasons: Collection[SuppressionReason]) -> None:
        with self._store.transaction() as tx:
            tx.suppression.set_reasons(account_id, region, reasons)


def reasons_for_messages(
    tx: Transaction, messages: Iterable[tuple[str, str, str]]
) -> dict[str, frozenset[SuppressionReason]]:
    """For each (account, region, message id): the reasons that suppress for that message, those of its
    configuration set's SuppressionOptions when it has them, else the account's."""
    wanted = list(messages)
    routing = tx.notifications.routing(m for _, _, m in wanted)
    account_reasons: dict[tuple[str, str], frozenset[SuppressionReason]] = {}
    sets: dict[tuple[str, str], set[str]] = {}
    for account_id, region, message_id in wanted:
        route = routing.get(message_id)
        if route is not None and route.configuration_set:
            sets.setdefault((account_id, region), set()).add(route.configuration_set)
    configs = {
        (key, name): config
        for key, names in sets.items()
        for name, config in tx.configuration_sets.many(key[0], key[1], names).items()
    }
    found: dict[str, frozenset[SuppressionReason]] = {}
    for account_id, region, message_id in wanted:
        route = routing.get(message_id)
        config = configs.get(((account_id, region), route.configuration_set or "")) if route else None
        if config is not None and config.suppressed_reasons is not None:
            found[message_id] = config.suppressed_reasons
            continue
        key = (account_id, region)
        if key not in account_reasons:
            account_reasons[key] = tx.suppression.reasons(account_id, region)
        found[message_id] = account_reasons[key]
    return found
