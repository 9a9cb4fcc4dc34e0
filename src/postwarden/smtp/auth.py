"""SMTP AUTH as SES does it: the username is the access key id, the password is derived from its secret.

The derived password names the region (the region is part of the derivation), so a login both
authenticates the account and selects the region the messages of the session are sent in.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from postwarden.domain.credentials import smtp_password
from postwarden.services.accounts import Caller

MAX_CACHED = 10_000


@dataclass(frozen=True, slots=True)
class SmtpLogin:
    """Who an SMTP session authenticated as, recorded on the session for DATA."""

    account_id: str
    region: str
    access_key_id: str


class PasswordMatcher:
    """Which region, if any, a password was derived for; derived passwords are cached per key and secret."""

    def __init__(self, regions: Iterable[str]) -> None:
        self._regions = tuple(sorted(regions))
        self._derived: dict[tuple[str, str], tuple[tuple[str, bytes], ...]] = {}

    def region_for(self, access_key_id: str, secret_access_key: str, password: str) -> str | None:
        derived = self._derived.get((access_key_id, secret_access_key))
        if derived is None:
            if len(self._derived) >= MAX_CACHED:
                self._derived.clear()
            derived = tuple((r, smtp_password(secret_access_key, r).encode()) for r in self._regions)
            self._derived[(access_key_id, secret_access_key)] = derived
        given = password.encode("utf-8", "surrogateescape")
        found: str | None = None
        for region, expected in derived:  # every region is compared, so the time does not tell which
            if hmac.compare_digest(given, expected):
                found = region
        return found


class SmtpAuthenticator:
    """Checks an SMTP username and password; the access-key look-up runs off the event loop, cached."""

    def __init__(
        self,
        lookup: Callable[[str], Caller | None],
        regions: Iterable[str],
        *,
        ttl_seconds: float = 30.0,
        unknown_ttl_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._matcher = PasswordMatcher(regions)
        self._ttl = ttl_seconds
        self._unknown_ttl = unknown_ttl_seconds
        self._monotonic = monotonic
        self._callers: dict[str, tuple[float, Caller | None]] = {}

    async def authenticate(self, username: str, password: str) -> SmtpLogin | None:
        """The login, or None for an unknown or revoked key or a password derived for no allowed region."""
        if not username or not password or len(username) > 128 or len(password) > 256:
            return None
        caller = await self._caller(username)
        if caller is None:
            return None
        region = self._matcher.region_for(username, caller.secret_access_key, password)
        return None if region is None else SmtpLogin(caller.account_id, region, username)

    async def _caller(self, access_key_id: str) -> Caller | None:
        now = self._monotonic()
        entry = self._callers.get(access_key_id)
        if entry is not None and entry[0] > now:
            return entry[1]
        caller = await asyncio.to_thread(self._lookup, access_key_id)
        if len(self._callers) >= MAX_CACHED:
            self._callers.clear()
        # Unknown keys are remembered only briefly, so that a key created a moment ago works at once.
        self._callers[access_key_id] = (now + (self._ttl if caller else self._unknown_ttl), caller)
        return caller
