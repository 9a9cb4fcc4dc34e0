"""The inbound feedback MX: an SMTP listener that takes mail for the bounce domains only (it never
relays), reads each message as a DSN, complaint report or auto-reply, and hands it to the feedback
service. A reply of 250 means the report is stored; a failure answers 451 so the sender tries again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from postwarden.domain.events import EventType
from postwarden.feedback import FeedbackKind, FeedbackReport, RecipientReport, parse_feedback
from postwarden.feedback.verp import VerpTarget, ses_message_id, verp_parse
from postwarden.services.feedback import FeedbackItem, FeedbackService, InboundReport

log = logging.getLogger("postwarden.feedback")

MAX_REPORT_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FeedbackMxSettings:
    host: str
    port: int
    hostname: str
    bounce_domains: tuple[str, ...]
    max_report_bytes: int = MAX_REPORT_BYTES
    idle_timeout: float = 300.0


class FeedbackHandler:
    def __init__(self, service: FeedbackService, bounce_domains: Collection[str]) -> None:
        self._service = service
        self._domains = tuple(d.lower().rstrip(".") for d in bounce_domains)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        domain = address.rpartition("@")[2].lower().rstrip(".")
        if domain not in self._domains:
            return "550 5.7.1 Relaying denied: this server accepts feedback for its bounce domains only"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            report = await asyncio.to_thread(parse_feedback, raw)
            inbound = inbound_report(report, raw, envelope.mail_from or "", envelope.rcpt_tos, self._domains)
            outcome = await asyncio.to_thread(self._service.process, inbound)
        except Exception:  # nothing is lost: the sender keeps the report and tries again
            log.exception("storing a feedback report failed")
            return "451 4.3.0 Temporary failure storing the report, please try again"
        log.info("feedback report %s: %s, %d events", outcome.report_id, outcome.status, outcome.events)
        return f"250 2.0.0 Ok: report {outcome.report_id} {outcome.status}"


def inbound_report(
    report: FeedbackReport, raw: bytes, mail_from: str, rcpt_tos: list[str], domains: Collection[str]
) -> InboundReport:
    """What the service needs from a parsed report: one item per recipient it speaks of, each naming
    the message (and recipient) through the VERP address or the original Message-ID."""
    verp = _verp(rcpt_tos, report, domains)
    message_id = verp.message_id if verp else ses_message_id(report.original_message_id)
    recipient_id = verp.recipient_id if verp else None
    items: list[FeedbackItem] = []
    if report.kind is FeedbackKind.BOUNCE:
        failed = report.failed_recipients or ((RecipientReport(None),) if verp else ())
        items = [_item(EventType.BOUNCE, entry, message_id, recipient_id) for entry in failed]
    elif report.kind is FeedbackKind.DELAY:
        items = [
            _item(EventType.DELIVERY_DELAY, e, message_id, recipient_id) for e in report.delayed_recipients
        ]
    elif report.kind is FeedbackKind.COMPLAINT:
        addresses = report.original_rcpt_to or tuple(
            r.final_recipient for r in report.recipients if r.final_recipient
        )
        items = [
            FeedbackItem(EventType.COMPLAINT, message_id, recipient_id, address)
            for address in (addresses or (None,))
        ]
    arrival = report.arrival_date.timestamp() if report.arrival_date else None
    return InboundReport(
        raw=raw,
        mail_from=mail_from,
        rcpt_to=tuple(rcpt_tos),
        kind=report.kind.value,
        items=tuple(items),
        reporting_mta=report.reporting_mta,
        feedback_type=report.feedback_type,
        user_agent=report.user_agent,
        arrival=arrival,
        problems=report.problems,
    )


def _verp(rcpt_tos: list[str], report: FeedbackReport, domains: Collection[str]) -> VerpTarget | None:
    for address in [*rcpt_tos, report.original_return_path or "", report.original_mail_from or ""]:
        found = verp_parse(address, domains) if address else None
        if found is not None:
            return found
    return None


def _item(
    kind: EventType, entry: RecipientReport, message_id: str | None, recipient_id: int | None
) -> FeedbackItem:
    classification = entry.classification
    address = entry.original_recipient or entry.final_recipient
    if classification is None:
        return FeedbackItem(kind, message_id, recipient_id, address, diagnostic=entry.diagnostic_code)
    return FeedbackItem(
        kind,
        message_id,
        recipient_id,
        address,
        classification.bounce_type,
        classification.bounce_sub_type,
        classification.infrastructure,
        entry.status or classification.status,
        entry.diagnostic_code,
        entry.remote_mta,
    )


class FeedbackMx:
    def __init__(self, settings: FeedbackMxSettings, handler: FeedbackHandler) -> None:
        self._settings = settings
        self._handler = handler
        self._server: asyncio.Server | None = None

    @property
    def address(self) -> tuple[str, int] | None:
        if self._server is None or not self._server.sockets:
            return None
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        settings = self._settings
        factory: Callable[[], Any] = lambda: SMTP(  # noqa: E731 -- one SMTP protocol per connection
            self._handler,
            hostname=settings.hostname,
            data_size_limit=settings.max_report_bytes,
            timeout=settings.idle_timeout,
            loop=loop,
        )
        self._server = await loop.create_server(factory, settings.host, settings.port)
        log.info(
            "feedback MX listening on %s:%s for %s", settings.host, settings.port, settings.bounce_domains
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
