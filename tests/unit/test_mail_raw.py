"""Raw messages: inspection (SES's checks) and byte-level header rewriting."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from postwarden.mail import (
    MAX_MESSAGE_BYTES_V1,
    MAX_MESSAGE_BYTES_V2,
    SES_OVERWRITTEN_HEADERS,
    SES_REMOVED_HEADERS,
    InvalidAddressError,
    InvalidHeaderError,
    InvalidRawMessageError,
    inspect_raw_message,
    message_size,
    rewrite_headers,
)

BODY = (
    b"--b1\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Gr=C3=BC=C3=9Fe, see the attachment.\r\n"
    b"--b1\r\n"
    b'Content-Type: application/pdf; name="a.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="a.pdf"\r\n'
    b"\r\n"
    b"JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\n"
    b"--b1--\r\n"
)
MESSAGE = (
    b"Return-Path: <bounces@example.com>\r\n"
    b"X-SES-CONFIGURATION-SET: marketing\r\n"
    b"X-SES-MESSAGE-TAGS: campaign=spring, source=app\r\n"
    b"From: =?UTF-8?B?SsO2cmc=?= <joerg@example.com>\r\n"
    b"Sender: Mailer <mailer@example.com>\r\n"
    b"To: Ann <ann@example.org>,\r\n"
    b'  "Doe, John" <john@example.net>\r\n'
    b"Cc: team: carol@example.com, dave@example.com;\r\n"
    b"Bcc: hidden1@example.com,\r\n"
    b"\thidden2@example.com\r\n"
    b"Reply-To: replies@example.com\r\n"
    b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= from\r\n"
    b" =?UTF-8?B?5pel5pys?=\r\n"
    b"Message-ID: <original-id@client.example>\r\n"
    b"Date: Mon, 06 May 2024 07:08:09 +0200\r\n"
    b"X-SES-SOURCE-ARN: arn:aws:ses:us-east-1:123456789012:identity/example.com\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b1"\r\n'
    b"\r\n" + BODY
)
LF_MESSAGE = MESSAGE.replace(b"\r\n", b"\n")


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize("data", [MESSAGE, LF_MESSAGE], ids=["crlf", "lf"])
def test_inspect_realistic_message(data: bytes) -> None:
    info = inspect_raw_message(data)
    assert [a.addr_spec for a in info.from_addresses] == ["joerg@example.com"]
    assert info.from_addresses[0].display_name == "Jörg"
    assert [a.addr_spec for a in info.sender] == ["mailer@example.com"]
    assert [a.addr_spec for a in info.return_path] == ["bounces@example.com"]
    assert [(a.display_name, a.addr_spec) for a in info.to] == [
        ("Ann", "ann@example.org"),
        ("Doe, John", "john@example.net"),
    ]
    assert [a.addr_spec for a in info.cc] == ["carol@example.com", "dave@example.com"]
    assert [a.addr_spec for a in info.bcc] == ["hidden1@example.com", "hidden2@example.com"]
    assert [a.addr_spec for a in info.reply_to] == ["replies@example.com"]
    assert len(info.recipients) == 6
    assert info.subject == "Grüße from 日本"
    assert info.message_id == "<original-id@client.example>"
    assert info.size == message_size(data) == len(data)
    assert data[info.body_offset :].startswith(b"--b1")
    assert info.get("x-ses-configuration-set") == "marketing"
    assert info.get("X-Missing") is None
    assert info.get_all("x-ses-message-tags") == ["campaign=spring, source=app"]


def test_inspect_unfolds_header_values() -> None:
    info = inspect_raw_message(MESSAGE)
    headers = dict(info.headers)
    assert headers["To"] == 'Ann <ann@example.org>,  "Doe, John" <john@example.net>'
    assert headers["Bcc"] == "hidden1@example.com,\thidden2@example.com"
    assert headers["Subject"] == "=?utf-8?q?Gr=C3=BC=C3=9Fe?= from =?UTF-8?B?5pel5pys?="
    assert [name for name, _ in info.headers][:3] == [
        "Return-Path",
        "X-SES-CONFIGURATION-SET",
        "X-SES-MESSAGE-TAGS",
    ]


def test_inspect_minimal_and_odd_but_valid_messages() -> None:
    info = inspect_raw_message(b"From: a@example.com\r\n\r\n")
    assert info.to == () and info.subject is None and info.message_id is None
    info = inspect_raw_message(
        b"From: a@example.com\nReturn-Path: <>\nSubject: 8-bit \xc3\xa9t\xc3\xa9\n\nbody"
    )
    assert info.return_path == ()
    assert info.subject == "8-bit été"
    info = inspect_raw_message(b"From : a@example.com\r\nTo: undisclosed-recipients:;\r\n\r\nx")
    assert info.to == ()
    info = inspect_raw_message(b"From: a@example.com\n\r\nbody")  # LF header line, CRLF blank line
    assert info.body_offset == len(b"From: a@example.com\n\r\n")
    info = inspect_raw_message(b"From: a@example.com\r\n\nbody")
    assert info.body_offset == len(b"From: a@example.com\r\n\n")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"From: a@example.com\r\nSubject: no body\r\n", "separated by a blank line"),
        (b"From: a@example.com", "separated by a blank line"),
        (b"", "separated by a blank line"),
        (b"From: a@example.com\r\nSubject: " + b"x" * 990 + b"\r\n\r\nbody", "longer than 1000"),
        (b"From: a@example.com\r\n\r\n" + b"y" * 999 + b"\r\n", "longer than 1000"),
        (b"From: a@example.com\n\n" + b"y" * 999, "longer than 1000"),
        (b"From: a@example.com\r\n: no name\r\n\r\nx", "Empty header names are illegal."),
        (b"From: a@example.com\r\nBad Header: x\r\n\r\nx", "Illegal header 'Bad Header'."),
        (b"From: a@example.com\r\n<!DOCTYPE html>\r\n\r\nx", "Illegal header '<!DOCTYPE html>'."),
        (b" folded: first\r\nFrom: a@example.com\r\n\r\nx", "Illegal header ' folded'."),
        (b"From: a@example.com\rX-Evil: 1\r\n\r\nx", "not part of a CRLF"),
        (b"To: a@example.com\r\n\r\nx", "Missing required header 'From'."),
        (b"From: \r\nTo: a@example.com\r\n\r\nx", "Missing required header 'From'."),
        (b"\r\nFrom: a@example.com\r\n\r\nx", "Missing required header 'From'."),
    ],
)
def test_inspect_errors(data: bytes, message: str) -> None:
    with pytest.raises(InvalidRawMessageError) as info:
        inspect_raw_message(data)
    assert message in info.value.message


def test_line_length_limit_is_exactly_1000_octets_with_crlf() -> None:
    ok = b"From: a@example.com\r\n\r\n" + b"y" * 998 + b"\r\n"
    inspect_raw_message(ok)
    inspect_raw_message(ok.replace(b"\r\n", b"\n"))


def test_line_length_is_checked_across_large_messages() -> None:
    head = b"From: a@example.com\r\n\r\n"
    filler = (b"z" * 76 + b"\r\n") * 40000  # about 3 MB
    inspect_raw_message(head + filler)
    with pytest.raises(InvalidRawMessageError):
        inspect_raw_message(head + filler + b"w" * 1200 + b"\r\n" + filler)
    with pytest.raises(InvalidRawMessageError):
        inspect_raw_message(head + b"v" * (3 << 20))


def test_bad_addresses_in_raw_headers_raise_address_errors() -> None:
    with pytest.raises(InvalidAddressError) as info:
        inspect_raw_message(b"From: a@example.com\r\nTo: <a@b.com> <c@d.com>\r\n\r\nx")
    assert info.value.message == "Extra route-addr"
    with pytest.raises(InvalidAddressError):
        inspect_raw_message(b"From: not an address\r\n\r\nx")


@pytest.mark.parametrize("data", [MESSAGE, LF_MESSAGE], ids=["crlf", "lf"])
def test_rewrite_like_ses(data: bytes) -> None:
    new_id = "<0100016b50670058-da13fc7f-cbf7-4fde-9083-b4faab1275f9-000000@email.amazonses.com>"
    out = rewrite_headers(
        data,
        remove=SES_REMOVED_HEADERS,
        set_headers=[("Message-ID", new_id), ("Date", "Tue, 07 May 2024 10:00:00 +0000")],
    )
    assert b"\r" not in out.replace(b"\r\n", b"") and b"\n" not in out.replace(b"\r\n", b"")
    head, body = out.split(b"\r\n\r\n", 1)
    assert body == BODY
    assert b"X-SES" not in head and b"hidden" not in head and b"Bcc" not in head
    lines = head.split(b"\r\n")
    assert lines[0] == b"Return-Path: <bounces@example.com>"
    assert f"Message-ID: {new_id}".encode() in lines
    assert (
        lines.index(b"Date: Tue, 07 May 2024 10:00:00 +0000")
        == lines.index(f"Message-ID: {new_id}".encode()) + 1
    )
    assert b'  "Doe, John" <john@example.net>' in lines  # untouched folding
    message = parse(out)
    assert message["Message-ID"] == new_id
    assert message["Subject"] == "Grüße from 日本"
    assert message["Bcc"] is None
    attachment = next(part for part in message.walk() if part.get_filename() == "a.pdf")
    assert attachment.get_content().startswith(b"%PDF-1.4")
    info = inspect_raw_message(out)
    assert info.bcc == () and info.message_id == new_id


def test_rewrite_prepends_missing_headers_and_drops_duplicates() -> None:
    data = b"From: a@example.com\nDate: one\nX-Keep: 1\nDate: two\n\nbody\nline\n"
    out = rewrite_headers(data, remove=(), set_headers=[("Message-ID", "<new@x>"), ("Date", "three")])
    assert (
        out
        == b"Message-ID: <new@x>\r\nFrom: a@example.com\r\nDate: three\r\nX-Keep: 1\r\n\r\nbody\r\nline\r\n"
    )


def test_rewrite_removes_case_insensitively_with_continuations() -> None:
    data = (
        b"From: a@example.com\r\nbcc: x@example.com,\r\n y@example.com\r\n\tz@example.com\r\nX-A: 1\r\n\r\nb"
    )
    out = rewrite_headers(data, remove=["BCC"], set_headers=[])
    assert out == b"From: a@example.com\r\nX-A: 1\r\n\r\nb"


def test_rewrite_set_header_wins_over_remove_and_encodes() -> None:
    data = b"From: a@example.com\r\nX-Note: old\r\n\r\nb"
    out = rewrite_headers(data, remove=["X-Note"], set_headers=[("X-Note", "héllo")])
    assert parse(out)["X-Note"] == "héllo"
    assert out == b"From: a@example.com\r\nX-Note: =?UTF-8?B?aMOpbGxv?=\r\n\r\nb"


def test_rewrite_keeps_the_body_bytes_and_normalises_line_ends() -> None:
    body = b"\xff\xfebinary-ish\r\nmixed\nends\rhere"
    out = rewrite_headers(b"From: a@example.com\r\n\r\n" + body, remove=[], set_headers=[])
    assert out == b"From: a@example.com\r\n\r\n\xff\xfebinary-ish\r\nmixed\r\nends\r\nhere"
    crlf_body = b"already\r\ncrlf\r\n"
    assert rewrite_headers(b"From: a@b.c\n\n" + crlf_body, remove=[], set_headers=[]).endswith(crlf_body)


@pytest.mark.parametrize(
    "header",
    [
        ("Bad Name", "v"),
        ("", "v"),
        ("X-A", "v\r\nBcc: victim@example.com"),
        ("X-A\r\nBcc", "v"),
        ("X-A", "\n"),
    ],
)
def test_rewrite_refuses_bad_set_headers(header: tuple[str, str]) -> None:
    with pytest.raises(InvalidHeaderError):
        rewrite_headers(MESSAGE, remove=[], set_headers=[header])


def test_rewrite_refuses_unparsable_messages() -> None:
    with pytest.raises(InvalidRawMessageError):
        rewrite_headers(b"From: a@example.com", remove=[], set_headers=[])
    with pytest.raises(InvalidRawMessageError):
        rewrite_headers(b"From: a@example.com\r\nnot a header\r\n\r\nx", remove=[], set_headers=[])


def test_constants() -> None:
    assert MAX_MESSAGE_BYTES_V2 == 40 * 1024 * 1024
    assert MAX_MESSAGE_BYTES_V1 == 10 * 1024 * 1024
    assert "Bcc" in SES_REMOVED_HEADERS and "X-SES-LIST-MANAGEMENT-OPTIONS" in SES_REMOVED_HEADERS
    assert SES_OVERWRITTEN_HEADERS == ("Message-ID", "Date")
