"""One failed recipient → SES's bounce type and subtype, and whether the refusal was about our server."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postwarden.domain.bounce_classification import (
    BounceClassification,
    classify_failure,
    classify_smtp_reply,
)
from postwarden.domain.delivery import BounceSubType as Sub
from postwarden.domain.delivery import BounceType as Kind
from postwarden.domain.delivery import SmtpReply
from postwarden.domain.suppression import DEFAULT_REASONS, reason_for_bounce

P, T, U = Kind.PERMANENT, Kind.TRANSIENT, Kind.UNDETERMINED

Expected = tuple[Kind, Sub, bool]
NO_EMAIL: Expected = (P, Sub.NO_EMAIL, False)
SUPPRESSED: Expected = (P, Sub.SUPPRESSED, False)
HARD: Expected = (P, Sub.GENERAL, False)
SOFT: Expected = (T, Sub.GENERAL, False)
FULL: Expected = (T, Sub.MAILBOX_FULL, False)
TOO_LARGE: Expected = (T, Sub.MESSAGE_TOO_LARGE, False)
CONTENT: Expected = (T, Sub.CONTENT_REJECTED, False)
ATTACHMENT: Expected = (T, Sub.ATTACHMENT_REJECTED, False)
OUR_SERVER: Expected = (T, Sub.GENERAL, True)
UNDETERMINED: Expected = (U, Sub.UNDETERMINED, False)

CASES: list[tuple[str | None, str | None, Expected]] = [
    # The address does not exist.
    ("5.1.1", "smtp; 550 5.1.1 <a@example.org>: Recipient address rejected: User unknown", NO_EMAIL),
    ("5.1.10", "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found", NO_EMAIL),
    ("5.0.0", "smtp; 550 5.1.1 The email account that you tried to reach does not exist", NO_EMAIL),
    (None, "554 delivery error: dd This user doesn't have a yahoo.com account", NO_EMAIL),
    (None, "550 No such user here", NO_EMAIL),
    (None, "Sorry, no mailbox here by that name. (#5.1.1)", NO_EMAIL),
    ("5.0.0", "smtp; 550 Requested action not taken: mailbox unavailable (user unknown)", NO_EMAIL),
    ("5.1.2", "smtp; 550 5.1.2 Host unknown (Name server: example.invalid: host not found)", NO_EMAIL),
    (None, "Unrouteable address", NO_EMAIL),
    # Unknown-user wording with a temporary code is not proof that the mailbox is gone.
    ("4.1.1", "smtp; 450 4.1.1 <a@example.org>: Recipient address rejected: User unknown", SOFT),
    # Full mailboxes.
    ("5.2.2", "smtp; 552 5.2.2 Mailbox full", FULL),
    ("4.2.2", "smtp; 452-4.2.2 The recipient's inbox is out of storage space", FULL),
    (None, "552 Requested mail action aborted: exceeded storage allocation", FULL),
    ("5.0.0", "smtp; 550 user is over quota", FULL),
    (None, "552 Mailbox size limit exceeded", FULL),
    # Too large.
    ("5.3.4", "smtp; 552 5.3.4 Message size exceeds fixed limit", TOO_LARGE),
    ("5.2.3", "smtp; 552 5.2.3 Message exceeds maximum size", TOO_LARGE),
    (None, "552 Message too large", TOO_LARGE),
    # Content and attachments.
    ("5.7.1", "SMTP; 550 5.7.1 Message content rejected, UBE, id=08812-07", CONTENT),
    ("5.7.1", "smtp; 550-5.7.1 this message is likely unsolicited mail", CONTENT),
    ("5.6.0", "smtp; 554 5.6.0 Message rejected: bad MIME structure", CONTENT),
    (None, "554 Message rejected as spam by Content Filtering", CONTENT),
    ("5.7.1", "smtp; 552 5.7.0 This message was blocked because its attachment may be unsafe", ATTACHMENT),
    (None, "554 5.6.1 File type .exe is not allowed", ATTACHMENT),
    # About our sending server: never the address's fault.
    (
        "5.7.1",
        "smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
        OUR_SERVER,
    ),
    ("5.7.606", "smtp; 550 5.7.606 Access denied, banned sending IP [198.51.100.33]", OUR_SERVER),
    ("5.7.1", "smtp; 553 5.7.1 [BL21] Connections will not be accepted from 198.51.100.36", OUR_SERVER),
    ("5.7.1", "smtp; 550 5.7.1 part of their network is on our block list (S3150)", OUR_SERVER),
    ("5.7.26", "smtp; 550-5.7.26 This mail is unauthenticated, which poses a security risk", OUR_SERVER),
    (
        "5.7.1",
        "smtp; 550 5.7.1 [192.0.2.1] very low reputation of the sending IP address, suspicious",
        OUR_SERVER,
    ),
    (
        "4.7.28",
        "smtp; 421-4.7.28 unusual rate of unsolicited mail originating from your IP address",
        OUR_SERVER,
    ),
    ("4.7.0", "smtp; 421 4.7.0 [TSS04] Messages temporarily deferred due to user complaints", OUR_SERVER),
    ("5.7.23", "smtp; 550 5.7.23 SPF validation failed", OUR_SERVER),
    ("5.7.1", "smtp; 554 5.7.1 <a@example.org>: Relay access denied", OUR_SERVER),
    ("5.7.0", "smtp; 550 5.7.0 Local policy violation", OUR_SERVER),
    ("5.1.8", "smtp; 553 5.1.8 <bounce@x>: Sender address rejected: Domain not found", OUR_SERVER),
    (None, "554 Your access to this mail system has been rejected due to poor reputation", OUR_SERVER),
    (None, "550 Blacklisted by RBL dnsbl.example", OUR_SERVER),
    ("4.0.0", "smtp; 450 4.7.1 Too many messages, slow down (rate limit)", OUR_SERVER),
    # Otherwise: the class of the code decides.
    ("5.0.0", "smtp; 550 Administrative prohibition", HARD),
    ("5.4.4", "X-Postfix; Host or domain name not found", HARD),
    ("5.2.1", "smtp; 550 5.2.1 The email account that you tried to reach is disabled", HARD),
    ("4.4.1", "X-Postfix; connect to mx.example.net[203.0.113.45]:25: Connection timed out", SOFT),
    ("4.2.1", "smtp; 450-4.2.1 The user you are trying to contact is receiving mail at a rate", SOFT),
    (None, "550 Go away", HARD),
    (None, "451 Try again later", SOFT),
    # Nothing to go on.
    (None, None, UNDETERMINED),
    (None, "", UNDETERMINED),
    (None, "The message could not be delivered.", UNDETERMINED),
    # The Amazon SES global suppression list.
    (
        None,
        "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as "
        "an invalid address.",
        SUPPRESSED,
    ),
]


@pytest.mark.parametrize(("status", "diagnostic", "expected"), CASES)
def test_classification(status: str | None, diagnostic: str | None, expected: Expected) -> None:
    result = classify_failure(status, diagnostic)
    assert (result.bounce_type, result.bounce_sub_type, result.infrastructure) == expected, result.reason


def test_the_reason_names_the_rule_and_its_evidence() -> None:
    assert classify_failure("5.1.1", "550 user unknown").reason == "status 5.1.1: no such mailbox"
    assert "over quota" in classify_failure(None, "550 user is over quota").reason
    assert classify_failure("5.7.1", "listed by zen.spamhaus.org").reason == "text 'listed by'"
    assert classify_failure().reason == "no status, reply code or known wording"


def test_a_generic_status_gives_way_to_a_precise_one_in_the_text() -> None:
    assert classify_failure("5.0.0", "smtp; 550-5.1.1 gone").status == "5.1.1"
    assert classify_failure("5.1.1", "smtp; 550 5.7.1 relay denied").status == "5.1.1"
    assert classify_failure("5.0.0", "smtp; 451 4.2.2 full").status == "5.0.0"
    assert classify_failure("5.01.001", None).status == "5.1.1"


def test_ip_addresses_and_dates_are_not_status_codes() -> None:
    assert classify_failure(None, "connect to 4.2.2.1 failed").status is None
    assert classify_failure(None, "host [10.5.1.1] refused").status is None
    assert classify_failure(None, "host 192.0.2.5 said: 550 5.1.1 gone").status == "5.1.1"
    assert classify_failure(None, "Yahoo (554.30) mailbox disabled").bounce_type is U


def test_the_smtp_code_decides_when_there_is_no_enhanced_status() -> None:
    assert classify_failure(None, "Mailbox unavailable", 550).bounce_type is P
    assert classify_failure(None, "Mailbox unavailable", 450).bounce_type is T
    assert classify_failure(None, "Remote host said: 554 go away").bounce_type is P


def test_a_direct_smtp_refusal_is_classified_the_same_way() -> None:
    assert classify_smtp_reply(SmtpReply(550, "5.1.1 user unknown")) == BounceClassification(
        P, Sub.NO_EMAIL, False, "status 5.1.1: no such mailbox", "5.1.1"
    )
    blocked = classify_smtp_reply(
        SmtpReply(554, "Service unavailable; client host blocked using zen.spamhaus.org")
    )
    assert blocked.infrastructure and blocked.bounce_type is T


@pytest.mark.parametrize(("status", "diagnostic", "expected"), [c for c in CASES if c[2][2]])
def test_an_infrastructure_refusal_never_suppresses_the_recipient(
    status: str | None, diagnostic: str | None, expected: Expected
) -> None:
    result = classify_failure(status, diagnostic)
    assert result.infrastructure
    assert (
        reason_for_bounce(
            result.bounce_type, result.bounce_sub_type, None, simulator=False, enabled=DEFAULT_REASONS
        )
        is None
    )


@given(
    status=st.one_of(st.none(), st.text(max_size=20)), diagnostic=st.one_of(st.none(), st.text(max_size=300))
)
def test_any_input_gets_a_classification(status: str | None, diagnostic: str | None) -> None:
    result = classify_failure(status, diagnostic)
    assert result.reason
    assert (result.bounce_type is U) == (result.bounce_sub_type is Sub.UNDETERMINED)
    if result.infrastructure:
        assert result.bounce_type is T
