"""The account-level suppression list as the account manages it (SES's *SuppressedDestination* calls)."""

from __future__ import annotations

from collections.abc import Collection

from postwarden.domain.model import SendingLimits
from postwarden.domain.suppression import SuppressionReason
from postwarden.ports import Clock, Store, SuppressedDestination


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
