from __future__ import annotations

import pytest

from postwarden.domain.addresses import EmailAddress
from postwarden.domain.decision import Rule
from postwarden.domain.identities import VerifiedIdentities
from postwarden.domain.model import (
    DailyUsage,
    EnforcementStatus,
    SendingLimits,
    SendingState,
)
from postwarden.domain.policy import quota
from postwarden.domain.policy.send import PolicySettings, SendAttempt, decide

SANDBOX = SendingLimits(200, 1.0)
SETTINGS = PolicySettings()


def addr(text: str) -> EmailAddress:
    if "<" in text:
        return EmailAddress(text.split("<")[1].rstrip(">"), text)
    return EmailAddress.of(text)


def state(**changes: object) -> SendingState:
    base = SendingState.new_sandbox("111122223333", "us-east-1", SANDBOX, now=0.0)
    from dataclasses import replace

    return replace(base, **changes)  # type: ignore[arg-type]


def verified(*names: str) -> VerifiedIdentities:
    return VerifiedIdentities(frozenset(names))


def attempt(sender: str, *recipients: str) -> SendAttempt:
    return SendAttempt((addr(sender),), tuple(addr(r) for r in recipients))


def test_sandbox_refuses_unverified_recipients_with_ses_text() -> None:
    verdict = decide(
        state(),
        attempt("me@example.com", "a@other.com", "Bob <b@other.com>"),
        verified("example.com"),
        1.0,
        SETTINGS,
    )
    assert not verdict.decision.allowed
    assert verdict.decision.rule is Rule.IDENTITY_NOT_VERIFIED
    assert verdict.decision.message == (
        "Email address is not verified. The following identities failed the check in region US-EAST-1: "
        "a@other.com, Bob <b@other.com>"
    )
    assert "sandbox" in verdict.decision.explanation


def test_sender_failures_come_first_and_are_listed_as_given() -> None:
    verdict = decide(state(), attempt("Me <me@nowhere.com>", "x@else.com"), verified(), 1.0, SETTINGS)
    assert verdict.decision.message.endswith(": Me <me@nowhere.com>, x@else.com")


def test_simulator_recipients_need_no_verification_labels_included() -> None:
    verdict = decide(
        state(),
        attempt("me@example.com", "success@simulator.amazonses.com", "bounce+test1@simulator.amazonses.com"),
        verified("example.com"),
        1.0,
        SETTINGS,
    )
    assert verdict.decision.allowed


def test_subdomains_and_addresses_inherit_verification_from_the_parent_domain() -> None:
    verdict = decide(
        state(),
        attempt("news@mail.example.com", "someone@deep.sub.example.com"),
        verified("example.com"),
        1.0,
        SETTINGS,
    )
    assert verdict.decision.allowed


def test_a_verified_address_does_not_verify_its_domain() -> None:
    verdict = decide(
        state(), attempt("me@example.com", "you@example.com"), verified("me@example.com"), 1.0, SETTINGS
    )
    assert not verdict.decision.allowed
    assert verdict.decision.failed_identities == ("you@example.com",)


def test_production_sends_to_anyone_but_still_checks_the_sender() -> None:
    prod = state(production_access=True, limits=SendingLimits(50_000, 14.0))
    assert decide(
        prod, attempt("me@example.com", "x@any.org"), verified("example.com"), 1.0, SETTINGS
    ).decision.allowed
    refused = decide(prod, attempt("me@unverified.org", "x@any.org"), verified("example.com"), 1.0, SETTINGS)
    assert refused.decision.failed_identities == ("me@unverified.org",)


def test_many_failures_end_with_an_ellipsis() -> None:
    recipients = [f"r{i}@x.org" for i in range(12)]
    verdict = decide(state(), attempt("me@example.com", *recipients), verified("example.com"), 1.0, SETTINGS)
    assert verdict.decision.message.endswith(", ...")
    assert len(verdict.decision.failed_identities) == 12


def test_daily_quota_refuses_once_the_quota_is_used() -> None:
    full = state(usage=DailyUsage(200, 0))
    verdict = decide(
        full, attempt("me@example.com", "me@example.com"), verified("example.com"), 1.0, SETTINGS
    )
    assert verdict.decision.rule is Rule.DAILY_QUOTA
    assert verdict.decision.message == "Daily message quota exceeded."
    assert verdict.decision.measured == 200 and verdict.decision.limit == 200
    assert verdict.decision.window == "rolling 24 hours"


def test_simulator_mail_does_not_count_against_the_daily_quota_but_does_against_the_rate() -> None:
    full = state(usage=DailyUsage(200, 0))
    sim = attempt("me@example.com", "success@simulator.amazonses.com")
    verdict = decide(full, sim, verified("example.com"), 1.0, SETTINGS)
    assert verdict.decision.allowed
    assert verdict.state.usage.sent_last_24h == 200
    again = decide(verdict.state, sim, verified("example.com"), 1.1, SETTINGS)
    assert again.decision.rule is Rule.SEND_RATE


def test_accepted_send_counts_each_recipient() -> None:
    prod = state(production_access=True, limits=SendingLimits(1000, 100.0))
    verdict = decide(
        prod,
        attempt("me@example.com", "a@x.org", "b@x.org", "c@x.org"),
        verified("example.com"),
        1.0,
        SETTINGS,
    )
    assert verdict.state.usage.sent_last_24h == 3
    assert verdict.state.bucket.tokens == 97.0


@pytest.mark.parametrize(
    ("changes", "rule", "message"),
    [
        (
            {"enforcement_status": EnforcementStatus.SHUTDOWN},
            Rule.ACCOUNT_PAUSED,
            "Sending paused for this account. For more information, please check the inbox of the email "
            "address associated with your AWS account.",
        ),
        ({"sending_enabled": False}, Rule.SENDING_DISABLED, "Sending is disabled for this account."),
    ],
)
def test_paused_and_disabled_accounts(changes: dict[str, object], rule: Rule, message: str) -> None:
    verdict = decide(
        state(**changes), attempt("me@example.com", "me@example.com"), verified("example.com"), 1.0, SETTINGS
    )
    assert verdict.decision.rule is rule
    assert verdict.decision.message == message


def test_rolling_window_expiry_arithmetic() -> None:
    usage = DailyUsage(5, 0)
    assert quota.expire(usage, 3, 10) == DailyUsage(2, 10)
    assert quota.expire(DailyUsage(2, 10), 1, 10) == DailyUsage(2, 10)  # already counted through 10
    assert quota.window_start(86_400 + 100.9) == 100
