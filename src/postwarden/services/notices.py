"""Notices to an account's contacts about decisions on it (enforcement, quota changes, reviews), sent as
mail through Postwarden itself and queued in the same transaction as the decision."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from postwarden.domain.addresses import EmailAddress
from postwarden.mail import build_simple_message
from postwarden.ports import Transaction
from postwarden.services.reputation_ledger import Notice
from postwarden.services.send import OutgoingMessage, SendService

log = logging.getLogger("postwarden.notices")

ContactLookup = Callable[[Transaction, str, str], list[str]]
"""The addresses that hear about an (account, region): the contacts the account gave."""


@dataclass(frozen=True, slots=True)
class NoticeSettings:
    sender: str
    hostname: str
    operator_copy: str = ""
    """An operator address that receives a copy of every notice (empty: none)."""


class MailedNotices:
    def __init__(self, sender: SendService, contacts: ContactLookup, settings: NoticeSettings) -> None:
        self._sender = sender
        self._contacts = contacts
        self._settings = settings

    def __call__(self, tx: Transaction, notice: Notice, now: float) -> None:
        recipients = list(dict.fromkeys(self._contacts(tx, notice.account_id, notice.region)))
        if self._settings.operator_copy:
            recipients.append(self._settings.operator_copy)
        if not recipients:
            log.info(
                "no contact address for account %s: notice %r not mailed", notice.account_id, notice.subject
            )
            return
        message_id = self._sender.new_message_id(notice.region)
        content = build_simple_message(
            from_address=self._settings.sender,
            to=recipients,
            subject=notice.subject,
            text=notice.text,
            message_id=f"<{message_id}@{notice.region}.{self._settings.hostname}>",
            date=datetime.fromtimestamp(now, UTC),
        )
        source = EmailAddress.of(self._settings.sender)
        self._sender.write_service_message(
            tx,
            OutgoingMessage(
                account_id=notice.account_id,
                region=notice.region,
                message_id=message_id,
                source=source,
                senders=(source,),
                recipients=tuple(EmailAddress.of(r) for r in recipients),
                content=content,
                caller_identity="postwarden",
                source_ip="",
                operation="Notice",
                common_headers={"from": [self._settings.sender], "to": recipients, "subject": notice.subject},
            ),
            now,
        )
