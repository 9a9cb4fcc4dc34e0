"""Property-based round trips through the stdlib parser (skipped when hypothesis is not installed)."""

from __future__ import annotations

import email
import email.header
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postwarden.mail import (
    Address,
    Attachment,
    InvalidAddressError,
    build_simple_message,
    inspect_raw_message,
    parse_address,
    parse_address_list,
    rewrite_headers,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DATE = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
ONE_LINE = st.text().filter(lambda s: "\r" not in s and "\n" not in s)


def build(**overrides: Any) -> bytes:
    arguments: dict[str, Any] = {
        "from_address": "sender@example.com",
        "to": ["to@example.org"],
        "subject": "s",
        "text": "t",
        "message_id": "id@example.com",
        "date": DATE,
    }
    arguments.update(overrides)
    raw = build_simple_message(**arguments)
    lines = raw.split(b"\r\n")
    assert max(map(len, lines)) <= 998
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    raw.decode("ascii")
    return raw


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@SETTINGS
@given(subject=ONE_LINE)
def test_any_subject_round_trips(subject: str) -> None:
    raw = build(subject=subject)
    head = raw.split(b"\r\n\r\n", 1)[0]
    subject_field = b"Subject:" + head.split(b"\r\nMessage-ID:", 1)[0].split(b"\r\nSubject:", 1)[1]
    assert max(len(line) for line in subject_field.split(b"\r\n")) <= 78
    assert parse(raw)["Subject"] == subject


@SETTINGS
@given(text=st.text(), html=st.text())
def test_any_bodies_round_trip(text: str, html: str) -> None:
    parts = [p for p in parse(build(text=text, html=html)).walk() if not p.is_multipart()]
    assert [normalise(p.get_content()) for p in parts] == [normalise(text), normalise(html)]


@SETTINGS
@given(name=ONE_LINE.filter(lambda s: "\0" not in s))
def test_any_display_name_round_trips(name: str) -> None:
    address = Address(name, "person@example.com", "person", "example.com", "")
    raw = build(from_address=address)
    header = raw.split(b"\r\nTo:", 1)[0][len(b"From: ") :].replace(b"\r\n", b"").decode("ascii")
    (ours,) = parse_address_list(header)
    assert ours.display_name == name.strip(" \t") or ours.display_name == name
    assert ours.addr_spec == "person@example.com"
    parsed = parse(raw)["From"].addresses[0]
    assert parsed.addr_spec == "person@example.com"
    # CPython's address parser puts a space between adjacent encoded-words of a phrase (names over
    # 45 octets), where RFC 2047 §6.2 says that white space is to be ignored; compare without it.
    assert "".join(parsed.display_name.split()) == "".join(name.split())
    if header.startswith("=?"):  # the RFC-conforming legacy decoder gets it exactly
        phrase = header.rsplit(" <", 1)[0]
        decoded = email.header.decode_header(phrase)
        assert b"".join(part for part, _ in decoded if isinstance(part, bytes)).decode() == name


@SETTINGS
@given(
    content=st.binary(max_size=3000),
    encoding=st.sampled_from([None, "BASE64", "QUOTED_PRINTABLE", "SEVEN_BIT"]),
    # (CPython's get_filename() strips a surrounding "<...>" from any file name, however encoded)
    file_name=ONE_LINE.filter(lambda s: s.strip() == s and s != "" and not (s[0] == "<" and s[-1] == ">")),
)
def test_any_attachment_round_trips(content: bytes, encoding: str | None, file_name: str) -> None:
    attachment = Attachment(
        content, file_name, content_transfer_encoding=encoding, content_type="application/x-t"
    )
    (part,) = [p for p in parse(build(attachments=[attachment])).walk() if p.get_filename() is not None]
    assert part.get_payload(decode=True) == content
    assert part.get_filename() == file_name


@SETTINGS
@given(value=st.from_regex(r"[!-~](?:[ -~]{0,600}[!-~])?", fullmatch=True))
def test_any_extra_header_value_round_trips(value: str) -> None:
    raw = build(headers=[("X-Value", value)])
    assert parse(raw)["X-Value"] == value
    info = inspect_raw_message(raw)
    assert info.get("X-Value") == value


@SETTINGS
@given(text=st.text(max_size=60))
def test_parse_address_fails_only_with_address_errors(text: str) -> None:
    try:
        address = parse_address(text)
    except InvalidAddressError:
        return
    assert address.domain == address.domain.lower() and address.domain.isascii()
    assert address.local.isascii()
    assert "\r" not in address.display_name and "\n" not in address.display_name
    assert address.addr_spec == f"{address.local}@{address.domain}"


@SETTINGS
@given(subject=ONE_LINE, text=st.text(), crlf=st.booleans())
def test_built_messages_inspect_and_rewrite(subject: str, text: str, crlf: bool) -> None:
    raw = build(subject=subject, text=text, cc=["cc@example.net"])
    if not crlf:
        raw = raw.replace(b"\r\n", b"\n")
    info = inspect_raw_message(raw)
    assert info.subject == subject
    assert [a.addr_spec for a in info.cc] == ["cc@example.net"]
    out = rewrite_headers(raw, remove=["Cc"], set_headers=[("Message-ID", "<new@example.com>")])
    message = parse(out)
    assert message["Cc"] is None
    assert message["Message-ID"] == "<new@example.com>"
    assert message["Subject"] == subject
    assert normalise(message.get_content()) == normalise(text)
