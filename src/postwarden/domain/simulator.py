"""The SES mailbox simulator: addresses that are answered inside Postwarden, never over the network."""

from __future__ import annotations

from enum import StrEnum

from postwarden.domain.addresses import EmailAddress
from postwarden.domain.delivery import (
    BounceSubType,
    BounceType,
    Delivered,
    Outcome,
    PermanentFailure,
    SmtpReply,
)

SIMULATOR_DOMAIN = "simulator.amazonses.com"


class SimulatorScenario(StrEnum):
    SUCCESS = "success"
    BOUNCE = "bounce"
    OOTO = "ooto"
    COMPLAINT = "complaint"
    SUPPRESSION_LIST = "suppressionlist"


_BY_LOCAL = {scenario.value: scenario for scenario in SimulatorScenario}


def simulator_scenario(address: EmailAddress) -> SimulatorScenario | None:
    """The scenario for a simulator address (`bounce+label@…` included), or None for any other address."""
    if address.domain != SIMULATOR_DOMAIN:
        return None
    base = address.local_part.split("+", 1)[0].lower()
    return _BY_LOCAL.get(base)


def simulated_outcome(scenario: SimulatorScenario) -> Outcome:
    """What the simulated recipient's server answers (SES: `bounce@` gets 550 5.1.1 "Unknown User")."""
    if scenario is SimulatorScenario.BOUNCE:
        return PermanentFailure(SmtpReply(550, "5.1.1 user unknown"), "550 5.1.1 user unknown")
    if scenario is SimulatorScenario.SUPPRESSION_LIST:
        return PermanentFailure(
            None,
            "Amazon SES has suppressed sending to this address because it has a recent history of bouncing "
            "as an invalid address.",
            BounceType.PERMANENT,
            BounceSubType.SUPPRESSED,
        )
    return Delivered(SmtpReply(250, "2.6.0 Message received"))
