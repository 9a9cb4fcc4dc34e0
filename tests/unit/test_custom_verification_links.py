"""The template context signed into custom verification links, and the addresses templates accept."""

from __future__ import annotations

import pytest

from postwarden.api.errors import bad_request
from postwarden.api.v2_verification_templates import decode_token, encode_token, safe_location
from postwarden.services.custom_verification import (
    ContextSigner,
    InvalidParameterError,
    LinkContext,
    plain_address,
)

CONTEXT = LinkContext("123456789012", "us-east-1", "welcome")


def test_a_signed_context_reads_back_only_with_its_own_token() -> None:
    signer = ContextSigner(b"server-key")
    signed = signer.sign("token-1", CONTEXT)
    assert signer.read("token-1", signed) == CONTEXT
    assert signer.read("token-2", signed) is None
    assert ContextSigner(b"another-key").read("token-1", signed) is None


@pytest.mark.parametrize("tampered", ["", "garbage", "abc.def", "e30.AAAA"])
def test_a_tampered_context_is_not_read(tampered: str) -> None:
    assert ContextSigner(b"server-key").read("token-1", tampered) is None


def test_an_edited_template_name_breaks_the_signature() -> None:
    signer = ContextSigner(b"server-key")
    payload, _, mac = signer.sign("t", CONTEXT).partition(".")
    other, _, _ = signer.sign("t", LinkContext("123456789012", "us-east-1", "other")).partition(".")
    assert signer.read("t", f"{other}.{mac}") is None
    assert signer.read("t", f"{payload}.{mac}") == CONTEXT


def test_templates_take_bare_addresses_only() -> None:
    assert plain_address("welcome@example.com", "FromEmailAddress") == "welcome@example.com"
    with pytest.raises(InvalidParameterError, match="display name"):
        plain_address("Brand <welcome@example.com>", "FromEmailAddress")
    with pytest.raises(InvalidParameterError, match="FromEmailAddress"):
        plain_address("not an address", "FromEmailAddress")


def test_redirect_locations_are_ascii_header_values() -> None:
    assert safe_location("https://a.example/ok?x=1&y=%20#top") == "https://a.example/ok?x=1&y=%20#top"
    assert safe_location("https://a.example/é ok\r\nSet-Cookie: x") == (
        "https://a.example/%C3%A9%20ok%0D%0ASet-Cookie:%20x"
    )


def test_next_tokens_round_trip_and_bad_ones_are_refused() -> None:
    assert decode_token(encode_token("tmpl-ü"), bad_request) == "tmpl-ü"
    assert decode_token(None, bad_request) is None
    with pytest.raises(Exception, match="NextToken"):
        decode_token("%%%", bad_request)
