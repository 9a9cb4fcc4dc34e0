"""Outbound SMTP: pooled connections per destination, opportunistic STARTTLS, one recipient per transaction.

The SMTP sessions themselves are `smtp_client.SmtpClient`s, which pipeline MAIL, RCPT and DATA (RFC 2920)
when the server offers PIPELINING.

Connections to a destination are reused for many messages and capped per destination; a connection that
fails is dropped and the next MX host is tried. Every outcome is classified as delivered, temporary or
permanent failure.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from postwarden.delivery.mx import Route, RouteError
from postwarden.delivery.smtp_client import SmtpClient, SmtpError
from postwarden.domain.delivery import (
    Outcome,
    PermanentFailure,
    TransientFailure,
    classify_reply,
)

log = logging.getLogger("postwarden.delivery.smtp")


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    helo_name: str
    connect_timeout: float = 30.0
    command_timeout: float = 120.0
    max_connections_per_destination: int = 16
    max_messages_per_connection: int = 1000


class _Pool:
    def __init__(self, limit: int) -> None:
        self.slots = asyncio.Semaphore(limit)
        self.idle: list[tuple[SmtpClient, int]] = []


class SmtpTransport:
    def __init__(self, routes: Callable[[str], Awaitable[Route]], settings: SmtpSettings) -> None:
        self._routes = routes
        self._settings = settings
        self._pools: dict[str, _Pool] = {}
        self._tls = ssl.create_default_context()
        # Opportunistic TLS between MTAs: encrypt when offered, do not insist on a valid certificate.
        self._tls.check_hostname = False
        self._tls.verify_mode = ssl.CERT_NONE

    async def deliver(
        self, envelope_from: str, recipient: str, domain: str, content: bytes, *, require_tls: bool = False
    ) -> Outcome:
        try:
            route = await self._routes(domain)
        except RouteError as error:
            if error.permanent:
                return PermanentFailure(None, str(error))
            return TransientFailure(str(error))
        pool = self._pools.setdefault(route.key, _Pool(self._settings.max_connections_per_destination))
        async with pool.slots:
            last: Outcome = TransientFailure(f"no route to {domain}")
            for host, port in route.hosts:
                last = await self._try_host(pool, host, port, envelope_from, recipient, content, require_tls)
                if not (isinstance(last, TransientFailure) and last.reply is None):
                    return last  # an answer from a server: do not try lower-priority hosts
            return last

    async def _try_host(
        self,
        pool: _Pool,
        host: str,
        port: int,
        sender: str,
        recipient: str,
        content: bytes,
        require_tls: bool,
    ) -> Outcome:
        client, used = await self._client(pool, host, port)
        if client is None:
            return TransientFailure(f"could not connect to {host}:{port}")
        ip = client.peer_ip
        if require_tls and not client.encrypted:
            pool.idle.append((client, used))
            return TransientFailure(
                f"TLS is required (TlsPolicy REQUIRE) and {host}:{port} does not offer STARTTLS",
                None,
                ip,
            )
        try:
            # The addresses were validated when the message was accepted, so they are sent as they are.
            reply = await client.send(sender, recipient, content)
        except (SmtpError, OSError, TimeoutError) as error:
            client.abort()
            return TransientFailure(f"connection to {host}:{port} failed: {error}", None, ip)
        # A finished (or reset, on error) transaction leaves the session ready for the next MAIL FROM.
        if client.is_connected and used + 1 < self._settings.max_messages_per_connection:
            pool.idle.append((client, used + 1))
        else:
            await client.quit()
        return classify_reply(reply, ip)

    async def _client(self, pool: _Pool, host: str, port: int) -> tuple[SmtpClient | None, int]:
        while pool.idle:
            client, used = pool.idle.pop()
            if client.is_connected and client.host == host and client.port == port:
                return client, used
            await client.quit()
        try:
            client = await SmtpClient.open(
                host,
                port,
                helo_name=self._settings.helo_name,
                tls=self._tls,
                connect_timeout=self._settings.connect_timeout,
                command_timeout=self._settings.command_timeout,
            )
        except (SmtpError, OSError, TimeoutError) as error:
            log.info("connect to %s:%s failed: %s", host, port, error)
            return None, 0
        return client, 0

    async def close(self) -> None:
        for pool in self._pools.values():
            for client, _ in pool.idle:
                await client.quit()
            pool.idle.clear()
