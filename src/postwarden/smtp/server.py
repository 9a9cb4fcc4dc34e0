"""The SES SMTP submission interface: a STARTTLS listener and an implicit-TLS listener on one event loop."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from postwarden.services.accounts import Caller
from postwarden.services.compose import MessageComposer
from postwarden.services.send import SendService
from postwarden.smtp.auth import SmtpAuthenticator
from postwarden.smtp.handler import SubmissionHandler
from postwarden.smtp.limits import AuthFailureThrottle, BackoffPolicy, ConnectionGate
from postwarden.smtp.protocol import SubmissionProtocol

log = logging.getLogger("postwarden.smtp")

MAX_MESSAGE_BYTES = 40 * 1024 * 1024
"""SES's limit for SMTP (and v2) messages, after MIME encoding."""


@dataclass(frozen=True, slots=True)
class SubmissionSettings:
    host: str
    starttls_port: int
    """0: no STARTTLS listener."""
    tls_port: int
    """0: no implicit-TLS listener."""
    hostname: str
    max_connections: int = 200
    idle_timeout: float = 300.0
    max_message_bytes: int = MAX_MESSAGE_BYTES
    backlog: int = 1024


class SubmissionServer:
    def __init__(
        self, settings: SubmissionSettings, tls_context: ssl.SSLContext, handler: SubmissionHandler
    ) -> None:
        self._settings = settings
        self._tls_context = tls_context
        self._handler = handler
        self._gate = ConnectionGate(settings.max_connections)
        self._servers: list[asyncio.Server] = []

    @property
    def open_connections(self) -> int:
        return len(self._gate)

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The bound (host, port) of each listener, STARTTLS first."""
        return [server.sockets[0].getsockname()[:2] for server in self._servers if server.sockets]

    async def start(self) -> None:
        # aiosmtpd logs every command at INFO on "mail.log"; keep that out of the service's log.
        quiet = logging.getLogger("mail.log")
        if quiet.level == logging.NOTSET:
            quiet.setLevel(logging.WARNING)
        loop = asyncio.get_running_loop()
        settings = self._settings
        try:
            for port, implicit in ((settings.starttls_port, False), (settings.tls_port, True)):
                if port:
                    self._servers.append(
                        await loop.create_server(
                            self._factory(loop, implicit_tls=implicit),
                            settings.host,
                            port,
                            ssl=self._tls_context if implicit else None,
                            backlog=settings.backlog,
                        )
                    )
        except OSError:
            await self.stop()
            raise
        log.info("SMTP submission listening on %s", ", ".join(f"{h}:{p}" for h, p in self.addresses))

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop listening, let messages already received get their reply, then close every connection."""
        for server in self._servers:
            server.close()
        await self._handler.drain(grace_seconds)
        self._gate.close_all()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    def _factory(
        self, loop: asyncio.AbstractEventLoop, *, implicit_tls: bool
    ) -> Callable[[], SubmissionProtocol]:
        settings = self._settings

        def protocol() -> SubmissionProtocol:
            return SubmissionProtocol(
                self._handler,
                gate=self._gate,
                tls_context=self._tls_context,
                implicit_tls=implicit_tls,
                hostname=settings.hostname,
                # aiosmtpd stops buffering once a message passes this (and advertises it as SIZE).
                data_size_limit=settings.max_message_bytes,
                timeout=settings.idle_timeout,
                loop=loop,
            )

        return protocol


def submission_server(
    settings: SubmissionSettings,
    tls_context: ssl.SSLContext,
    *,
    composer: MessageComposer,
    sender: SendService,
    lookup: Callable[[str], Caller | None],
    regions: Iterable[str],
    backoff: BackoffPolicy | None = None,
) -> SubmissionServer:
    """Wire the handler, the authenticator and the back-off (what bootstrap calls)."""
    handler = SubmissionHandler(
        composer,
        sender,
        SmtpAuthenticator(lookup, regions),
        AuthFailureThrottle(backoff or BackoffPolicy()),
        max_message_bytes=settings.max_message_bytes,
    )
    return SubmissionServer(settings, tls_context, handler)
