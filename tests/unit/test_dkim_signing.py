"""DKIM signing, checked by dkimpy's verifier against the published key record (no network)."""

from __future__ import annotations

import re
import types
from collections.abc import Callable

import dkim  # type: ignore[import-untyped]
import dkim.util  # type: ignore[import-untyped]
import pytest
from cryptography.hazmat.primitives import serialization

from postwarden.dkim import (
    DkimKeyPair,
    DkimSigner,
    DkimSigningError,
    dns_txt_value,
    generate_key,
    prepend,
)

DOMAIN = "shop.example.com"
SELECTOR = "4z7nqdjl6wkyhtt6ex3yhzfcaykajbpj"  # the shape of an Easy DKIM token

MESSAGE = (
    b"Return-Path: <bounces@shop.example.com>\r\n"
    b"From: =?UTF-8?Q?Caf=C3=A9_M=C3=BCller?= <orders@shop.example.com>\r\n"
    b"To: Alice Example <alice@example.org>,\r\n"
    b' "Bob B." <bob@example.net>\r\n'
    b"Reply-To: support@shop.example.com\r\n"
    b"Subject: =?UTF-8?B?w5xiZXJzaWNodDogSWhyZSBCZXN0ZWxsdW5nIGlzdCB1bnRlcndlZ3Mg4pyI?=\r\n"
    b" =?UTF-8?B?77iP?=\r\n"
    b"Date: Mon, 06 May 2024 07:08:09 +0000\r\n"
    b"Message-ID: <0100018f4a6b1c2d-3e4f5a6b@email.shop.example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"List-Unsubscribe: <https://shop.example.com/unsubscribe/abc>,\r\n"
    b"\t<mailto:unsubscribe@shop.example.com?subject=abc>\r\n"
    b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    b"X-Mailer: Postwarden\r\n"
    b'Content-Type: multipart/alternative; boundary="=_pw_b1"\r\n'
    b"\r\n"
    b"--=_pw_b1\r\n"
    b"Content-Type: text/plain; charset=UTF-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Hallo Alice,\r\n"
    b"Ihre Bestellung #12345 ist unterwegs. Gr=C3=BC=C3=9Fe aus dem Caf=C3=A9!\r\n"
    b"\r\n"
    b"--=_pw_b1\r\n"
    b"Content-Type: text/html; charset=UTF-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"<html><body><p>Hallo Alice,</p><p>Ihre Bestellung <b>#12345</b> ist unterwe=\r\n"
    b"gs.</p></body></html>\r\n"
    b"\r\n"
    b"--=_pw_b1--\r\n"
)


@pytest.fixture(scope="module")
def key() -> DkimKeyPair:
    return generate_key(2048)


def key_record(
    key: DkimKeyPair, selector: str = SELECTOR, domain: str = DOMAIN
) -> Callable[..., bytes | None]:
    """dkimpy's ``dnsfunc``: the TXT record a receiver would find, for that exact name only."""
    expected = f"{selector}._domainkey.{domain}.".encode()

    def dnsfunc(name: bytes, timeout: float = 5) -> bytes | None:
        return dns_txt_value(key.public_b64).encode() if name == expected else None

    return dnsfunc


def sign(
    key: DkimKeyPair, message: bytes = MESSAGE, *, domain: str = DOMAIN, selector: str = SELECTOR
) -> bytes:
    return DkimSigner().sign(message, domain=domain, selector=selector, private_pem=key.private_pem)


def tags(header: bytes) -> dict[bytes, bytes]:
    value = header.split(b":", 1)[1]
    parsed: dict[bytes, bytes] = dkim.util.parse_tag_value(re.sub(rb"\s+", b"", value))
    return parsed


def verifies(message: bytes, key: DkimKeyPair) -> bool:
    return bool(dkim.verify(message, dnsfunc=key_record(key)))


def test_a_signed_multipart_message_verifies(key: DkimKeyPair) -> None:
    header = sign(key)
    assert verifies(prepend(MESSAGE, header), key)


def test_a_1024_bit_key_signs_too() -> None:
    small = generate_key(1024)
    assert verifies(prepend(MESSAGE, sign(small)), small)


def test_the_header_is_a_folded_crlf_dkim_signature(key: DkimKeyPair) -> None:
    header = sign(key)
    assert header.startswith(b"DKIM-Signature: ")
    assert header.endswith(b"\r\n")
    lines = header.split(b"\r\n")[:-1]
    assert len(lines) > 1
    assert all(line.startswith((b" ", b"\t")) for line in lines[1:])  # continuation lines
    assert all(len(line) <= 78 for line in lines)
    assert b"\n" not in header.replace(b"\r\n", b"")


def test_the_signature_is_relaxed_rsa_sha256_for_the_domain_and_selector(key: DkimKeyPair) -> None:
    fields = tags(sign(key))
    assert fields[b"v"] == b"1"
    assert fields[b"a"] == b"rsa-sha256"
    assert fields[b"c"] == b"relaxed/relaxed"
    assert fields[b"d"] == DOMAIN.encode()
    assert fields[b"s"] == SELECTOR.encode()
    assert b"l" not in fields  # the whole body is signed


def test_the_listed_headers_are_signed_once_each_and_from_is_oversigned(key: DkimKeyPair) -> None:
    signed = tags(sign(key))[b"h"].split(b":")
    assert signed == [
        b"from",
        b"to",
        b"reply-to",
        b"subject",
        b"date",
        b"message-id",
        b"mime-version",
        b"list-unsubscribe",
        b"list-unsubscribe-post",
        b"content-type",
        b"from",
    ]  # in message order; Cc is absent; Return-Path and X-Mailer are never signed


def test_every_instance_of_a_repeated_header_is_signed(key: DkimKeyPair) -> None:
    message = b"Cc: one@example.org\r\nCc: two@example.org\r\n" + MESSAGE
    assert tags(sign(key, message))[b"h"].split(b":").count(b"cc") == 2


def test_a_raw_utf8_subject_signs_and_verifies(key: DkimKeyPair) -> None:
    message = MESSAGE.replace(b"Reply-To:", "Subject: Grüße, Ölmühle ✈\r\nX-Old-Reply-To:".encode())
    message = re.sub(rb"Subject: =\?UTF-8\?B\?[^\r]*\r\n [^\r]*\r\n", b"", message)
    assert "Grüße".encode() in message
    assert verifies(prepend(message, sign(key, message)), key)


def test_lf_only_input_is_signed_as_its_crlf_form(key: DkimKeyPair) -> None:
    lf_message = MESSAGE.replace(b"\r\n", b"\n")
    header = sign(key, lf_message)
    assert verifies(prepend(MESSAGE, header), key)


@pytest.mark.parametrize(
    ("description", "tamper"),
    [
        ("body", lambda m: m.replace(b"#12345 ist", b"#12346 ist")),
        ("html part", lambda m: m.replace(b"<b>#12345</b>", b"<b>#99999</b>")),
        ("appended body", lambda m: m + b"Buy now!\r\n"),
        ("subject", lambda m: m.replace(b"w5xiZXJzaWNodD", b"w5xiZXJzaWNodE")),
        ("from", lambda m: m.replace(b"orders@shop.example.com>", b"billing@shop.example.com>", 1)),
        ("second from", lambda m: b"From: attacker@evil.example\r\n" + m),
        ("list-unsubscribe", lambda m: m.replace(b"unsubscribe/abc", b"unsubscribe/xyz")),
    ],
)
def test_tampering_breaks_the_signature(
    key: DkimKeyPair, description: str, tamper: Callable[[bytes], bytes]
) -> None:
    signed = prepend(MESSAGE, sign(key))
    tampered = tamper(signed)
    assert tampered != signed, description
    assert not verifies(tampered, key), description


@pytest.mark.parametrize(
    ("description", "change"),
    [
        ("unsigned header added", lambda m: m.replace(b"X-Mailer:", b"Received: from relay\r\nX-Mailer:")),
        ("header whitespace", lambda m: m.replace(b"Date: Mon,", b"Date:    Mon, ")),
        ("header name case", lambda m: m.replace(b"Reply-To:", b"REPLY-TO:")),
        ("trailing body whitespace", lambda m: m.replace(b"Hallo Alice,\r\n", b"Hallo Alice,  \r\n")),
        ("trailing empty lines", lambda m: m + b"\r\n\r\n"),
    ],
)
def test_relaxed_canonicalization_survives_benign_changes(
    key: DkimKeyPair, description: str, change: Callable[[bytes], bytes]
) -> None:
    changed = change(prepend(MESSAGE, sign(key)))
    assert verifies(changed, key), description


def test_the_wrong_key_or_selector_does_not_verify(key: DkimKeyPair) -> None:
    signed = prepend(MESSAGE, sign(key))
    assert not dkim.verify(signed, dnsfunc=key_record(generate_key(1024)))
    assert not dkim.verify(signed, dnsfunc=key_record(key, selector="other"))


def test_a_pkcs1_key_signs_too(key: DkimKeyPair) -> None:
    private = serialization.load_pem_private_key(key.private_pem, password=None)
    pkcs1 = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    header = DkimSigner().sign(MESSAGE, domain=DOMAIN, selector=SELECTOR, private_pem=pkcs1)
    assert verifies(prepend(MESSAGE, header), key)


def test_an_internationalised_domain_is_signed_as_its_a_label(key: DkimKeyPair) -> None:
    header = sign(key, domain="bücher.example")
    assert tags(header)[b"d"] == b"xn--bcher-kva.example"
    dnsfunc = key_record(key, domain="xn--bcher-kva.example")
    assert dkim.verify(prepend(MESSAGE, header), dnsfunc=dnsfunc)


def test_a_message_without_from_is_refused(key: DkimKeyPair) -> None:
    message = re.sub(rb"From: [^\r]*\r\n", b"", MESSAGE)
    with pytest.raises(DkimSigningError, match="no From header"):
        sign(key, message)


@pytest.mark.parametrize("bad", [b"", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"])
def test_an_unusable_key_is_a_signing_error(bad: bytes) -> None:
    with pytest.raises(DkimSigningError):
        DkimSigner().sign(MESSAGE, domain=DOMAIN, selector=SELECTOR, private_pem=bad)


@pytest.mark.parametrize(
    ("domain", "selector"),
    [("exa mple.com", SELECTOR), ("", SELECTOR), (DOMAIN, "a;b"), ("a..b", SELECTOR), (DOMAIN, "s=1")],
)
def test_names_that_would_break_the_tag_list_are_refused(
    key: DkimKeyPair, domain: str, selector: str
) -> None:
    with pytest.raises(DkimSigningError, match="not a valid DNS name"):
        sign(key, domain=domain, selector=selector)


def test_an_unparsable_header_block_is_a_signing_error(key: DkimKeyPair) -> None:
    for message in (
        b" folded first line\r\nFrom: a@b.example\r\n\r\nx\r\n",
        b"From a@b\r\nBad Header\r\n\r\n",
    ):
        with pytest.raises(DkimSigningError):
            sign(key, message)


def test_the_header_policy_is_configurable(key: DkimKeyPair) -> None:
    signer = DkimSigner(
        signed_headers=("From", "Subject", "X-Mailer"), oversigned_headers=("From", "Subject")
    )
    header = signer.sign(MESSAGE, domain=DOMAIN, selector=SELECTOR, private_pem=key.private_pem)
    assert tags(header)[b"h"].split(b":") == [b"from", b"subject", b"x-mailer", b"from", b"subject"]
    assert verifies(prepend(MESSAGE, header), key)
    with pytest.raises(ValueError, match="From must be signed"):
        DkimSigner(signed_headers=("Subject",))


def test_prepend_puts_the_header_first_and_terminates_it() -> None:
    assert (
        prepend(b"From: a@b\r\n\r\nx", b"DKIM-Signature: v=1\r\n")
        == b"DKIM-Signature: v=1\r\nFrom: a@b\r\n\r\nx"
    )
    assert (
        prepend(b"From: a@b\r\n\r\nx", b"DKIM-Signature: v=1") == b"DKIM-Signature: v=1\r\nFrom: a@b\r\n\r\nx"
    )
    assert DkimSigner.prepend(b"M", b"H\r\n") == b"H\r\nM"


@pytest.mark.parametrize("bits", [1024, 2048])
def test_the_header_is_byte_for_byte_what_dkimpy_signs(monkeypatch: pytest.MonkeyPatch, bits: int) -> None:
    key = generate_key(bits)
    monkeypatch.setattr(dkim, "time", types.SimpleNamespace(time=lambda: 1_715_000_000.7))
    for message in (MESSAGE, MESSAGE.replace(b"\r\n", b"\n"), b"From: a@b.example\r\n\r\n"):
        ours = DkimSigner(clock=lambda: 1_715_000_000.7).sign(
            message, domain=DOMAIN, selector=SELECTOR, private_pem=key.private_pem
        )
        theirs = dkim.sign(
            message,
            SELECTOR.encode(),
            DOMAIN.encode(),
            key.private_pem,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=tags(ours)[b"h"].split(b":"),
        )
        assert ours == theirs


def test_the_t_tag_comes_from_the_clock(key: DkimKeyPair) -> None:
    header = DkimSigner(clock=lambda: 1_715_000_123.9).sign(
        MESSAGE, domain=DOMAIN, selector=SELECTOR, private_pem=key.private_pem
    )
    assert tags(header)[b"t"] == b"1715000123"


def test_keys_are_loaded_once_and_bare_base64_keys_sign_too(key: DkimKeyPair) -> None:
    signer = DkimSigner(key_cache_size=2)
    bare = b"".join(line for line in key.private_pem.splitlines() if not line.startswith(b"-----"))
    for private_pem in (key.private_pem, key.private_pem, bare):
        header = signer.sign(MESSAGE, domain=DOMAIN, selector=SELECTOR, private_pem=private_pem)
        assert verifies(prepend(MESSAGE, header), key)


@pytest.mark.parametrize("name", ["Received", "Bcc", "DKIM-Signature", "Return-Path"])
def test_header_fields_that_must_not_be_signed_are_refused_in_the_policy(name: str) -> None:
    with pytest.raises(ValueError, match="must not be signed"):
        DkimSigner(signed_headers=("From", name))
