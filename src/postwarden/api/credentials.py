"""Access keys for request verification, cached so that a signature check costs no database round trip."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

_CREDENTIAL = re.compile(r"Credential=([A-Za-z0-9]+)/|X-Amz-Credential=([A-Za-z0-9]+)(?:%2F|/)")


@dataclass(frozen=True, slots=True)
class KnownKey:
    account_id: str
    secret_access_key: str


class CredentialCache:
    def __init__(self, lookup: Callable[[str], KnownKey | None], ttl_seconds: float = 30.0) -> None:
        self._lookup = lookup
        self._ttl = ttl_seconds
        self._entries: dict[str, tuple[float, KnownKey | None]] = {}

    async def prefetch(self, authorization: str, query_string: str) -> None:
        """Load the key a request names, off the event loop, so that `secret` is a dictionary read."""
        found = _CREDENTIAL.search(authorization) or _CREDENTIAL.search(query_string)
        if found is None:
            return
        access_key_id = found.group(1) or found.group(2)
        entry = self._entries.get(access_key_id)
        if entry is not None and entry[0] > time.monotonic():
            return
        key = await asyncio.to_thread(self._lookup, access_key_id)
        if len(self._entries) > 10_000:
            self._entries.clear()
        # Unknown keys are remembered only briefly, so a key created a moment later works at once.
        ttl = self._ttl if key is not None else 1.0
        self._entries[access_key_id] = (time.monotonic() + ttl, key)

    def known(self, access_key_id: str) -> KnownKey | None:
        entry = self._entries.get(access_key_id)
        return entry[1] if entry is not None else None

    def secret(self, access_key_id: str) -> str | None:
        key = self.known(access_key_id)
        return key.secret_access_key if key is not None else None

    def forget(self, access_key_id: str) -> None:
        self._entries.pop(access_key_id, None)
