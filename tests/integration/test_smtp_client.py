"""The outbound SMTP client and transport on the wire, against a scripted server: PIPELINING, refusals
inside a pipelined group, a server that goes away, one that stops answering, pooling and MX fallback."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from postwarden.delivery.mx import Route
from postwarden.delivery.smtp import SmtpSettings, SmtpTransport
from postwarden.delivery.smtp_client import SmtpClient, SmtpDisconnected, SmtpError
from postwarden.domain.delivery import Delivered, PermanentFailure, SmtpReply, TransientFailure
from tests.support.scripted_mta import CLOSE, SILENT, ScriptedMta

SENDER = "bounces@mail.example.com"
CONTENT = b"Subject: hi\r\n\r\n.a line with a leading dot\r\nbye\r\n"


async def _open(mta: ScriptedMta, command_timeout: float = 5.0) -> SmtpClient:
    return await SmtpClient.open(
        "127.0.0.1", mta.port, helo_name="pw.test", tls=None, connect_timeout=5.0,
        command_timeout=command_timeout,
    )  # fmt: skip


def _transport(*ports: int, **settings: Any) -> SmtpTransport:
    async def routes(domain: str) -> Route:
        return Route(tuple(("127.0.0.1", port) for port in ports))

    return SmtpTransport(routes, SmtpSettings(helo_name="pw.test", **settings))


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_with_pipelining_mail_rcpt_and_data_go_out_in_one_write_and_the_content_in_another() -> None:
    async with ScriptedMta() as mta:
        client = await _open(mta)
        assert client.pipelining
        reply = await client.send(SENDER, "bob@example.net", CONTENT)
        await client.quit()
    assert reply.code == 250
    group = b"MAIL FROM:<bounces@mail.example.com>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n"
    assert group in mta.reads, mta.reads
    assert b"Subject: hi\r\n\r\n..a line with a leading dot\r\nbye\r\n.\r\n" in mta.reads
    assert mta.messages == [b"Subject: hi\r\n\r\n..a line with a leading dot\r\nbye\r\n"]
    assert mta.commands[-1] == "QUIT"


async def test_without_pipelining_one_command_at_a_time() -> None:
    async with ScriptedMta(pipelining=False) as mta:
        client = await _open(mta)
        assert not client.pipelining
        assert (await client.send(SENDER, "bob@example.net", CONTENT)).code == 250
        client.abort()
    assert mta.reads[1:5] == [
        b"MAIL FROM:<bounces@mail.example.com>\r\n",
        b"RCPT TO:<bob@example.net>\r\n",
        b"DATA\r\n",
        b"Subject: hi\r\n\r\n..a line with a leading dot\r\nbye\r\n.\r\n",
    ]


@pytest.mark.parametrize("pipelining", [True, False])
async def test_a_refused_recipient_sends_no_content_resets_and_keeps_the_session(pipelining: bool) -> None:
    async with ScriptedMta(pipelining=pipelining) as mta:
        mta.answer("RCPT", "550 5.1.1 <nobody@example.net>: user unknown")
        client = await _open(mta)
        reply = await client.send(SENDER, "nobody@example.net", CONTENT)
        assert (reply.code, reply.enhanced) == (550, "5.1.1")
        assert client.is_connected
        assert (await client.send(SENDER, "bob@example.net", CONTENT)).code == 250
        client.abort()
    assert len(mta.messages) == 1  # only the second transaction carried content
    expected = ["MAIL", "RCPT", "DATA", "RSET"] if pipelining else ["MAIL", "RCPT", "RSET"]
    assert [c.split(" ")[0] for c in mta.commands[1 : 5 if pipelining else 4]] == expected


async def test_a_refused_sender_is_the_deciding_reply() -> None:
    async with ScriptedMta() as mta:
        mta.answer("MAIL", "451 4.3.0 try later")
        client = await _open(mta)
        reply = await client.send(SENDER, "bob@example.net", CONTENT)
        client.abort()
    assert reply.code == 451
    assert mta.messages == []
    assert "RSET" in mta.commands


async def test_data_accepted_after_a_refused_recipient_closes_without_sending_a_message() -> None:
    async with ScriptedMta() as mta:
        mta.answer("RCPT", "550 5.1.1 unknown")
        mta.answer("DATA", "354 go ahead anyway")  # a broken server
        client = await _open(mta)
        reply = await client.send(SENDER, "nobody@example.net", CONTENT)
    assert reply.code == 550
    assert not client.is_connected
    assert mta.messages == []


async def test_421_mid_session_is_a_transient_failure_and_the_connection_is_dropped() -> None:
    async with ScriptedMta() as mta:
        mta.answer("MAIL", "421 4.3.2 shutting down")
        transport = _transport(mta.port)
        outcome = await transport.deliver(SENDER, "bob@example.net", "example.net", CONTENT)
        assert isinstance(outcome, TransientFailure)
        assert outcome.reply is not None and outcome.reply.code == 421
        assert outcome.remote_mta_ip == "127.0.0.1"
        again = await transport.deliver(SENDER, "bob@example.net", "example.net", CONTENT)
        assert again == Delivered(SmtpReply(250, "2.0.0 Ok: queued"), "127.0.0.1")
        await transport.close()
    assert mta.connections == 2  # the closed session was not reused


async def test_a_connection_closed_after_data_is_a_transient_failure_without_a_reply() -> None:
    async with ScriptedMta() as mta:
        mta.answer("END", CLOSE)
        client = await _open(mta)
        with pytest.raises(SmtpDisconnected):
            await client.send(SENDER, "bob@example.net", CONTENT)
        mta.answer("END", CLOSE)
        transport = _transport(mta.port)
        outcome = await transport.deliver(SENDER, "bob@example.net", "example.net", CONTENT)
    assert isinstance(outcome, TransientFailure)
    assert outcome.reply is None and outcome.remote_mta_ip == "127.0.0.1"
    assert "failed" in outcome.description


async def test_a_server_that_stops_answering_times_out() -> None:
    async with ScriptedMta() as mta:
        mta.answer("END", SILENT)
        client = await _open(mta, command_timeout=0.2)
        with pytest.raises(TimeoutError):
            await client.send(SENDER, "bob@example.net", CONTENT)
        client.abort()
        mta.answer("END", SILENT)
        transport = _transport(mta.port, command_timeout=0.2)
        outcome = await transport.deliver(SENDER, "bob@example.net", "example.net", CONTENT)
    assert isinstance(outcome, TransientFailure) and outcome.reply is None
    assert outcome.remote_mta_ip == "127.0.0.1"


async def test_an_unanswered_ehlo_fails_the_connection_with_a_timeout() -> None:
    async with ScriptedMta() as mta:
        mta.answer("EHLO", SILENT)
        with pytest.raises(TimeoutError):
            await _open(mta, command_timeout=0.2)


async def test_ehlo_refused_falls_back_to_helo_and_a_refused_helo_fails_the_connection() -> None:
    async with ScriptedMta() as mta:
        mta.answer("EHLO", "502 5.5.1 no ESMTP here")
        client = await _open(mta)
        assert not client.pipelining
        assert (await client.send(SENDER, "bob@example.net", CONTENT)).code == 250
        client.abort()
        mta.answer("EHLO", "502 5.5.1 no")
        mta.answer("HELO", "501 5.5.4 no")
        with pytest.raises(SmtpError):
            await _open(mta)
    assert mta.commands[:2] == ["EHLO pw.test", "HELO pw.test"]


async def test_the_transport_reuses_sessions_up_to_the_message_cap_and_says_quit() -> None:
    async with ScriptedMta() as mta:
        transport = _transport(mta.port, max_messages_per_connection=2)
        for i in range(3):
            outcome = await transport.deliver(SENDER, f"r{i}@example.net", "example.net", CONTENT)
            assert isinstance(outcome, Delivered) and outcome.remote_mta_ip == "127.0.0.1"
        await transport.close()
    assert mta.connections == 2
    assert mta.commands.count("QUIT") == 2
    assert len(mta.messages) == 3


async def test_the_next_mx_host_is_tried_only_when_no_server_answered() -> None:
    async with ScriptedMta() as mta:
        transport = _transport(_closed_port(), mta.port, connect_timeout=2.0)
        outcome = await transport.deliver(SENDER, "bob@example.net", "example.net", CONTENT)
        assert isinstance(outcome, Delivered)
        async with ScriptedMta() as second:
            mta.answer("RCPT", "550 5.1.1 unknown")
            transport = _transport(mta.port, second.port)
            outcome = await transport.deliver(SENDER, "nobody@example.net", "example.net", CONTENT)
            assert isinstance(outcome, PermanentFailure)
            assert second.connections == 0
            await transport.close()


async def test_require_tls_without_starttls_is_a_transient_failure() -> None:
    async with ScriptedMta() as mta:
        transport = _transport(mta.port)
        outcome = await transport.deliver(SENDER, "bob@example.net", "example.net", CONTENT, require_tls=True)
        await transport.close()
    assert isinstance(outcome, TransientFailure) and "TLS is required" in outcome.description
    assert outcome.remote_mta_ip == "127.0.0.1"
    assert mta.messages == []
