"""Signed open/click tracking tokens: round trips, tampering, foreign keys, refused URLs."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postwarden.domain.tracking import (
    MAX_URL_LENGTH,
    ClickTarget,
    OpenTarget,
    TrackingSigner,
    is_trackable_url,
)

KEY = b"k" * 32
SES_ID = "0100018f4a6b1c2d-3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7-000000"
URL = "https://shop.example.com/track/12345?utm_source=mail&utm_campaign=spring"


@pytest.fixture
def signer() -> TrackingSigner:
    return TrackingSigner(KEY)


def test_click_round_trip(signer: TrackingSigner) -> None:
    token = signer.click_token(SES_ID, 42, URL, {"campaign": "spring", "pos": "top"})
    target = signer.verify(token)
    assert target == ClickTarget(SES_ID, 42, URL, {"campaign": "spring", "pos": "top"})
    assert isinstance(target, ClickTarget)
    assert list(target.link_tags) == ["campaign", "pos"]


def test_open_round_trip(signer: TrackingSigner) -> None:
    assert signer.verify(signer.open_token(SES_ID, 7)) == OpenTarget(SES_ID, 7)


def test_tokens_are_url_safe_and_compact(signer: TrackingSigner) -> None:
    open_token = signer.open_token(SES_ID, 123456)
    click_token = signer.click_token(SES_ID, 123456, URL, {})
    for token in (open_token, click_token):
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(open_token) <= 60  # the SES-shaped id is packed into 24 bytes
    assert len(click_token) <= 60 + len(URL) * 4 // 3 + 4


def test_message_ids_that_are_not_ses_shaped_round_trip(signer: TrackingSigner) -> None:
    for message_id in ("x@example.com", SES_ID.upper(), SES_ID.replace("-000000", "-000001"), "Ünïcode-id"):
        target = signer.verify(signer.open_token(message_id, 0))
        assert target == OpenTarget(message_id, 0)


def test_large_recipient_ids_round_trip(signer: TrackingSigner) -> None:
    for recipient_id in (0, 127, 128, 2**31, 2**63 - 1):
        assert signer.verify(signer.open_token(SES_ID, recipient_id)) == OpenTarget(SES_ID, recipient_id)


def test_open_and_click_tokens_differ_for_the_same_recipient(signer: TrackingSigner) -> None:
    assert signer.open_token(SES_ID, 1) != signer.open_token(SES_ID, 2)
    assert signer.click_token(SES_ID, 1, URL, {}) != signer.click_token(SES_ID, 1, URL + "x", {})


def test_every_single_character_change_is_refused(signer: TrackingSigner) -> None:
    token = signer.click_token(SES_ID, 42, URL, {"a": "b"})
    alphabet = "AZaz09_-"
    for index in range(len(token)):
        for replacement in alphabet:
            if replacement != token[index]:
                tampered = token[:index] + replacement + token[index + 1 :]
                assert signer.verify(tampered) is None, (index, replacement)


def test_truncated_extended_and_garbage_tokens_are_refused(signer: TrackingSigner) -> None:
    token = signer.open_token(SES_ID, 1)
    for bad in (
        "",
        token[:-1],
        token[:-2],
        token[1:],
        token + "A",
        token + "AA",
        token + "=",
        token + "==",
        " " + token,
        token.replace("-", "+").replace("_", "/"),
        "A" * 10,
        "A" * 10_000,
        "é" * 30,
        "../../etc/passwd",
    ):
        if bad != token:
            assert signer.verify(bad) is None, bad


def test_a_non_canonical_spelling_of_a_token_is_refused(signer: TrackingSigner) -> None:
    # 43 bytes -> 58 characters: the last character carries 4 unused bits; setting one of them
    # decodes to the same bytes, but is not the token the signer handed out.
    token = signer.open_token(SES_ID, 300)
    assert len(token) % 4 == 2
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    variant = token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1]
    assert base64.urlsafe_b64decode(variant + "==") == base64.urlsafe_b64decode(token + "==")
    assert signer.verify(variant) is None


def test_a_foreign_key_is_refused() -> None:
    token = TrackingSigner(b"other key, at least 16 bytes").click_token(SES_ID, 1, URL, {})
    assert TrackingSigner(KEY).verify(token) is None


def test_retired_keys_verify_but_do_not_sign() -> None:
    old = TrackingSigner(b"o" * 32)
    token = old.click_token(SES_ID, 3, URL, {"t": "v"})
    rotated = TrackingSigner(KEY, retired_keys=[b"o" * 32])
    assert rotated.verify(token) == ClickTarget(SES_ID, 3, URL, {"t": "v"})
    assert old.verify(rotated.open_token(SES_ID, 3)) is None


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        TrackingSigner(b"short")


@pytest.mark.parametrize(
    "url",
    [
        "mailto:someone@example.com",
        "javascript:alert(1)",
        "ftp://example.com/file",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example.com/path",
        "/relative/path",
        "#top",
        "https://",
        "http:example.com",
        "https:///path",
        "https://[::1",
        "https://example.com/a b",
        "https://example.com/\r\nLocation: https://evil.example.com/",
        "https://example.com/\x00",
        "https://example.com/" + "a" * MAX_URL_LENGTH,
        "",
    ],
)
def test_non_http_urls_are_refused(signer: TrackingSigner, url: str) -> None:
    assert not is_trackable_url(url)
    with pytest.raises(ValueError, match="Only absolute http"):
        signer.click_token(SES_ID, 1, url, {})


@pytest.mark.parametrize(
    "url",
    ["http://example.com", "HTTPS://EXAMPLE.COM/A?b=c#d", "https://[::1]:8443/x", "https://例え.jp/パス?q=ü"],
)
def test_http_and_https_urls_are_accepted(signer: TrackingSigner, url: str) -> None:
    assert is_trackable_url(url)
    target = signer.verify(signer.click_token(SES_ID, 1, url, {}))
    assert isinstance(target, ClickTarget)
    assert target.url == url


def test_location_is_ascii() -> None:
    target = ClickTarget(SES_ID, 1, "https://例え.jp/パス?q=ü&r=1", {})
    assert target.location == "https://%E4%BE%8B%E3%81%88.jp/%E3%83%91%E3%82%B9?q=%C3%BC&r=1"
    assert ClickTarget(SES_ID, 1, URL, {}).location == URL


def test_invalid_ids_are_refused(signer: TrackingSigner) -> None:
    with pytest.raises(ValueError):
        signer.open_token("", 1)
    with pytest.raises(ValueError):
        signer.open_token(SES_ID, -1)


URLS = st.from_regex(r"https?://[a-z0-9.-]{1,20}\.example(:[0-9]{1,5})?/[!-~]{0,60}", fullmatch=True)
TEXT = st.text(max_size=20, alphabet=st.characters(exclude_categories=["Cs"]))


@settings(max_examples=200, deadline=None)
@given(
    message_id=st.one_of(TEXT.filter(bool), st.just(SES_ID)),
    recipient_id=st.integers(min_value=0, max_value=2**63 - 1),
    url=URLS,
    tags=st.dictionaries(TEXT, TEXT, max_size=5),
)
def test_round_trip_property(message_id: str, recipient_id: int, url: str, tags: dict[str, str]) -> None:
    signer = TrackingSigner(KEY)
    assert signer.verify(signer.click_token(message_id, recipient_id, url, tags)) == ClickTarget(
        message_id, recipient_id, url, tags
    )
    assert signer.verify(signer.open_token(message_id, recipient_id)) == OpenTarget(message_id, recipient_id)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_verify_never_raises_on_arbitrary_text(token: str) -> None:
    assert TrackingSigner(KEY).verify(token) is None


def test_length_limits(signer: TrackingSigner) -> None:
    longest = "https://x.example/" + "é" * ((MAX_URL_LENGTH - 18) // 2)
    assert is_trackable_url(longest)
    assert not is_trackable_url(longest + "é")  # 4001 octets of UTF-8, fewer characters
    tags = {f"name{i}": "v" * 255 for i in range(50)}
    token = signer.click_token(SES_ID, 2**63 - 1, longest, tags)
    assert signer.verify(token) == ClickTarget(SES_ID, 2**63 - 1, longest, tags)
    with pytest.raises(ValueError, match="too large"):
        signer.click_token(SES_ID, 1, URL, {f"name{i}": "v" * 1000 for i in range(100)})
