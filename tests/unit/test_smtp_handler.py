"""The DATA path of the SMTP handler: the real composer, a scripted accept pipeline, SES's replies."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiosmtpd.smtp import Envelope

from postwarden.domain.decision import Decision, Rule
from postwarden.services.compose import MessageComposer
from postwarden.smtp.auth import SmtpLogin
from postwarden.smtp.handler import SubmissionHandler
from postwarden.smtp.limits import AuthFailureThrottle, BackoffPolicy
from postwarden.smtp.protocol import SubmissionSession
from tests.support.fakes import FakeClock

MESSAGE = b"From: Sender <sender@example.com>\r\nTo: a@example.net\r\nSubject: hi\r\n\r\nbody\r\n"


class ScriptedSender:
    """Stands in for SendService: gives ids and answers submit() with a scripted decision or error."""

    def __init__(self) -> None:
        self.outcome: Decision | Exception = Decision.allow()
        self.submitted: list[Any] = []

    def new_message_id(self, region: str) -> str:
        return f"0100000000000001-00000000-0000-0000-0000-{len(self.submitted):012d}-000000"

    async def submit(self, message: Any) -> Decision:
        self.submitted.append(message)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


@pytest.fixture
def sender() -> ScriptedSender:
    return ScriptedSender()


def handler(sender: ScriptedSender, max_bytes: int = 1024 * 1024) -> SubmissionHandler:
    composer = MessageComposer(sender, FakeClock(), "pw.test")  # type: ignore[arg-type]
    return SubmissionHandler(
        composer,
        sender,  # type: ignore[arg-type]
        authenticator=None,  # type: ignore[arg-type]
        throttle=AuthFailureThrottle(BackoffPolicy()),
        max_message_bytes=max_bytes,
    )


LOGIN = SmtpLogin("111122223333", "eu-west-1", "AKIAKEY")


def session(login: SmtpLogin | None = LOGIN) -> SubmissionSession:
    s = SubmissionSession(asyncio.get_running_loop())
    s.peer = ("192.0.2.9", 40000)
    s.auth_data = login
    s.authenticated = login is not None
    return s


def envelope(data: bytes = MESSAGE, rcpts: tuple[str, ...] = ("a@example.net",)) -> Envelope:
    e = Envelope()
    e.mail_from = "bounces@example.com"
    e.rcpt_tos = list(rcpts)
    e.original_content = data
    return e


async def data(h: SubmissionHandler, s: SubmissionSession, e: Envelope) -> str:
    return await h.handle_DATA(None, s, e)  # type: ignore[arg-type]


async def test_accepted_message_gets_250_ok_and_the_message_id(sender: ScriptedSender) -> None:
    reply = await data(handler(sender), session(), envelope(rcpts=("a@example.net", "b@example.net")))
    (message,) = sender.submitted
    assert reply == f"250 Ok {message.message_id}"
    assert (message.account_id, message.region, message.caller_identity) == (
        "111122223333",
        "eu-west-1",
        "AKIAKEY",
    )
    assert message.operation == "SendRawEmail" and message.source_ip == "192.0.2.9"
    assert message.source.addr_spec == "bounces@example.com"  # MAIL FROM is the Return-Path identity
    assert [a.addr_spec for a in message.senders] == ["bounces@example.com", "sender@example.com"]
    assert [r.addr_spec for r in message.recipients] == ["a@example.net", "b@example.net"]
    assert b"Message-ID: <" + message.message_id.encode() in message.content


@pytest.mark.parametrize(
    ("decision", "reply"),
    [
        (
            Decision.refuse(Rule.SEND_RATE, "Maximum sending rate exceeded.", "measured"),
            "454 Throttling failure: Maximum sending rate exceeded.",
        ),
        (
            Decision.refuse(Rule.DAILY_QUOTA, "Daily message quota exceeded.", "measured"),
            "454 Throttling failure: Daily message quota exceeded.",
        ),
        (
            Decision.refuse(
                Rule.IDENTITY_NOT_VERIFIED,
                "Email address is not verified. The following identities failed the check in region "
                "EU-WEST-1: a@example.net",
                "measured",
            ),
            "554 Message rejected: Email address is not verified. The following identities failed the "
            "check in region EU-WEST-1: a@example.net",
        ),
    ],
)
async def test_refusals_get_ses_smtp_replies(sender: ScriptedSender, decision: Decision, reply: str) -> None:
    sender.outcome = decision
    assert await data(handler(sender), session(), envelope()) == reply


async def test_composition_errors_map_to_552_and_554(sender: ScriptedSender) -> None:
    h = handler(sender)
    many = tuple(f"r{i}@example.net" for i in range(51))
    assert (
        await data(h, session(), envelope(rcpts=many)) == "554 Message rejected: Recipient count exceeds 50."
    )
    assert await data(h, session(), envelope(b"no header section at all")) == (
        "554 Message rejected: The message must contain a header and a body, separated by a blank line."
    )
    assert await data(handler(sender, max_bytes=64), session(), envelope()) == "552 Message is too long."
    assert sender.submitted == []


async def test_an_unexpected_error_is_451_and_logged(
    sender: ScriptedSender, caplog: pytest.LogCaptureFixture
) -> None:
    sender.outcome = RuntimeError("database went away")
    with caplog.at_level(logging.ERROR, logger="postwarden.smtp"):
        assert await data(handler(sender), session(), envelope()) == "451 Temporary service failure"
    assert "database went away" in caplog.text
    sender.outcome = Decision.allow()  # and the next message goes through
    assert (await data(handler(sender), session(), envelope())).startswith("250 Ok ")


async def test_data_without_a_login_is_refused(sender: ScriptedSender) -> None:
    assert await data(handler(sender), session(None), envelope()) == "530 Authentication required"
    assert sender.submitted == []


async def test_recipients_past_the_limit_are_not_kept_and_the_message_is_refused(
    sender: ScriptedSender,
) -> None:
    h, s, e = handler(sender), session(), envelope(rcpts=())
    for i in range(1000):
        assert await h.handle_RCPT(None, s, e, f"r{i}@example.net", []) == "250 Ok"  # type: ignore[arg-type]
    assert len(e.rcpt_tos) == 51
    assert await data(h, s, e) == "554 Message rejected: Recipient count exceeds 50."
    assert await h.handle_RCPT(None, s, e, "not an address", []) == "553 not an address address unknown"  # type: ignore[arg-type]
