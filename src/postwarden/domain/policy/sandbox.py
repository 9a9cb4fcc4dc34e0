"""Who may be named on a message: verified senders always, verified recipients while in the sandbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from postwarden.domain.addresses import EmailAddress
from postwarden.domain.decision import Decision, Rule
from postwarden.domain.identities import VerifiedIdentities
from postwarden.domain.simulator import simulator_scenario

NOT_VERIFIED_PREFIX = "Email address is not verified. The following identities failed the check in region"
MAX_LISTED = 10
"""SES ends the list with an ellipsis when it cannot show every failed identity."""


def check_identities(
    senders: Sequence[EmailAddress],
    recipients: Sequence[EmailAddress],
    verified: VerifiedIdentities,
    *,
    sandbox: bool,
    region: str,
) -> Decision:
    failed_senders = _unique(a.shown for a in senders if not verified.covers(a))
    failed_recipients: list[str] = []
    if sandbox:
        failed_recipients = _unique(
            a.shown for a in recipients if simulator_scenario(a) is None and not verified.covers(a)
        )
    failed = _unique([*failed_senders, *failed_recipients])
    if not failed:
        return Decision.allow()
    listed = ", ".join(failed[:MAX_LISTED]) + (", ..." if len(failed) > MAX_LISTED else "")
    message = f"{NOT_VERIFIED_PREFIX} {region.upper()}: {listed}"
    parts = []
    if failed_senders:
        parts.append(f"sender identities not verified in {region}: {', '.join(failed_senders)}")
    if failed_recipients:
        parts.append(
            f"the account is in the sandbox in {region}, where every recipient must be a verified "
            f"identity or a mailbox-simulator address; not verified: {', '.join(failed_recipients)}. "
            "Verify them, or request production access"
        )
    return Decision.refuse(
        Rule.IDENTITY_NOT_VERIFIED,
        message,
        "; ".join(parts),
        measured=len(failed),
        limit=0,
        failed_identities=tuple(failed),
    )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
