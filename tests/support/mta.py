"""A real SMTP server (aiosmtpd) standing in for the remote MTA, told what to answer per recipient."""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_to: str
    data: bytes
    tls: bool = False


class _CountingSmtp(SMTP):
    """Tracks connections, so tests can see reuse and the per-destination cap."""

    mta: RemoteMta

    def connection_made(self, transport: Any) -> None:
        if not getattr(self, "_counted", False):  # STARTTLS calls this again for the same connection
            self._counted = True
            self.mta.connection_opened()
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if getattr(self, "_counted", False):
            self._counted = False
            self.mta.connection_closed()
        super().connection_lost(error)


class _Handler:
    def __init__(self, mta: RemoteMta) -> None:
        self._mta = mta

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        self._mta.note_transaction(session)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self._mta.next_reply(address)
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._mta.data_delay:
            await asyncio.sleep(self._mta.data_delay)
        tls = session.ssl is not None
        for rcpt in envelope.rcpt_tos:
            self._mta.record(
                Received(str(envelope.mail_from), rcpt, bytes(envelope.original_content or b""), tls)
            )
        return "250 2.0.0 Ok: queued as test"


class RemoteMta:
    """Answers 250 unless told otherwise: `answer(rcpt, "451 4.3.0 later", "250 ok")` scripts the replies."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        data_delay: float = 0.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.data_delay = data_delay
        self.connections = 0
        self.open_connections = 0
        self.max_open_connections = 0
        self.transactions_per_session: dict[int, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._scripts: dict[str, deque[str]] = defaultdict(deque)
        self._permanent: dict[str, str] = {}
        self.received: list[Received] = []
        self.attempts: dict[str, int] = defaultdict(int)
        mta = self

        class Smtp(_CountingSmtp):
            pass

        Smtp.mta = mta
        options: dict[str, Any] = {"tls_context": tls, "require_starttls": False} if tls else {}
        self._controller = Controller(_Handler(self), hostname=host, port=port or _free_port(host))
        self._controller.factory = lambda: Smtp(self._controller.handler, **options)  # type: ignore[method-assign]
        self.host = host
        self.port = self._controller.port

    def start(self) -> RemoteMta:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def answer(self, recipient: str, *replies: str) -> None:
        """Reply to RCPT for `recipient` with each of `replies` in turn, then 250."""
        with self._lock:
            self._scripts[recipient.lower()].extend(replies)

    def always(self, recipient: str, reply: str) -> None:
        with self._lock:
            self._permanent[recipient.lower()] = reply

    def next_reply(self, recipient: str) -> str:
        key = recipient.lower()
        with self._lock:
            self.attempts[key] += 1
            if key in self._permanent:
                return self._permanent[key]
            script = self._scripts.get(key)
            return script.popleft() if script else "250 2.1.5 Ok"

    def connection_opened(self) -> None:
        with self._lock:
            self.connections += 1
            self.open_connections += 1
            self.max_open_connections = max(self.max_open_connections, self.open_connections)

    def connection_closed(self) -> None:
        with self._lock:
            self.open_connections -= 1

    def note_transaction(self, session: Session) -> None:
        with self._lock:
            self.transactions_per_session[id(session)] += 1

    def record(self, message: Received) -> None:
        with self._lock:
            self.received.append(message)

    def messages_for(self, recipient: str) -> list[Received]:
        with self._lock:
            return [m for m in self.received if m.rcpt_to.lower() == recipient.lower()]

    def wait_for(self, recipient: str, count: int = 1, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages_for(recipient)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{recipient}: {len(self.messages_for(recipient))} of {count} messages arrived")

    @property
    def relay(self) -> str:
        return f"{self.host}:{self.port}"

    def __enter__(self) -> RemoteMta:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
