"""The VERP return path names the message and the recipient; anything else is not ours."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postwarden.domain import ids
from postwarden.feedback.verp import VerpTarget, ses_message_id, verp_parse
from postwarden.services.delivery import verp_address

DOMAINS = ("bounces.postwarden.example", "mail.customer.example")
MESSAGE_ID = "0100018bcf3a41d2-2f9c7e51-6b1a-4d3e-9a77-51c0e2b8d4f1-000000"


def test_the_address_the_worker_writes_parses_back() -> None:
    address = verp_address(MESSAGE_ID, 42, "bounces.postwarden.example")
    assert verp_parse(address, DOMAINS) == VerpTarget(MESSAGE_ID, 42, "bounces.postwarden.example")


@pytest.mark.parametrize(
    "address",
    [
        f"<{MESSAGE_ID}-42@bounces.postwarden.example>",
        f"  {MESSAGE_ID}-42@BOUNCES.Postwarden.Example  ",
        f"{MESSAGE_ID}-42@bounces.postwarden.example.",
        f"{MESSAGE_ID.upper()}-42@bounces.postwarden.example",
    ],
)
def test_brackets_case_and_a_trailing_dot_are_tolerated(address: str) -> None:
    assert verp_parse(address, DOMAINS) == VerpTarget(MESSAGE_ID, 42, "bounces.postwarden.example")


def test_a_custom_mail_from_domain_is_matched_and_reported_as_configured() -> None:
    target = verp_parse(f"{MESSAGE_ID}-7@Mail.Customer.Example", DOMAINS)
    assert target == VerpTarget(MESSAGE_ID, 7, "mail.customer.example")


@pytest.mark.parametrize(
    "address",
    [
        "",
        "postmaster@bounces.postwarden.example",
        f"{MESSAGE_ID}-42@elsewhere.example",
        f"{MESSAGE_ID}-42@bounces.postwarden.example.evil.example",
        f"{MESSAGE_ID}-42@evil.example@bounces.postwarden.example",
        f"{MESSAGE_ID}@bounces.postwarden.example",
        f"{MESSAGE_ID}-@bounces.postwarden.example",
        f"{MESSAGE_ID}-0@bounces.postwarden.example",
        f"{MESSAGE_ID}-042@bounces.postwarden.example",
        f"{MESSAGE_ID}--42@bounces.postwarden.example",
        f"{MESSAGE_ID}-4x2@bounces.postwarden.example",
        f"{MESSAGE_ID}-1234567890123456789012@bounces.postwarden.example",
        f"{MESSAGE_ID[:-1]}-42@bounces.postwarden.example",
        f"x{MESSAGE_ID}-42@bounces.postwarden.example",
        "2f9c7e51-6b1a-4d3e-9a77-51c0e2b8d4f1-42@bounces.postwarden.example",
        f"{MESSAGE_ID}-42",
        "-42@bounces.postwarden.example",
    ],
)
def test_anything_else_is_rejected(address: str) -> None:
    assert verp_parse(address, DOMAINS) is None


def test_no_configured_domain_matches_nothing() -> None:
    assert verp_parse(f"{MESSAGE_ID}-42@bounces.postwarden.example", ()) is None


def test_the_ses_id_inside_our_message_id_header() -> None:
    assert ses_message_id(f"<{MESSAGE_ID}@us-east-1.postwarden.example>") == MESSAGE_ID
    assert ses_message_id(f"{MESSAGE_ID}@eu-west-1.postwarden.example") == MESSAGE_ID
    assert ses_message_id("<CAF=abc123@mail.gmail.com>") is None
    assert ses_message_id("") is None
    assert ses_message_id(None) is None


@given(
    region=st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2"]),
    epoch_ms=st.integers(min_value=0, max_value=2**48 - 1),
    unique=st.uuids(),
    recipient_id=st.integers(min_value=1, max_value=2**63 - 1),
    domain=st.sampled_from(DOMAINS),
)
def test_every_generated_return_path_round_trips(
    region: str, epoch_ms: int, unique: uuid.UUID, recipient_id: int, domain: str
) -> None:
    message_id = ids.message_id(region, epoch_ms, str(unique))
    parsed = verp_parse(verp_address(message_id, recipient_id, domain.upper()), DOMAINS)
    assert parsed == VerpTarget(message_id, recipient_id, domain)
