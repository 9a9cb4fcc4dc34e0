"""Protection of the submission interface: a cap on open connections and a back-off for failed logins."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

MAX_TRACKED_CLIENTS = 100_000


class Closable(Protocol):
    def close_connection(self) -> None: ...


class ConnectionGate:
    """Counts the open connections of every listener together; refuses the ones over `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: set[Closable] = set()

    def enter(self, connection: Closable) -> bool:
        if len(self._open) >= self.limit:
            return False
        self._open.add(connection)
        return True

    def leave(self, connection: Closable) -> None:
        self._open.discard(connection)

    def __len__(self) -> int:
        return len(self._open)

    def close_all(self) -> None:
        for connection in list(self._open):
            connection.close_connection()


@dataclass(frozen=True, slots=True)
class Penalty:
    delay: float
    """Seconds to wait before answering 535."""
    disconnect: bool
    """Whether to close the connection after the 535."""


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    first_delay: float = 0.25
    """Delay before the 535 of a client's first recent failure; it doubles with each further failure."""
    max_delay: float = 5.0
    per_connection: int = 3
    """Failures after which a connection is closed."""
    per_client: int = 10
    """Recent failures from one address after which each further failure also closes the connection."""
    forget_after: float = 900.0
    """A client's failures are forgotten once it has not failed for this long."""


class AuthFailureThrottle:
    """Slows down repeated authentication failures from one client address, with a bounded delay."""

    def __init__(self, policy: BackoffPolicy, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._policy = policy
        self._monotonic = monotonic
        self._failures: dict[str, tuple[int, float]] = {}

    def failed(self, client: str, connection_failures: int) -> Penalty:
        """Record a failure from `client`, its `connection_failures`-th on this connection."""
        now = self._monotonic()
        count, last = self._failures.get(client, (0, now))
        if now - last > self._policy.forget_after:
            count = 0
        count += 1
        if len(self._failures) >= MAX_TRACKED_CLIENTS:
            self._forget_old(now)
        self._failures[client] = (count, now)
        delay = min(self._policy.max_delay, self._policy.first_delay * 2 ** min(count - 1, 32))
        disconnect = connection_failures >= self._policy.per_connection or count >= self._policy.per_client
        return Penalty(delay, disconnect)

    def recent_failures(self, client: str) -> int:
        entry = self._failures.get(client)
        if entry is None or self._monotonic() - entry[1] > self._policy.forget_after:
            return 0
        return entry[0]

    def _forget_old(self, now: float) -> None:
        horizon = now - self._policy.forget_after
        self._failures = {c: entry for c, entry in self._failures.items() if entry[1] >= horizon}
        if len(self._failures) >= MAX_TRACKED_CLIENTS:
            self._failures.clear()
