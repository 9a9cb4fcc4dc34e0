"""The VERP return path: `{message_id}-{recipient_id}@{bounce domain}`, one per recipient, so that a bounce
names the message and the recipient it is about however the remote server words it.

The message id has SES's shape (`0100018c2f3a4b5c-<uuid>-000000`, see `postwarden.domain.ids`) and itself
contains dashes, so the recipient id is what follows the last one.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

_SES_MESSAGE_ID = re.compile(
    r"[0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9a-f]{6}", re.IGNORECASE
)
_RECIPIENT_ID = re.compile(r"[1-9][0-9]{0,18}")  # up to a signed 64-bit BIGINT


@dataclass(frozen=True, slots=True)
class VerpTarget:
    message_id: str
    recipient_id: int
    domain: str
    """The bounce domain as configured (the matching entry of `bounce_domains`)."""


def verp_parse(address: str, bounce_domains: Collection[str]) -> VerpTarget | None:
    """The message and recipient a return-path address stands for, or None if it is not one of ours.

    Accepts the bare address or `<address>`; the domain must be one of `bounce_domains` (any case).
    """
    candidate = address.strip()
    if candidate.startswith("<") and candidate.endswith(">"):
        candidate = candidate[1:-1].strip()
    local, at, domain = candidate.rpartition("@")
    if not at or not local:
        return None
    wanted = domain.rstrip(".").casefold()
    matched = next((d for d in bounce_domains if d.rstrip(".").casefold() == wanted), None)
    if matched is None:
        return None
    message_id, dash, recipient = local.rpartition("-")
    if not dash or not _SES_MESSAGE_ID.fullmatch(message_id) or not _RECIPIENT_ID.fullmatch(recipient):
        return None
    return VerpTarget(message_id.lower(), int(recipient), matched)


def ses_message_id(message_id_header: str | None) -> str | None:
    """The SES message id inside a Message-ID we wrote (`<{message_id}@{region}.{hostname}>`), if any."""
    if not message_id_header:
        return None
    local = message_id_header.strip().strip("<>").partition("@")[0]
    return local.lower() if _SES_MESSAGE_ID.fullmatch(local) else None
