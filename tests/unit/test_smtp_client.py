"""The outbound SMTP client's pure parts: replies, the DATA payload, framing replies out of a byte stream."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from postwarden.delivery.smtp_client import (
    SmtpDisconnected,
    SmtpProtocolError,
    _ReplyReader,
    encode_content,
    parse_reply,
)
from postwarden.domain.delivery import SmtpReply


def test_a_single_line_reply_with_an_enhanced_status_code() -> None:
    reply = parse_reply([b"550 5.1.1 <bob@example.net>: user unknown"])
    assert reply == SmtpReply(550, "5.1.1 <bob@example.net>: user unknown")
    assert reply.enhanced == "5.1.1"


def test_a_multi_line_reply_joins_the_texts_and_takes_the_last_code() -> None:
    reply = parse_reply([b"452-4.2.2 mailbox full", b"452-try again", b"452 4.2.2 later"])
    assert reply.code == 452
    assert reply.text == "4.2.2 mailbox full\ntry again\n4.2.2 later"
    assert reply.enhanced == "4.2.2"


def test_a_bare_code_has_no_text() -> None:
    assert parse_reply([b"250"]) == SmtpReply(250, "")


@pytest.mark.parametrize("line", [b"hello", b"25", b"2x0 ok", b"250x ok", b""])
def test_a_line_that_is_not_a_reply_is_a_protocol_error(line: bytes) -> None:
    with pytest.raises(SmtpProtocolError):
        parse_reply([line])


@pytest.mark.parametrize(
    ("content", "wire"),
    [
        (b"Subject: x\r\n\r\nbody\r\n", b"Subject: x\r\n\r\nbody\r\n.\r\n"),
        (b"a\nb\n", b"a\r\nb\r\n.\r\n"),  # bare LF
        (b"a\rb\r\n", b"a\r\nb\r\n.\r\n"),  # bare CR
        (b"a\r\n.\r\nb", b"a\r\n..\r\nb\r\n.\r\n"),  # a lone dot would end the message early
        (b".leading\r\n..two\r\n", b"..leading\r\n...two\r\n.\r\n"),
        (b"a\n.b", b"a\r\n..b\r\n.\r\n"),  # normalised first, then stuffed
        (b"mid.dot\r\n", b"mid.dot\r\n.\r\n"),
        (b"no final line end", b"no final line end\r\n.\r\n"),
        (b"", b"\r\n.\r\n"),
    ],
)
def test_the_data_payload_is_crlf_normalised_dot_stuffed_and_terminated(content: bytes, wire: bytes) -> None:
    assert encode_content(content) == wire


class _FakeTransport:
    def __init__(self) -> None:
        self.closed = False
        self.written: list[bytes] = []

    def is_closing(self) -> bool:
        return self.closed

    def abort(self) -> None:
        self.closed = True

    def write(self, data: bytes) -> None:
        self.written.append(data)


def _reader() -> tuple[_ReplyReader, _FakeTransport]:
    reader = _ReplyReader(asyncio.get_running_loop())
    transport = _FakeTransport()
    fake: Any = transport
    reader.connection_made(fake)
    return reader, transport


async def test_replies_are_framed_across_reads_and_several_in_one_read() -> None:
    reader, _ = _reader()
    reader.data_received(b"250 2.1.0 Ok\r\n250-2.1.5 first\r\n250 2.1")
    reader.data_received(b".5 Ok\r")
    reader.data_received(b"\n354 go ahead\n")  # a bare LF is tolerated
    assert await reader.reply(1) == SmtpReply(250, "2.1.0 Ok")
    assert await reader.reply(1) == SmtpReply(250, "2.1.5 first\n2.1.5 Ok")
    assert await reader.reply(1) == SmtpReply(354, "go ahead")


async def test_a_waiting_read_gets_the_reply_when_it_arrives() -> None:
    reader, _ = _reader()
    pending = asyncio.ensure_future(reader.reply(5))
    await asyncio.sleep(0)
    assert not pending.done()
    reader.data_received(b"221 Bye\r\n")
    assert await pending == SmtpReply(221, "Bye")


async def test_no_reply_in_time_is_a_timeout() -> None:
    reader, _ = _reader()
    with pytest.raises(TimeoutError):
        await reader.reply(0.05)


async def test_replies_already_received_are_still_read_after_the_server_closes() -> None:
    reader, _ = _reader()
    reader.data_received(b"421 4.3.2 closing\r\n")
    reader.connection_lost(None)
    assert not reader.open
    assert (await reader.reply(1)).code == 421
    with pytest.raises(SmtpDisconnected):
        await reader.reply(1)
    with pytest.raises(SmtpDisconnected):
        reader.write(b"RSET\r\n")


async def test_garbage_from_the_server_drops_the_connection() -> None:
    reader, transport = _reader()
    reader.data_received(b"HTTP/1.1 400 Bad Request\r\n")
    assert transport.closed and not reader.open
    with pytest.raises(SmtpDisconnected, match="not an SMTP reply"):
        await reader.reply(1)


async def test_an_endless_reply_line_drops_the_connection() -> None:
    reader, transport = _reader()
    reader.data_received(b"250-" + b"x" * 10_000)
    assert transport.closed
    with pytest.raises(SmtpDisconnected, match="too long"):
        await reader.reply(1)
