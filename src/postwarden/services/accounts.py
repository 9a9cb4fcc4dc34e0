"""Accounts, access keys and the sending state an account sees (GetAccount) or an operator sets."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, replace

from postwarden.domain.model import SendingLimits, SendingState
from postwarden.ports import AccessKey, ActivityBucket, Clock, SecretCipher, Store
from postwarden.services.send import expire_usage

_KEY_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


class UnknownAccountError(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class NewCredentials:
    account_id: str
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True, slots=True)
class Caller:
    account_id: str
    secret_access_key: str


@dataclass(frozen=True, slots=True)
class TierDefaults:
    sandbox: SendingLimits
    production: SendingLimits


class AccountService:
    def __init__(self, store: Store, cipher: SecretCipher, clock: Clock, tiers: TierDefaults) -> None:
        self._store = store
        self._cipher = cipher
        self._clock = clock
        self._tiers = tiers

    def create_account(self, name: str = "", region: str | None = None) -> NewCredentials:
        now = self._clock.now()
        account_id = f"{secrets.randbelow(10**12):012d}"
        credentials = NewCredentials(
            account_id=account_id,
            access_key_id="AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16)),
            secret_access_key="".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40)),
        )
        with self._store.transaction() as tx:
            tx.accounts.add_account(account_id, now, name)
            tx.accounts.add_access_key(
                AccessKey(
                    credentials.access_key_id, account_id, self._cipher.encrypt(credentials.secret_access_key)
                ),
                now,
            )
            if region is not None:
                tx.sending.lock_states([(account_id, region)], self._tiers.sandbox, now)
            tx.audit.record(now, "operator", "account.create", account_id, region, {"name": name})
        return credentials

    def caller(self, access_key_id: str) -> Caller | None:
        """The account and secret behind an access key, or None when it is unknown or revoked."""
        with self._store.read() as tx:
            key = tx.accounts.get_access_key(access_key_id)
        if key is None or not key.active:
            return None
        return Caller(key.account_id, self._cipher.decrypt(key.secret_ciphertext))

    def sending_state(self, account_id: str, region: str) -> SendingState:
        """The state as of now, with usage older than 24 hours left out (what GetAccount reports)."""
        now = self._clock.now()
        with self._store.transaction() as tx:
            state = tx.sending.lock_states([(account_id, region)], self._tiers.sandbox, now)[
                (account_id, region)
            ]
            return expire_usage(tx, state, now)

    def set_sending_enabled(self, account_id: str, region: str, enabled: bool, actor: str) -> None:
        now = self._clock.now()
        with self._store.transaction() as tx:
            state = tx.sending.lock_states([(account_id, region)], self._tiers.sandbox, now)[
                (account_id, region)
            ]
            tx.sending.save_state(replace(state, sending_enabled=enabled))
            tx.audit.record(now, actor, "sending.enabled", account_id, region, {"enabled": enabled})

    def set_sending_limits(
        self,
        account_id: str,
        region: str,
        *,
        production: bool | None,
        max_24_hour_send: int | None,
        max_send_rate: float | None,
        actor: str,
        reason: str = "",
    ) -> SendingState:
        """The operator override: move a region in or out of the sandbox and set quota and rate."""
        now = self._clock.now()
        with self._store.transaction() as tx:
            if not tx.accounts.account_exists(account_id):
                raise UnknownAccountError(account_id)
            state = tx.sending.lock_states([(account_id, region)], self._tiers.sandbox, now)[
                (account_id, region)
            ]
            before = state
            if production is not None and production != state.production_access:
                tier = self._tiers.production if production else self._tiers.sandbox
                state = replace(state, production_access=production, limits=tier)
            limits = SendingLimits(
                max_24_hour_send if max_24_hour_send is not None else state.limits.max_24_hour_send,
                max_send_rate if max_send_rate is not None else state.limits.max_send_rate,
            )
            state = replace(state, limits=limits)
            tx.sending.save_state(state)
            tx.audit.record(
                now,
                actor,
                "sending.limits",
                account_id,
                region,
                {
                    "reason": reason,
                    "before": _limits_record(before),
                    "after": _limits_record(state),
                },
            )
            return expire_usage(tx, state, now)

    def send_statistics(self, account_id: str, region: str) -> list[ActivityBucket]:
        """SES GetSendStatistics: 15-minute buckets over the last two weeks, active buckets only."""
        since = self._clock.now() - 14 * 86_400
        with self._store.read() as tx:
            return tx.events.activity(account_id, region, since, 900)

    def list_accounts(self) -> list[dict[str, object]]:
        with self._store.read() as tx:
            return tx.accounts.list_accounts()


def _limits_record(state: SendingState) -> dict[str, object]:
    return {
        "productionAccess": state.production_access,
        "max24HourSend": state.limits.max_24_hour_send,
        "maxSendRate": state.limits.max_send_rate,
    }
