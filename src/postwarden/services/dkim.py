"""Easy DKIM: three key pairs per domain identity, one per token, published under the operator's zone.

The sender publishes `<token>._domainkey.<domain>` CNAME `<token>.<zone>`; Postwarden answers the TXT
record at `<token>.<zone>` itself, so keys can rotate without the sender touching DNS (as with SES).
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Sequence
from dataclasses import dataclass

from postwarden.dkim.keys import DkimKeyPair, generate_key, key_from_private_pem
from postwarden.domain.addresses import parent_domains
from postwarden.ports import Clock, DkimKey, SecretCipher, Store, Transaction

TOKENS_PER_DOMAIN = 3
KEY_LENGTHS = {"RSA_1024_BIT": 1024, "RSA_2048_BIT": 2048}


@dataclass(frozen=True, slots=True)
class SigningKey:
    domain: str
    selector: str
    private_pem: bytes


class DkimKeys:
    def __init__(self, store: Store, cipher: SecretCipher, clock: Clock, cache_seconds: float = 30.0) -> None:
        self._cache_seconds = cache_seconds
        self._store = store
        self._cipher = cipher
        self._clock = clock
        self._signing_cache: dict[tuple[str, str, str], tuple[float, SigningKey | None]] = {}
        self._public_cache: dict[str, tuple[float, str | None]] = {}

    @staticmethod
    def new_tokens() -> tuple[str, ...]:
        alphabet = string.ascii_lowercase + string.digits
        return tuple("".join(secrets.choice(alphabet) for _ in range(32)) for _ in range(TOKENS_PER_DOMAIN))

    def generate(
        self, account_id: str, region: str, domain: str, tokens: Sequence[str], bits: int
    ) -> list[DkimKey]:
        """Key pairs for `tokens` (CPU-bound: call it outside a transaction); the first one signs."""
        now = self._clock.now()
        return [
            self._record(account_id, region, domain, token, generate_key(bits), now, signing=index == 0)
            for index, token in enumerate(tokens)
        ]

    def external(self, account_id: str, region: str, domain: str, selector: str, private_key: str) -> DkimKey:
        """Bring-your-own DKIM: the sender's key, under the sender's own selector."""
        pair = key_from_private_pem(private_key.encode())
        return self._record(account_id, region, domain, selector, pair, self._clock.now(), signing=True)

    def _record(
        self,
        account_id: str,
        region: str,
        domain: str,
        selector: str,
        pair: DkimKeyPair,
        now: float,
        *,
        signing: bool,
    ) -> DkimKey:
        return DkimKey(
            selector=selector,
            account_id=account_id,
            region=region,
            identity=domain,
            private_ciphertext=self._cipher.encrypt(pair.private_pem.decode()),
            public_key=pair.public_b64,
            bits=pair.bits,
            created_at=now,
            signing=signing,
        )

    def public_key(self, selector: str) -> str | None:
        """The public key published at `<selector>.<zone>` (for the DNS server)."""
        cached = self._public_cache.get(selector)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        with self._store.read() as tx:
            key = tx.dkim.public_key(selector)
        self._public_cache[selector] = (time.monotonic() + self._cache_seconds, key)
        return key

    def signing_key(
        self, tx: Transaction, account_id: str, region: str, from_domain: str
    ) -> SigningKey | None:
        """The key that signs mail from `from_domain`: the most specific verified domain identity with
        signing enabled (subdomains inherit their parent's), cached briefly."""
        cache_key = (account_id, region, from_domain)
        cached = self._signing_cache.get(cache_key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        key = tx.dkim.signing_key(account_id, region, parent_domains(from_domain))
        found = None
        if key is not None:
            found = SigningKey(
                key.identity, key.selector, self._cipher.decrypt(key.private_ciphertext).encode()
            )
        if len(self._signing_cache) > 10_000:
            self._signing_cache.clear()
        self._signing_cache[cache_key] = (time.monotonic() + self._cache_seconds, found)
        return found

    def forget(self) -> None:
        self._signing_cache.clear()
        self._public_cache.clear()
