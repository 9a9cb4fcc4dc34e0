"""DKIM-signing claimed messages for delivery: the key of the sender's verified domain, one signature per
message (every recipient of it gets the same signed bytes)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace

from postwarden.dkim.signing import DkimSigner, DkimSigningError
from postwarden.ports import DueRecipient, MessageContent, Transaction
from postwarden.services.dkim import DkimKeys, SigningKey

log = logging.getLogger("postwarden.dkim")


class MessageSigner:
    def __init__(self, keys: DkimKeys, signer: DkimSigner | None = None) -> None:
        self._keys = keys
        self._signer = signer or DkimSigner()

    def keys_for(
        self, tx: Transaction, due: Sequence[DueRecipient], contents: Mapping[str, MessageContent]
    ) -> dict[str, SigningKey]:
        """The signing key for each claimed message whose sender's domain signs (inside the claim)."""
        found: dict[str, SigningKey] = {}
        for recipient in due:
            content = contents.get(recipient.message_id)
            if content is None or recipient.message_id in found:
                continue
            domain = sender_domain(content.source)
            if not domain:
                continue
            key = self._keys.signing_key(tx, recipient.account_id, recipient.region, domain)
            if key is not None:
                found[recipient.message_id] = key
        return found

    def sign(
        self, contents: Mapping[str, MessageContent], keys: Mapping[str, SigningKey]
    ) -> dict[str, MessageContent]:
        signed = dict(contents)
        for message_id, key in keys.items():
            content = contents[message_id]
            try:
                header = self._signer.sign(
                    content.content, domain=key.domain, selector=key.selector, private_pem=key.private_pem
                )
            except DkimSigningError:
                log.exception("DKIM signing failed for %s; delivering it unsigned", message_id)
                continue
            signed[message_id] = replace(content, content=header + content.content)
        return signed


def sender_domain(source: str) -> str:
    """`Sender <me@Example.com>` → `example.com`."""
    address = source.rpartition("<")[2].rstrip(">").strip() if "<" in source else source.strip()
    return address.rpartition("@")[2].lower()
