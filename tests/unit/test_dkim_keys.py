"""DKIM keys: generation, bring-your-own validation, and the TXT record."""

from __future__ import annotations

import base64
import math

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from postwarden.dkim import (
    DkimKeyPair,
    InvalidDkimKeyError,
    dns_txt_value,
    generate_key,
    key_from_private_pem,
    txt_strings,
)


@pytest.fixture(scope="module")
def key_2048() -> DkimKeyPair:
    return generate_key(2048)


def rsa_key_from_primes(p: int, q: int) -> rsa.RSAPrivateKey:
    """An RSA key of any size in milliseconds: two known primes, no validation (that is under test)."""
    e = 65537
    lam = (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)
    d = pow(e, -1, lam)
    numbers = rsa.RSAPrivateNumbers(
        p,
        q,
        d,
        rsa.rsa_crt_dmp1(d, p),
        rsa.rsa_crt_dmq1(d, q),
        rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(e, p * q),
    )
    return numbers.private_key(unsafe_skip_rsa_key_validation=True)


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, fmt: serialization.PrivateFormat) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def bare_base64(pem_bytes: bytes) -> bytes:
    return b"".join(line for line in pem_bytes.splitlines() if not line.startswith(b"-----"))


@pytest.mark.parametrize("bits", [1024, 2048])
def test_generated_keys_have_the_requested_size_and_matching_halves(bits: int) -> None:
    pair = generate_key(bits)
    private = serialization.load_pem_private_key(pair.private_pem, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert pair.bits == private.key_size == bits
    assert private.private_numbers().public_numbers.e == 65537
    assert pair.private_pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")  # PKCS#8
    public = serialization.load_der_public_key(base64.b64decode(pair.public_b64, validate=True))
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.public_numbers() == private.public_key().public_numbers()


def test_generated_keys_differ() -> None:
    assert generate_key(1024).public_b64 != generate_key(1024).public_b64


@pytest.mark.parametrize("bits", [512, 1023, 3072, 4096])
def test_only_1024_and_2048_bit_keys_are_generated(bits: int) -> None:
    with pytest.raises(ValueError, match="1024 or 2048"):
        generate_key(bits)


def test_the_key_pair_repr_does_not_show_the_private_key(key_2048: DkimKeyPair) -> None:
    assert "PRIVATE" not in repr(key_2048)
    assert "2048" in repr(key_2048)


def test_a_generated_key_round_trips_through_import(key_2048: DkimKeyPair) -> None:
    assert key_from_private_pem(key_2048.private_pem) == key_2048
    assert key_from_private_pem(key_2048.private_pem.decode()) == key_2048


@pytest.mark.parametrize(
    "fmt", [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL]
)
def test_pkcs1_and_pkcs8_pem_and_bare_base64_all_import_as_the_same_key(
    key_2048: DkimKeyPair, fmt: serialization.PrivateFormat
) -> None:
    private = serialization.load_pem_private_key(key_2048.private_pem, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    armoured = pem(private, fmt)
    body = bare_base64(armoured)
    for given in (
        armoured,
        armoured.replace(b"\n", b"\r\n"),  # pasted from a Windows editor
        b"  \n" + armoured + b"\n\n",
        body,  # SES's DomainSigningPrivateKey: the base64 body on one line
        b"\n".join(body[i : i + 64] for i in range(0, len(body), 64)),  # or wrapped
    ):
        imported = key_from_private_pem(given)
        assert imported.public_b64 == key_2048.public_b64
        assert imported.bits == 2048
        assert imported.private_pem == key_2048.private_pem  # normalised to PKCS#8 PEM


def test_a_4096_bit_key_is_accepted_for_bring_your_own() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    imported = key_from_private_pem(pem(private, serialization.PrivateFormat.TraditionalOpenSSL))
    assert imported.bits == 4096


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"not a key at all", "not a valid PEM or base64"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not a valid PEM or base64"),
        (base64.b64encode(b"\x30\x03\x02\x01\x00"), "not a valid PEM or base64"),
        (b"bm90IGEga2V5", "not a valid PEM or base64"),  # base64 of "not a key"
        (b"@@@@", "not a valid PEM or base64"),
    ],
)
def test_unreadable_keys_are_refused(given: bytes, message: str) -> None:
    with pytest.raises(InvalidDkimKeyError, match=message):
        key_from_private_pem(given)


def test_a_public_key_is_refused(key_2048: DkimKeyPair) -> None:
    with pytest.raises(InvalidDkimKeyError, match="not a valid PEM or base64"):
        key_from_private_pem(key_2048.public_b64.encode())


def test_an_encrypted_key_is_refused(key_2048: DkimKeyPair) -> None:
    private = serialization.load_pem_private_key(key_2048.private_pem, password=None)
    encrypted = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    with pytest.raises(InvalidDkimKeyError, match="must not be encrypted"):
        key_from_private_pem(encrypted)


def test_a_non_rsa_key_is_refused() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    for given in (
        pem(ec_key, serialization.PrivateFormat.PKCS8),
        bare_base64(pem(ec_key, serialization.PrivateFormat.PKCS8)),
    ):
        with pytest.raises(InvalidDkimKeyError, match="must be an RSA key"):
            key_from_private_pem(given)


@pytest.mark.parametrize(
    ("p_exponent", "q_exponent", "bits"),
    [(127, 89, 216), (521, 127, 648), (4253, 127, 4380)],  # products of Mersenne primes 2^n - 1
)
def test_keys_below_1024_or_above_4096_bits_are_refused(p_exponent: int, q_exponent: int, bits: int) -> None:
    key = rsa_key_from_primes(2**p_exponent - 1, 2**q_exponent - 1)
    assert key.key_size == bits
    for fmt in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
        with pytest.raises(InvalidDkimKeyError, match=f"has {bits} bits; it must have between 1024 and 4096"):
            key_from_private_pem(pem(key, fmt))


def test_an_inconsistent_rsa_key_is_refused() -> None:
    good = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_numbers()
    broken = rsa.RSAPrivateNumbers(
        good.p, good.q, good.d + 2, good.dmp1, good.dmq1, good.iqmp, good.public_numbers
    ).private_key(unsafe_skip_rsa_key_validation=True)
    with pytest.raises(InvalidDkimKeyError, match="not a consistent RSA key"):
        key_from_private_pem(pem(broken, serialization.PrivateFormat.TraditionalOpenSSL))


def test_the_error_carries_its_message() -> None:
    with pytest.raises(InvalidDkimKeyError) as failure:
        key_from_private_pem(b"nope")
    assert str(failure.value) == failure.value.message
    assert isinstance(failure.value, ValueError)


def test_the_dns_txt_value_is_a_dkim1_rsa_record(key_2048: DkimKeyPair) -> None:
    assert dns_txt_value("MIIBIjAN") == "v=DKIM1; k=rsa; p=MIIBIjAN"
    assert dns_txt_value(key_2048.public_b64).endswith("p=" + key_2048.public_b64)


def test_short_values_are_one_string() -> None:
    assert txt_strings("v=DKIM1; k=rsa; p=abc") == ["v=DKIM1; k=rsa; p=abc"]
    assert txt_strings("") == [""]


@pytest.mark.parametrize(
    ("length", "sizes"), [(255, [255]), (256, [255, 1]), (510, [255, 255]), (511, [255, 255, 1])]
)
def test_long_values_split_at_255_bytes(length: int, sizes: list[int]) -> None:
    value = "x" * length
    assert [len(chunk) for chunk in txt_strings(value)] == sizes
    assert "".join(txt_strings(value)) == value


def test_a_2048_bit_key_record_needs_several_strings_that_reassemble(key_2048: DkimKeyPair) -> None:
    value = dns_txt_value(key_2048.public_b64)
    chunks = txt_strings(value)
    assert len(value) > 255
    assert len(chunks) == 2
    assert all(len(chunk.encode()) <= 255 for chunk in chunks)
    assert "".join(chunks) == value


def test_multibyte_characters_are_never_split() -> None:
    value = "é" * 200  # 400 bytes in UTF-8
    chunks = txt_strings(value)
    assert [len(chunk.encode()) for chunk in chunks] == [254, 146]
    assert "".join(chunks) == value
