"""The aiosmtpd handler: SES's AUTH, address checks and the DATA path (compose → submit → SES's reply)."""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import logging
from base64 import b64decode
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, Session, TLSSetupException

from postwarden.mail import parse_address
from postwarden.mail.errors import MailError
from postwarden.services.compose import (
    MAX_RECIPIENTS,
    CompositionError,
    MessageComposer,
    Origin,
    RawContent,
    SendOptions,
)
from postwarden.services.send import SendService
from postwarden.ses_errors import errors_for
from postwarden.smtp.auth import SmtpAuthenticator, SmtpLogin
from postwarden.smtp.limits import AuthFailureThrottle
from postwarden.smtp.protocol import AUTH_REQUIRED, INVALID_MAIL_FROM, TOO_LONG, SubmissionSession

log = logging.getLogger("postwarden.smtp")

AUTH_OK = "235 Authentication successful"
AUTH_INVALID = "535 Authentication Credentials Invalid"
AUTH_UNAVAILABLE = "454 Temporary authentication failure"
TEMPORARY_FAILURE = "451 Temporary service failure"
COMPOSE_IN_THREAD_BYTES = 1024 * 1024
"""Messages larger than this are parsed off the event loop."""


class SubmissionHandler:
    """Shared by every connection; per-connection state lives on the aiosmtpd session."""

    def __init__(
        self,
        composer: MessageComposer,
        sender: SendService,
        authenticator: SmtpAuthenticator,
        throttle: AuthFailureThrottle,
        *,
        max_message_bytes: int,
    ) -> None:
        self._composer = composer
        self._sender = sender
        self._authenticator = authenticator
        self._throttle = throttle
        self._max_bytes = max_message_bytes
        self._in_flight = 0
        self._drained = asyncio.Event()

    # aiosmtpd picks the mechanisms up by name: these replace its built-in PLAIN and LOGIN, so that
    # the credential check can await the database and the back-off can sleep.
    async def auth_PLAIN(self, server: SMTP, args: list[str]) -> AuthResult:
        blob: Any = _b64(args[1]) if len(args) > 1 else await server.challenge_auth("")
        if blob is MISSING:  # the client sent "*" or bad base64; aiosmtpd has answered
            return AuthResult(success=False, handled=True)
        parts = blob.split(b"\x00") if isinstance(blob, bytes) else []
        if len(parts) != 3:
            await server.push("501 5.5.2 Can't decode AUTH PLAIN credentials")
            return AuthResult(success=False, handled=True)
        return await self._login(server, parts[1], parts[2])

    async def auth_LOGIN(self, server: SMTP, args: list[str]) -> AuthResult:
        username: Any = _b64(args[1]) if len(args) > 1 else await server.challenge_auth("Username:")
        if username is None:
            await server.push("501 5.5.2 Can't decode base64")
            return AuthResult(success=False, handled=True)
        if username is MISSING:
            return AuthResult(success=False, handled=True)
        password = await server.challenge_auth("Password:")
        if password is MISSING:
            return AuthResult(success=False, handled=True)
        assert isinstance(username, bytes) and isinstance(password, bytes)
        return await self._login(server, username, password)

    async def _login(self, server: SMTP, username: bytes, password: bytes) -> AuthResult:
        try:
            login = await self._authenticator.authenticate(
                username.decode("utf-8", "replace"), password.decode("utf-8", "replace")
            )
        except Exception:
            log.exception("SMTP authentication could not be checked")
            return AuthResult(success=False, handled=False, message=AUTH_UNAVAILABLE)
        if login is not None:
            return AuthResult(success=True, auth_data=login, message=AUTH_OK)
        session = server.session
        assert isinstance(session, SubmissionSession)
        session.failed_logins += 1
        client = _client_ip(session)
        penalty = self._throttle.failed(client, session.failed_logins)
        log.info("SMTP authentication failed from %s (%d on this connection)", client, session.failed_logins)
        await asyncio.sleep(penalty.delay)
        if not penalty.disconnect:
            return AuthResult(success=False, handled=False, message=AUTH_INVALID)
        log.warning("closing the SMTP connection from %s after repeated authentication failures", client)
        await server.push(AUTH_INVALID)
        if server.transport is not None:
            server.transport.close()
        return AuthResult(success=False, handled=True)

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250 Ok"] if responses and responses[-1] == "250 HELP" else responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        try:
            parse_address(address)
        except MailError:
            return INVALID_MAIL_FROM if address == "<>" else f"553 {address} Invalid email address"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 Ok"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            parse_address(address)
        except MailError:
            return f"553 {address} address unknown"
        # One more than the limit is enough for DATA to refuse the message as SES does; keeping no
        # more bounds the memory a client can make the session hold.
        if len(envelope.rcpt_tos) <= MAX_RECIPIENTS:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return "250 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self._in_flight += 1
        self._drained.clear()
        try:
            return await self._submit(session, envelope)
        except Exception:
            log.exception("SMTP submission from %s failed", _client_ip(session))
            return TEMPORARY_FAILURE
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._drained.set()

    async def handle_exception(self, error: Exception) -> str:
        if isinstance(error, TLSSetupException | ConnectionError):  # the client went away or gave up
            log.info("SMTP connection failed: %r", error.__cause__ or error)
        else:
            log.error("SMTP command failed", exc_info=error)
        return TEMPORARY_FAILURE

    async def drain(self, timeout: float) -> None:
        """Wait (at most `timeout` seconds) until no DATA is between receipt and reply."""
        if self._in_flight:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), timeout)

    async def _submit(self, session: Session, envelope: Envelope) -> str:
        login = session.auth_data
        if not isinstance(login, SmtpLogin):
            return AUTH_REQUIRED
        data = envelope.original_content or b""
        if len(data) > self._max_bytes:
            return TOO_LONG
        origin = Origin(
            account_id=login.account_id,
            region=login.region,
            caller_identity=login.access_key_id,
            source_ip=_client_ip(session),
            operation="SendRawEmail",
        )
        content = RawContent(
            data, source=envelope.mail_from, destinations=list(envelope.rcpt_tos), max_bytes=self._max_bytes
        )
        try:
            if len(data) > COMPOSE_IN_THREAD_BYTES:
                message, _ = await asyncio.to_thread(self._composer.raw, origin, content, SendOptions())
            else:
                message, _ = self._composer.raw(origin, content, SendOptions())
        except CompositionError as error:
            return TOO_LONG if error.kind == "too-large" else f"554 Message rejected: {error.message}"
        decision = await self._sender.submit(message)
        if decision.allowed:
            return f"250 Ok {message.message_id}"
        return errors_for(decision).smtp_reply(decision)


def _b64(text: str) -> bytes | None:
    try:
        return b64decode(text.encode(), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


def _client_ip(session: Session) -> str:
    peer = session.peer
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return str(peer or "")
