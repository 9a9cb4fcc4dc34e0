"""aiosmtpd's SMTP protocol, told to answer as SES does where aiosmtpd has fixed texts of its own.

What is changed: the connection cap (421 before the greeting), the idle-timeout reply (451), SES's 530
for commands sent before AUTH, SES's 552 for a message over the size limit, and SES's replies to
unparsable MAIL FROM / RCPT TO addresses. Every decision about a message is left to the handler.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from typing import Any, AnyStr, cast

from aiosmtpd.smtp import SMTP, Session

from postwarden.smtp.limits import ConnectionGate

TOO_MANY_CONNECTIONS = b"421 Too many concurrent SMTP connections\r\n"
IDLE_TIMEOUT = b"451 Timeout waiting for data from client\r\n"
AUTH_REQUIRED = "530 Authentication required"
TOO_LONG = "552 Message is too long."
INVALID_MAIL_FROM = "501 Invalid MAIL FROM address provided"

# aiosmtpd's own texts for a message over data_size_limit (after DATA, and for MAIL FROM's SIZE=).
_REPLACED = {
    "552 Error: Too much mail data": TOO_LONG,
    "552 Error: message size exceeds fixed maximum message size": TOO_LONG,
}


class SubmissionSession(Session):
    """A session that counts failed logins, without aiosmtpd's deprecation warning on every AUTH."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self.failed_logins = 0

    @property
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


_PLAIN_PATH = re.compile(
    r"\s*<([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)>(.*)\Z",
    re.DOTALL,
)


class SubmissionProtocol(SMTP):
    """One client connection. `implicit_tls`: the listener wraps every connection in TLS (SMTPS)."""

    def __init__(
        self,
        handler: Any,
        *,
        gate: ConnectionGate,
        tls_context: ssl.SSLContext,
        implicit_tls: bool,
        hostname: str,
        data_size_limit: int,
        timeout: float,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__(
            handler,
            data_size_limit=data_size_limit,
            hostname=hostname,
            ident="ESMTP Postwarden",
            tls_context=None if implicit_tls else tls_context,
            require_starttls=not implicit_tls,
            timeout=timeout,
            auth_required=True,
            auth_require_tls=True,
            loop=loop,
        )
        if implicit_tls:
            # The listener itself is TLS, so AUTH is safe at once; aiosmtpd only knows of STARTTLS
            # (aio-libs/aiosmtpd#281), and passing auth_require_tls=False warns on every connection.
            self._auth_require_tls = False
        self._gate = gate
        self._started = False

    def _create_session(self) -> Session:
        return SubmissionSession(self.loop)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = not self._started  # STARTTLS calls this again with the TLS transport
        self._started = True
        super().connection_made(transport)
        if first and not self._gate.enter(self):
            assert self._handler_coroutine is not None
            self._handler_coroutine.cancel()  # before it has sent the greeting
            writer = cast(asyncio.WriteTransport, transport)  # uvloop's transports are not subclasses
            writer.write(TOO_MANY_CONNECTIONS)
            writer.close()

    def connection_lost(self, error: Exception | None) -> None:
        self._gate.leave(self)
        super().connection_lost(error)

    def data_received(self, data: bytes) -> None:
        # The idle timeout counts from the client's last bytes, not from its last command, so that a
        # long DATA upload is not cut off while it is still arriving.
        self._reset_timeout()
        super().data_received(data)

    def close_connection(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _timeout_cb(self) -> None:
        transport = cast(asyncio.WriteTransport | None, self.transport)
        if transport is not None and not transport.is_closing():
            transport.write(IDLE_TIMEOUT)
        super()._timeout_cb()  # type: ignore[no-untyped-call]

    async def push(self, status: AnyStr) -> None:
        if isinstance(status, str):
            status = _REPLACED.get(status, status)
        await super().push(status)

    async def check_auth_needed(self, caller_method: str) -> bool:
        assert self.session is not None
        if not self.session.authenticated:
            await self.push(AUTH_REQUIRED)
            return True
        return False

    async def smtp_MAIL(self, arg: str | None) -> None:
        address = self._address_argument("FROM:", arg)
        if address is not None and address[0] in ("", "<>"):  # null sender, or aiosmtpd cannot parse it
            await self.push(INVALID_MAIL_FROM)
            return
        await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg: str | None) -> None:
        address = self._address_argument("TO:", arg)
        if address is not None and not address[0]:
            await self.push(f"553 {address[1]} address unknown")
            return
        await super().smtp_RCPT(arg)

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """aiosmtpd's parse, with a fast path for the common `<dot-atom@host.name>` form: the email
        package's header parser it uses costs more CPU than the rest of a MAIL or RCPT command."""
        match = _PLAIN_PATH.match(arg)
        if match is None:
            return super()._getaddr(arg)
        address, rest = match.group(1), match.group(2).lstrip()
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, rest

    def _address_argument(self, keyword: str, arg: str | None) -> tuple[str, str] | None:
        """(parsed address or "", the address as sent), once HELO and AUTH are done; else None.

        Before HELO or AUTH aiosmtpd's own checks answer first (503, 530).
        """
        session = self.session
        if arg is None or session is None or not session.host_name or not session.authenticated:
            return None
        rest = self._strip_command_keyword(keyword, arg)
        if rest is None:
            return None
        address, _ = self._getaddr(rest)
        shown = rest.split(">", 1)[0].lstrip("<") if rest.startswith("<") else rest.split(" ", 1)[0]
        return (address or "", shown)
