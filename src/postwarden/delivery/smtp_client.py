"""A small outbound SMTP client: one session on one connection, with RFC 2920 PIPELINING when offered.

`SmtpClient.open` connects, reads the greeting, says EHLO (HELO when EHLO is refused) and upgrades with
STARTTLS when the server offers it and a TLS context is given. `SmtpClient.send` runs one transaction for
one recipient: with PIPELINING, ``MAIL``, ``RCPT`` and ``DATA`` go out in one write and their three replies
are read together, then the dot-stuffed content and its terminating ``.`` go out in a second write;
without it, one command at a time. A refused transaction is reset (RSET) so the session can carry the next.

Connection loss raises `SmtpDisconnected` (a `ConnectionError`), an unanswered command `TimeoutError`,
a reply that is not SMTP `SmtpProtocolError`, a refused greeting, EHLO/HELO or STARTTLS `SmtpError`.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections import deque
from typing import cast

from postwarden.domain.delivery import SmtpReply

MAX_REPLY_LINE = 8 * 1024
_MAIL_OK = (250,)
_RCPT_OK = (250, 251)
_DATA_OK = (354,)
_EXPECTED = (_MAIL_OK, _RCPT_OK, _DATA_OK)
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


class SmtpError(Exception):
    """The server refused to open a session (greeting, EHLO/HELO, STARTTLS)."""


class SmtpProtocolError(SmtpError):
    """The server answered something that is not an SMTP reply."""


class SmtpDisconnected(ConnectionError):
    """The connection closed before the reply arrived."""


def encode_content(content: bytes) -> bytes:
    """The DATA payload: line ends normalised to CRLF, leading dots doubled (RFC 5321 4.5.2), the
    terminating ``.`` line appended."""
    crlf = content.count(b"\r\n")
    if content.count(b"\n") != crlf or content.count(b"\r") != crlf:
        content = _LINE_BREAK.sub(b"\r\n", content)
    if content.startswith(b".") or b"\n." in content:
        content = _LEADING_DOT.sub(b"..", content)
    if not content.endswith(b"\r\n"):
        content += b"\r\n"
    return content + b".\r\n"


def parse_reply(lines: list[bytes]) -> SmtpReply:
    """One reply from its lines (without line ends): the last line's code, the texts joined by newlines."""
    for line in lines:
        if len(line) < 3 or not line[:3].isdigit() or line[3:4] not in (b"", b" ", b"-"):
            raise SmtpProtocolError(f"not an SMTP reply: {line[:80]!r}")
    text = "\n".join(line[4:].decode("utf-8", "replace") for line in lines)
    return SmtpReply(int(lines[-1][:3]), text)


class _ReplyReader(asyncio.Protocol):
    """Splits what the server sends into replies and hands them out in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self._buffer = b""
        self._lines: list[bytes] = []
        self._replies: deque[SmtpReply] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._failure: str | None = None

    @property
    def open(self) -> bool:
        return self._failure is None and self.transport is not None and not self.transport.is_closing()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        start = 0
        try:
            while (end := buffer.find(b"\n", start)) >= 0:
                line = buffer[start : end - 1 if end > start and buffer[end - 1] == 13 else end]
                start = end + 1
                self._lines.append(line)
                if line[3:4] != b"-":
                    self._replies.append(parse_reply(self._lines))
                    self._lines = []
            self._buffer = buffer[start:]
            if len(self._buffer) > MAX_REPLY_LINE:
                raise SmtpProtocolError("reply line too long")
        except SmtpProtocolError as error:
            self.fail(str(error))
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._failure is None:
            self._failure = f"connection closed by the server{f': {exc}' if exc else ''}"
        self._wake()

    def fail(self, reason: str) -> None:
        """Give up on this connection: pending and later reads raise `SmtpDisconnected`."""
        if self._failure is None:
            self._failure = reason
        if self.transport is not None:
            self.transport.abort()
        self._wake()

    def write(self, data: bytes) -> None:
        if not self.open:
            raise SmtpDisconnected(self._failure or "connection closed")
        assert self.transport is not None
        self.transport.write(data)

    async def reply(self, timeout: float) -> SmtpReply:
        while not self._replies:
            if self._failure is not None:
                raise SmtpDisconnected(self._failure)
            waiter: asyncio.Future[None] = self._loop.create_future()
            self._waiter = waiter
            timer = self._loop.call_later(timeout, _expire, waiter, timeout)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiter = None
        return self._replies.popleft()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


def _expire(waiter: asyncio.Future[None], timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"no reply within {timeout:g} s"))


class SmtpClient:
    """One SMTP session. Not safe for concurrent use: one transaction at a time."""

    def __init__(self, host: str, port: int, reader: _ReplyReader, command_timeout: float) -> None:
        self.host = host
        self.port = port
        self._reader = reader
        self._timeout = command_timeout
        self.extensions: frozenset[str] = frozenset()
        transport = reader.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        self.peer_ip: str | None = str(peer[0]) if peer else None

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        *,
        helo_name: str,
        tls: ssl.SSLContext | None,
        connect_timeout: float,
        command_timeout: float,
    ) -> SmtpClient:
        loop = asyncio.get_running_loop()
        _, reader = await asyncio.wait_for(
            loop.create_connection(lambda: _ReplyReader(loop), host, port), connect_timeout
        )
        client = cls(host, port, reader, command_timeout)
        try:
            greeting = await reader.reply(connect_timeout)
            if greeting.code != 220:
                raise SmtpError(f"greeting: {greeting}")
            await client._hello(helo_name)
            if tls is not None and "STARTTLS" in client.extensions:
                await client._starttls(tls, helo_name)
        except BaseException:
            client.abort()
            raise
        return client

    @property
    def is_connected(self) -> bool:
        return self._reader.open

    @property
    def encrypted(self) -> bool:
        transport = self._reader.transport
        return transport is not None and transport.get_extra_info("ssl_object") is not None

    @property
    def pipelining(self) -> bool:
        return "PIPELINING" in self.extensions

    async def command(self, line: bytes) -> SmtpReply:
        self._reader.write(line + b"\r\n")
        return await self._reader.reply(self._timeout)

    async def send(self, sender: str, recipient: str, content: bytes) -> SmtpReply:
        """One transaction. Returns the reply that decided it: the first refusal of MAIL, RCPT or DATA
        (after which the session is reset or, on 421, closed), else the reply to the content."""
        mail = b"MAIL FROM:<" + sender.encode() + b">\r\n"
        rcpt = b"RCPT TO:<" + recipient.encode() + b">\r\n"
        if self.pipelining:
            replies = await self._pipelined(mail + rcpt + b"DATA\r\n")
        else:
            replies = await self._lockstep((mail, rcpt, b"DATA\r\n"))
        refusal = _refusal(replies)
        if refusal is None:
            self._reader.write(encode_content(content))
            reply = await self._reader.reply(self._timeout)
            if reply.code == 421:
                self.abort()
            return reply
        if len(replies) == len(_EXPECTED) and replies[-1].code in _DATA_OK:
            self.abort()  # DATA accepted after a refusal: leave without sending a message
        else:
            await self._reset(refusal)
        return refusal

    async def quit(self) -> None:
        """Say goodbye and close; never raises."""
        try:
            if self.is_connected:
                await self.command(b"QUIT")
        except (OSError, TimeoutError):
            pass
        finally:
            self.abort()

    def abort(self) -> None:
        self._reader.fail("closed by the client")

    async def _pipelined(self, commands: bytes) -> list[SmtpReply]:
        self._reader.write(commands)
        replies: list[SmtpReply] = []
        for _ in _EXPECTED:
            try:
                replies.append(await self._reader.reply(self._timeout))
            except (OSError, TimeoutError):
                if _refusal(replies) is None:
                    raise
                self.abort()  # a refusal is known; the rest of the group no longer matters
                break
            if replies[-1].code == 421:
                break  # the server is closing the session and may not answer the rest
        return replies

    async def _lockstep(self, commands: tuple[bytes, ...]) -> list[SmtpReply]:
        replies: list[SmtpReply] = []
        for command, expected in zip(commands, _EXPECTED, strict=True):
            self._reader.write(command)
            replies.append(await self._reader.reply(self._timeout))
            if replies[-1].code not in expected:
                break
        return replies

    async def _reset(self, refusal: SmtpReply) -> None:
        if refusal.code == 421 or not self.is_connected:
            self.abort()
            return
        try:
            reply = await self.command(b"RSET")
        except (OSError, TimeoutError):
            reply = None
        if reply is None or reply.code != 250:
            self.abort()

    async def _hello(self, helo_name: str) -> None:
        reply = await self.command(b"EHLO " + helo_name.encode())
        if reply.code == 250:
            self.extensions = frozenset(
                line.split(" ", 1)[0].upper() for line in reply.text.split("\n")[1:] if line
            )
            return
        self.extensions = frozenset()
        reply = await self.command(b"HELO " + helo_name.encode())
        if reply.code != 250:
            raise SmtpError(f"HELO: {reply}")

    async def _starttls(self, tls: ssl.SSLContext, helo_name: str) -> None:
        reply = await self.command(b"STARTTLS")
        if reply.code != 220:
            raise SmtpError(f"STARTTLS: {reply}")
        reader = self._reader
        assert reader.transport is not None
        upgraded = await asyncio.get_running_loop().start_tls(
            reader.transport, reader, tls, server_hostname=self.host, ssl_handshake_timeout=self._timeout
        )
        if upgraded is None:
            raise SmtpDisconnected("connection closed during the TLS handshake")
        reader.transport = upgraded
        await self._hello(helo_name)  # RFC 3207: the session starts again, extensions may differ


def _refusal(replies: list[SmtpReply]) -> SmtpReply | None:
    for reply, expected in zip(replies, _EXPECTED, strict=False):
        if reply.code not in expected:
            return reply
    return None
