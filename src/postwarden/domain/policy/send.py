"""The send policy: every rule a message must pass before it is accepted, in SES's order."""

from __future__ import annotations

from dataclasses import dataclass

from postwarden.domain.addresses import EmailAddress
from postwarden.domain.decision import Decision, Rule
from postwarden.domain.identities import VerifiedIdentities
from postwarden.domain.model import EnforcementStatus, SendingState
from postwarden.domain.policy import quota, ratelimit
from postwarden.domain.policy.sandbox import check_identities
from postwarden.domain.simulator import simulator_scenario

SENDING_PAUSED = (
    "Sending paused for this account. For more information, please check the inbox of the email "
    "address associated with your AWS account."
)
SENDING_DISABLED = "Sending is disabled for this account."


@dataclass(frozen=True, slots=True)
class PolicySettings:
    burst_seconds: float = 1.0


@dataclass(frozen=True, slots=True)
class SendAttempt:
    senders: tuple[EmailAddress, ...]
    """Identities that must be verified: Source / From, and Sender / Return-Path when given."""
    recipients: tuple[EmailAddress, ...]

    @property
    def quota_cost(self) -> int:
        """Recipients counted against the daily quota: the mailbox simulator is excluded."""
        return sum(1 for r in self.recipients if simulator_scenario(r) is None)

    @property
    def rate_cost(self) -> int:
        """Recipients counted against the send rate: all of them, the simulator included."""
        return len(self.recipients)


@dataclass(frozen=True, slots=True)
class SendVerdict:
    decision: Decision
    state: SendingState
    """The state to store: usage and bucket advanced when accepted, the bucket refilled otherwise."""


def decide(
    state: SendingState,
    attempt: SendAttempt,
    verified: VerifiedIdentities,
    now: float,
    settings: PolicySettings,
) -> SendVerdict:
    if state.enforcement_status is EnforcementStatus.SHUTDOWN:
        explanation = (
            f"sending is paused in {state.region} by reputation enforcement (status SHUTDOWN); "
            "an operator must reinstate the account"
        )
        return SendVerdict(Decision.refuse(Rule.ACCOUNT_PAUSED, SENDING_PAUSED, explanation), state)
    if not state.sending_enabled:
        explanation = (
            f"sending was disabled for this account in {state.region} by PutAccountSendingAttributes "
            "or UpdateAccountSendingEnabled; enable it again with the same call"
        )
        return SendVerdict(Decision.refuse(Rule.SENDING_DISABLED, SENDING_DISABLED, explanation), state)

    identity = check_identities(
        attempt.senders,
        attempt.recipients,
        verified,
        sandbox=not state.production_access,
        region=state.region,
    )
    if not identity.allowed:
        return SendVerdict(identity, state)

    daily = quota.check(state.usage, state.limits.max_24_hour_send, attempt.quota_cost)
    if not daily.allowed:
        return SendVerdict(daily, state)

    rate, bucket = ratelimit.take(
        state.bucket, now, attempt.rate_cost, state.limits.max_send_rate, settings.burst_seconds
    )
    if not rate.allowed:
        return SendVerdict(rate, state.with_bucket(bucket))

    usage = quota.record(state.usage, attempt.quota_cost)
    return SendVerdict(Decision.allow(), state.with_bucket(bucket).with_usage(usage))


__all__ = ["PolicySettings", "Rule", "SendAttempt", "SendVerdict", "decide"]
