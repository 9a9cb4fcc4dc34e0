"""A tiny scripted SMTP server on the test's own event loop, for the outbound client's wire behaviour.

It records every chunk it reads from the socket (so a test can see which commands arrived together),
every command line, and every message. It advertises PIPELINING unless told not to and, as RFC 2920
requires of a pipelining server, answers DATA with 554 when no recipient was accepted. A scripted reply
of ``CLOSE`` closes the connection instead of answering, ``SILENT`` answers nothing; after a 421 reply
it closes the connection.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from typing import Any, cast

CLOSE = "CLOSE"
SILENT = "SILENT"
END_OF_DATA = b"\r\n.\r\n"


class ScriptedMta:
    def __init__(self, *, pipelining: bool = True) -> None:
        self.pipelining = pipelining
        self.reads: list[bytes] = []
        self.commands: list[str] = []
        self.messages: list[bytes] = []  # as on the wire: dot-stuffed, without the final ".\r\n"
        self.connections = 0
        self._script: dict[str, deque[str]] = defaultdict(deque)
        self._server: asyncio.Server | None = None
        self.port = 0

    def answer(self, verb: str, *replies: str) -> None:
        """Answer the next uses of `verb` (``MAIL``, ``RCPT``, ``DATA``, ``EHLO``, ``END`` for the content)
        with `replies` in turn; afterwards the default."""
        self._script[verb.upper()].extend(replies)

    def scripted(self, verb: str, default: str) -> str:
        script = self._script.get(verb)
        return script.popleft() if script else default

    async def __aenter__(self) -> ScriptedMta:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Session(self), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


class _Session(asyncio.Protocol):
    def __init__(self, mta: ScriptedMta) -> None:
        self._mta = mta
        self._transport: asyncio.Transport | None = None
        self._buffer = b""
        self._in_data = False
        self._mail = False
        self._recipients = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._mta.connections += 1
        self._transport.write(b"220 scripted.test ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self._mta.reads.append(data)
        self._buffer += data
        while self._transport is not None and not self._transport.is_closing():
            if self._in_data:
                end = (b"\r\n" + self._buffer).find(END_OF_DATA)
                if end < 0:
                    return
                self._mta.messages.append(self._buffer[:end])
                self._buffer = self._buffer[end + 3 :]
                self._in_data = self._mail = False
                self._recipients = 0
                self._reply(self._mta.scripted("END", "250 2.0.0 Ok: queued"))
                continue
            line, found, rest = self._buffer.partition(b"\r\n")
            if not found:
                return
            self._buffer = rest
            self._command(line.decode())

    def _command(self, line: str) -> None:
        self._mta.commands.append(line)
        verb = line.split(" ", 1)[0].upper()
        if verb == "EHLO":
            pipelining = "250-PIPELINING\r\n" if self._mta.pipelining else ""
            self._reply(self._mta.scripted(verb, f"250-scripted.test\r\n{pipelining}250 8BITMIME"))
        elif verb == "MAIL":
            reply = self._mta.scripted(verb, "250 2.1.0 Ok")
            self._mail = reply.startswith("25")
            self._reply(reply)
        elif verb == "RCPT":
            reply = self._mta.scripted(verb, "250 2.1.5 Ok" if self._mail else "503 5.5.1 need MAIL")
            self._recipients += reply.startswith("25")
            self._reply(reply)
        elif verb == "DATA":
            no_recipients = "554 5.5.1 no valid recipients"
            reply = self._mta.scripted(verb, "354 go ahead" if self._recipients else no_recipients)
            self._in_data = reply.startswith("354")
            self._reply(reply)
        elif verb == "RSET":
            self._mail, self._recipients = False, 0
            self._reply(self._mta.scripted(verb, "250 2.0.0 Ok"))
        elif verb == "QUIT":
            self._reply("221 2.0.0 Bye")
            self._reply(CLOSE)
        else:  # HELO, NOOP, anything else
            self._reply(self._mta.scripted(verb, "250 2.1.0 Ok"))

    def _reply(self, reply: str) -> None:
        assert self._transport is not None
        if reply == CLOSE:
            self._transport.close()
        elif reply != SILENT:
            self._transport.write(reply.encode() + b"\r\n")
            if reply.startswith("421"):  # the server is shutting the session down
                self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
