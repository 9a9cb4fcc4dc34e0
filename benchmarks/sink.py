"""A counting SMTP sink for end-to-end delivery benchmarks.

Run: ``python benchmarks/sink.py --port 2525 --report-file sink.json``.

A minimal hand-written asyncio SMTP server (on uvloop when installed): it answers EHLO/HELO, MAIL, RCPT,
DATA, RSET, NOOP, VRFY and QUIT, supports any number of transactions per connection, and throws every
message away after counting it. It does not advertise STARTTLS, nor PIPELINING unless run with
``--pipelining`` (as Postfix, Exim and Gmail do); either way it processes whatever complete command lines
it has in order, so a pipelining client works too. Every ``--report-interval``
seconds (and on exit) it replaces the report file with a JSON object::

    {"messages": 123, "recipients": 123, "bytes": 45678, "connections": 16,
     "first_message_at": 1700000000.1, "last_message_at": 1700000004.2,
     "updated_at": 1700000004.3, "pid": 4242, "port": 2525}

Timestamps are ``time.time()`` seconds; ``first_message_at``/``last_message_at`` are null until a message
arrives. The file is written once as soon as the port is bound, so its existence means "ready".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

MAX_LINE_BYTES = 64 * 1024
MAX_MESSAGE_BYTES = 50 * 1024 * 1024
DATA_END = b"\r\n.\r\n"
HOSTNAME = "sink.localhost"

EHLO_REPLY = (
    f"250-{HOSTNAME}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-SIZE {MAX_MESSAGE_BYTES}\r\n250 HELP\r\n"
).encode()
EHLO_REPLY_PIPELINING = EHLO_REPLY.replace(b"250 HELP", b"250-PIPELINING\r\n250 HELP")
GREETING = f"220 {HOSTNAME} ESMTP counting sink\r\n".encode()
OK = b"250 2.0.0 Ok\r\n"


@dataclass
class Counters:
    messages: int = 0
    recipients: int = 0
    bytes: int = 0
    connections: int = 0
    first_message_at: float | None = None
    last_message_at: float | None = None

    def count_message(self, recipients: int, size: int) -> None:
        now = time.time()
        if self.first_message_at is None:
            self.first_message_at = now
        self.last_message_at = now
        self.messages += 1
        self.recipients += recipients
        self.bytes += size


class SmtpSinkProtocol(asyncio.Protocol):
    """One SMTP session. Command lines are buffered until CRLF; message data is scanned, never stored."""

    def __init__(self, counters: Counters, pipelining: bool = False) -> None:
        self._counters = counters
        self._ehlo_reply = EHLO_REPLY_PIPELINING if pipelining else EHLO_REPLY
        self._transport: asyncio.Transport | None = None
        self._buffer = b""
        self._greeted = False
        self._quitting = False
        self._sender: str | None = None
        self._recipients = 0
        self._in_data = False
        self._data_tail = b""
        self._data_size = 0
        self._commands: dict[str, Callable[[str], bytes]] = {
            "EHLO": self._ehlo,
            "HELO": self._helo,
            "MAIL": self._mail,
            "RCPT": self._rcpt,
            "DATA": self._data,
            "RSET": self._rset,
            "NOOP": lambda _: OK,
            "VRFY": lambda _: b"252 2.0.0 Cannot VRFY user, but will accept message\r\n",
            "QUIT": self._quit,
        }

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it
        self._counters.connections += 1
        self._transport.write(GREETING)

    def data_received(self, data: bytes) -> None:
        pending = data
        while pending and self._transport is not None and not self._transport.is_closing():
            pending = self._feed_data(pending) if self._in_data else self._feed_commands(pending)

    # --- command phase ---------------------------------------------------------------------------------

    def _feed_commands(self, data: bytes) -> bytes:
        """Answer every complete line; returns the bytes after a DATA command (message data) or b""."""
        assert self._transport is not None
        self._buffer += data
        replies: list[bytes] = []
        while not self._in_data and not self._quitting and (end := self._buffer.find(b"\n")) >= 0:
            line = self._buffer[:end].rstrip(b"\r").decode("utf-8", "replace")
            self._buffer = self._buffer[end + 1 :]
            replies.append(self._command(line))
        if len(self._buffer) > MAX_LINE_BYTES:
            replies.append(b"500 5.5.2 Line too long\r\n")
            self._buffer = b""
        self._transport.write(b"".join(replies))
        if self._quitting:
            self._transport.close()
            return b""
        if self._in_data:
            rest, self._buffer = self._buffer, b""
            return rest
        return b""

    def _command(self, line: str) -> bytes:
        verb, _, argument = line.partition(" ")
        handler = self._commands.get(verb.upper())
        if handler is None:
            return b"500 5.5.2 Error: command not recognized\r\n"
        return handler(argument.strip())

    def _ehlo(self, argument: str) -> bytes:
        if not argument:
            return b"501 5.5.4 Syntax: EHLO hostname\r\n"
        self._greeted = True
        self._reset()
        return self._ehlo_reply

    def _helo(self, argument: str) -> bytes:
        if not argument:
            return b"501 5.5.4 Syntax: HELO hostname\r\n"
        self._greeted = True
        self._reset()
        return f"250 {HOSTNAME}\r\n".encode()

    def _mail(self, argument: str) -> bytes:
        if not self._greeted:
            return b"503 5.5.1 Error: send HELO first\r\n"
        if self._sender is not None:
            return b"503 5.5.1 Error: nested MAIL command\r\n"
        if not argument.upper().startswith("FROM:"):
            return b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
        self._sender = argument[5:].strip()
        return b"250 2.1.0 Ok\r\n"

    def _rcpt(self, argument: str) -> bytes:
        if self._sender is None:
            return b"503 5.5.1 Error: need MAIL command\r\n"
        if not argument.upper().startswith("TO:") or not argument[3:].strip():
            return b"501 5.5.4 Syntax: RCPT TO:<address>\r\n"
        self._recipients += 1
        return b"250 2.1.5 Ok\r\n"

    def _data(self, argument: str) -> bytes:
        if argument:
            return b"501 5.5.4 Syntax: DATA\r\n"
        if not self._recipients:
            return b"503 5.5.1 Error: need RCPT command\r\n"
        self._in_data = True
        self._data_tail = b"\r\n"  # the data starts at the beginning of a line
        self._data_size = 0
        return b"354 End data with <CR><LF>.<CR><LF>\r\n"

    def _rset(self, _: str) -> bytes:
        self._reset()
        return OK

    def _quit(self, _: str) -> bytes:
        self._quitting = True
        return b"221 2.0.0 Bye\r\n"

    def _reset(self) -> None:
        self._sender = None
        self._recipients = 0

    # --- data phase ------------------------------------------------------------------------------------

    def _feed_data(self, data: bytes) -> bytes:
        """Look for the end of the message; returns the bytes after it (more commands) or b""."""
        assert self._transport is not None
        scanned = self._data_tail + data
        end = scanned.find(DATA_END)
        if end < 0:
            self._data_size += len(data)
            self._data_tail = scanned[-(len(DATA_END) - 1) :]
            return b""
        self._data_size += end + 2 - len(self._data_tail)  # up to the CRLF before the dot; approximate
        self._counters.count_message(self._recipients, max(0, self._data_size))
        self._in_data = False
        self._reset()
        self._transport.write(f"250 2.0.0 Ok: queued as {self._counters.messages}\r\n".encode())
        return scanned[end + len(DATA_END) :]

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


# --- the report file ---------------------------------------------------------------------------------


def report(counters: Counters, port: int) -> dict[str, Any]:
    return {
        "messages": counters.messages,
        "recipients": counters.recipients,
        "bytes": counters.bytes,
        "connections": counters.connections,
        "first_message_at": counters.first_message_at,
        "last_message_at": counters.last_message_at,
        "updated_at": time.time(),
        "pid": os.getpid(),
        "port": port,
    }


def write_report(path: Path, data: dict[str, Any]) -> None:
    """Atomically replace the report, so a reader never sees a half-written file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data))
    os.replace(temporary, path)


def read_report(path: Path) -> dict[str, Any] | None:
    """The sink's latest report, or None before the sink has written one."""
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data


# --- the process ---------------------------------------------------------------------------------------


async def serve(
    host: str, port: int, report_file: Path, interval: float, duration_limit: float, pipelining: bool = False
) -> None:
    counters = Counters()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SmtpSinkProtocol(counters, pipelining), host, port, backlog=1024
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    deadline = loop.time() + duration_limit
    try:
        while not stop.is_set() and loop.time() < deadline:
            write_report(report_file, report(counters, port))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=min(interval, max(0.0, deadline - loop.time())))
    finally:
        server.close()
        write_report(report_file, report(counters, port))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument(
        "--report-file", type=Path, required=True, help="JSON counters, replaced periodically"
    )
    parser.add_argument("--report-interval", type=float, default=0.25, help="seconds between reports")
    parser.add_argument("--duration-limit", type=float, default=900.0, help="exit after this many seconds")
    parser.add_argument("--pipelining", action="store_true", help="advertise PIPELINING (RFC 2920) in EHLO")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    coroutine = serve(
        args.host, args.port, args.report_file, args.report_interval, args.duration_limit, args.pipelining
    )
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
