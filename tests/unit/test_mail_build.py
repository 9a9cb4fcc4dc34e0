"""build_simple_message: every message parses back with the stdlib to what was given."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

import pytest

from postwarden.mail import (
    Address,
    Attachment,
    InvalidAddressError,
    InvalidContentError,
    InvalidHeaderError,
    build_simple_message,
    format_date,
    format_message_id,
    parse_address,
)

DATE = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
MESSAGE_ID = "0100016b50670058-da13fc7f-cbf7-4fde-9083-b4faab1275f9-000000@email.amazonses.com"
JAPANESE = "日本語のテキストです。メールの本文にはいろいろな文字が入ります。"
EMOJI = "Party time 🎉🎈 — see you there 👋"


def build(**overrides: Any) -> bytes:
    arguments: dict[str, Any] = {
        "from_address": "Sender <sender@example.com>",
        "to": ["alice@example.org"],
        "subject": "Hello",
        "text": "Hello Alice",
        "message_id": MESSAGE_ID,
        "date": DATE,
    }
    arguments.update(overrides)
    raw = build_simple_message(**arguments)
    check_wire_format(raw)
    return raw


def check_wire_format(raw: bytes) -> None:
    """ASCII, CRLF only, no line over 998 octets, headers folded to 78 where they have room to be."""
    raw.decode("ascii")
    assert b"\r" not in raw.replace(b"\r\n", b""), "bare CR"
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF"
    lines = raw.split(b"\r\n")
    assert max(map(len, lines)) <= 998
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        if len(line) > 78:
            assert b" " not in line.strip()[line.index(b":") + 2 :] or line.startswith(b"Message-ID"), line


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert not message.defects
    return message


def text_of(part: EmailMessage) -> str:
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def leaves(message: EmailMessage) -> list[EmailMessage]:
    return [part for part in message.walk() if not part.is_multipart()]


def children(message: EmailMessage) -> list[EmailMessage]:
    payload = message.get_payload()
    assert isinstance(payload, list)
    parts = [part for part in payload if isinstance(part, EmailMessage)]
    assert len(parts) == len(payload)
    return parts


# --- structure and bodies -------------------------------------------------------------------------


def test_text_only_is_a_single_7bit_part() -> None:
    raw = build(text="Hello Alice,\nhow are you?\n")
    message = parse(raw)
    assert message.get_content_type() == "text/plain"
    assert message["Content-Transfer-Encoding"] == "7bit"
    assert message.get_content_charset() == "utf-8"
    assert text_of(message) == "Hello Alice,\nhow are you?\n"
    assert message["MIME-Version"] == "1.0"
    assert b"Hello Alice,\r\nhow are you?\r\n" in raw


def test_html_only() -> None:
    message = parse(build(text=None, html="<p>Hi</p>"))
    assert message.get_content_type() == "text/html"
    assert text_of(message) == "<p>Hi</p>"


def test_text_and_html_make_multipart_alternative() -> None:
    message = parse(build(text="plain version", html="<b>html version</b>"))
    assert message.get_content_type() == "multipart/alternative"
    parts = leaves(message)
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert [text_of(p) for p in parts] == ["plain version", "<b>html version</b>"]


def test_no_body_and_no_attachment_gives_an_empty_text_part() -> None:
    message = parse(build(text=None))
    assert message.get_content_type() == "text/plain"
    assert text_of(message) == ""


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        ("Grüße aus Köln, schöne Grüße!\nZweite Zeile.", "quoted-printable"),
        (JAPANESE * 3, "base64"),
        (EMOJI, "base64"),
        ("A longer English sentence that ends with a single emoji 🎉", "quoted-printable"),
        ("🎉" * 40, "base64"),
        ("x" * 2000 + "\nshort line", "quoted-printable"),
        ("nul\0byte", "quoted-printable"),
        ("trailing spaces   \nand tabs\t\n", "7bit"),
    ],
)
def test_bodies_round_trip_with_the_cheapest_encoding(body: str, encoding: str) -> None:
    message = parse(build(text=body, html=f"<p>{body}</p>"))
    text, html = leaves(message)
    assert text["Content-Transfer-Encoding"] == encoding
    assert text_of(text) == body
    assert text_of(html) == f"<p>{body}</p>"


def test_line_endings_are_normalised_to_crlf() -> None:
    raw = build(text="one\rtwo\r\nthree\nfour")
    assert b"one\r\ntwo\r\nthree\r\nfour" in raw
    assert text_of(parse(raw)) == "one\ntwo\nthree\nfour"


@pytest.mark.parametrize("charset", ["ISO-8859-1", "iso-8859-15", "windows-1252"])
def test_latin_charsets(charset: str) -> None:
    message = parse(
        build(text="Café crème brûlée", text_charset=charset, subject="Crème", subject_charset=charset)
    )
    assert message.get_content_charset() == charset.lower()
    assert text_of(message) == "Café crème brûlée"
    assert message["Subject"] == "Crème"


@pytest.mark.parametrize("charset", ["Shift_JIS", "ISO-2022-JP", "EUC-JP"])
def test_japanese_charsets(charset: str) -> None:
    raw = build(text=JAPANESE, text_charset=charset, subject=JAPANESE, subject_charset=charset)
    message = parse(raw)
    assert text_of(message) == JAPANESE
    assert message["Subject"] == JAPANESE
    assert f"charset={charset}".encode() in raw


def test_utf8_spellings_are_written_utf8() -> None:
    raw = build(text="é", text_charset="utf8")
    assert b"charset=UTF-8" in raw


@pytest.mark.parametrize("charset", ["no-such-charset", "utf-16", "base64", "bad charset"])
def test_unusable_charsets_are_refused(charset: str) -> None:
    with pytest.raises(InvalidContentError):
        build(text="x", text_charset=charset)


def test_text_not_representable_in_charset_is_refused() -> None:
    with pytest.raises(InvalidContentError):
        build(text=JAPANESE, text_charset="ISO-8859-1")
    with pytest.raises(InvalidContentError):
        build(subject=JAPANESE, subject_charset="ISO-8859-1")


def test_output_is_deterministic() -> None:
    kwargs: dict[str, Any] = {"text": "a", "html": "<p>a</p>", "attachments": [Attachment(b"x", "x.bin")]}
    assert build(**kwargs) == build(**kwargs)


def test_boundary_never_collides_with_7bit_content() -> None:
    first = build(text="a", html="b")
    token = re.search(rb'boundary="=_a([0-9a-f]+)"', first)
    assert token is not None
    hostile = f"--=_a{token.group(1).decode()}\n--=_a{token.group(1).decode()}--\n"
    raw = build(text=hostile, html="<p>b</p>")
    assert token.group(1) not in raw.split(b"\r\n\r\n", 1)[0]
    text, html = leaves(parse(raw))
    assert text_of(text) == hostile
    assert text_of(html) == "<p>b</p>"


# --- headers -----------------------------------------------------------------------------------------


def test_standard_headers() -> None:
    message = parse(
        build(
            from_address="Sender Name <sender@example.com>",
            to=["a@example.org", '"Doe, John" <john@example.net>'],
            cc=["Carol <carol@example.com>"],
            reply_to=["replies@example.com"],
            subject="Your order",
        )
    )
    assert [a.addr_spec for a in message["From"].addresses] == ["sender@example.com"]
    assert message["From"].addresses[0].display_name == "Sender Name"
    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [
        ("", "a@example.org"),
        ("Doe, John", "john@example.net"),
    ]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["carol@example.com"]
    assert [a.addr_spec for a in message["Reply-To"].addresses] == ["replies@example.com"]
    assert message["Subject"] == "Your order"
    assert message["Message-ID"] == f"<{MESSAGE_ID}>"
    assert message["Date"] == "Mon, 06 May 2024 07:08:09 +0000"
    assert message["Bcc"] is None


def test_addresses_may_be_given_parsed() -> None:
    sender = parse_address("Ann <ann@example.com>")
    message = parse(build(from_address=sender, to=[parse_address("b@example.com"), "c@example.com"]))
    assert [a.addr_spec for a in message["To"].addresses] == ["b@example.com", "c@example.com"]


@pytest.mark.parametrize(
    "name",
    [
        "Jürgen Müller",
        "山田 太郎",
        "🎉 Party",
        "Doe, John",
        'He said "hi"',
        "back\\slash",
        "a.b",
        "=?utf-8?q?x?=",
    ],
)
def test_display_names_round_trip(name: str) -> None:
    address = Address(name, "person@example.com", "person", "example.com", "")
    message = parse(build(from_address=address, to=[address]))
    assert message["From"].addresses[0].display_name == name
    assert message["To"].addresses[0].display_name == name


def test_idn_domains_are_punycode_in_headers() -> None:
    raw = build(to=["Info <info@bücher.de>"])
    assert b"info@xn--bcher-kva.de" in raw


def test_many_recipients_are_folded() -> None:
    recipients = [f"Recipient Number {i} <recipient{i}@example.com>" for i in range(50)]
    raw = build(to=recipients, cc=[f"cc{i}@example.org" for i in range(20)])
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n") if not line.startswith(b"Message-ID")) <= 78
    message = parse(raw)
    assert [a.addr_spec for a in message["To"].addresses] == [f"recipient{i}@example.com" for i in range(50)]
    assert len(message["Cc"].addresses) == 20


@pytest.mark.parametrize(
    "subject",
    [
        "",
        "Plain ASCII subject",
        "A long subject line " * 15,
        "x" * 2000,
        "Grüße 🎉 " + JAPANESE,
        JAPANESE * 10,
        "Looks =?utf-8?q?encoded?= but is not",
        "  leading and trailing spaces  ",
        "tab\tand\x01control",
        "double  spaces  inside",
    ],
)
def test_subjects_round_trip_and_fold(subject: str) -> None:
    raw = build(subject=subject)
    head = raw.split(b"\r\n\r\n", 1)[0]
    subject_lines = re.search(rb"Subject:.*?\r\n(?=\S)", head + b"\r\nX", re.S)
    assert subject_lines is not None
    assert max(len(line) for line in subject_lines.group(0).split(b"\r\n")) <= 78
    assert parse(raw)["Subject"] == subject


@pytest.mark.parametrize(
    "subject",
    ["Hello\r\nBcc: victim@example.com", "Hello\nX-Evil: 1", "Hello\r", "\n"],
)
def test_crlf_in_subject_is_refused(subject: str) -> None:
    with pytest.raises(InvalidHeaderError):
        build(subject=subject)


def test_crlf_in_addresses_is_refused() -> None:
    with pytest.raises(InvalidAddressError):
        build(from_address="Evil\r\nBcc: victim@example.com <a@example.com>")
    with pytest.raises(InvalidAddressError):
        build(to=["a@example.com\r\nBcc: victim@example.com"])
    with pytest.raises(InvalidHeaderError):
        build(to=[Address("Evil\r\nBcc: x@y.com", "a@b.com", "a", "b.com", "")])
    with pytest.raises(InvalidHeaderError):
        build(cc=[Address("", "a@b.com\r\nX: y", "a", "b.com", "")])


def test_extra_headers_round_trip() -> None:
    headers = [
        ("X-Campaign", "spring-2024"),
        ("List-Unsubscribe", "<https://example.com/unsubscribe?id=" + "z" * 120 + ">"),
        ("X-Long", " ".join(["word"] * 150)),
        ("X-Repeat", "1"),
        ("X-Repeat", "2"),
        ("Reply-To", "custom@example.com"),
    ]
    message = parse(build(headers=headers))
    assert message["X-Campaign"] == "spring-2024"
    assert message["List-Unsubscribe"] == headers[1][1]
    assert message["X-Long"] == headers[2][1]
    assert message.get_all("X-Repeat") == ["1", "2"]
    assert message["Reply-To"] == "custom@example.com"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X:Colon", "v"),
        ("X Space", "v"),
        ("", "v"),
        ("X" * 127, "v"),
        ("X-Ünicode", "v"),
        ("X-Ok", ""),
        ("X-Ok", "ünicode"),
        ("X-Ok", "a" * 996),
        ("X-Ok", "line\r\nBcc: victim@example.com"),
        ("X-Ok", "line\nX: y"),
        ("X-Injected\r\nBcc", "victim@example.com"),
        ("X-Name-" + "n" * 100, "v" * 890),
    ],
)
def test_invalid_extra_headers_are_refused(name: str, value: str) -> None:
    with pytest.raises(InvalidHeaderError):
        build(headers=[(name, value)])


@pytest.mark.parametrize(
    "name",
    [
        "From",
        "to",
        "CC",
        "Bcc",
        "Subject",
        "Message-ID",
        "date",
        "MIME-Version",
        "Content-Type",
        "content-id",
    ],
)
def test_structural_headers_cannot_be_replaced(name: str) -> None:
    with pytest.raises(InvalidHeaderError):
        build(headers=[(name, "value")])


def test_reply_to_header_conflicts_with_reply_to_addresses() -> None:
    with pytest.raises(InvalidHeaderError):
        build(reply_to=["r@example.com"], headers=[("Reply-To", "other@example.com")])


def test_single_instance_headers_cannot_repeat() -> None:
    with pytest.raises(InvalidHeaderError):
        build(headers=[("List-Unsubscribe", "<a>"), ("list-unsubscribe", "<b>")])


def test_header_limits_at_the_edge_are_accepted() -> None:
    name, value = "X-" + "n" * 124, "v" * 870
    assert len(name) == 126 and len(name) + len(value) == 996
    raw = build(headers=[(name, value)])
    assert parse(raw)[name] == value


@pytest.mark.parametrize("message_id", ["abc@example.com", "<abc@example.com>"])
def test_message_id_is_bracketed(message_id: str) -> None:
    assert format_message_id(message_id) == "<abc@example.com>"
    assert parse(build(message_id=message_id))["Message-ID"] == "<abc@example.com>"


@pytest.mark.parametrize("message_id", ["", "no-at-sign", "a b@c", "<a@b", "a@b>", "a@b\r\nX: y", "<a<b@c>"])
def test_invalid_message_ids_are_refused(message_id: str) -> None:
    with pytest.raises(InvalidHeaderError):
        format_message_id(message_id)


@pytest.mark.parametrize(
    "moment",
    [
        DATE,
        datetime(2023, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2024, 2, 29, 0, 0, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(1999, 1, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    ],
)
def test_date_format_matches_rfc5322(moment: datetime) -> None:
    assert format_date(moment) == email.utils.format_datetime(moment)
    assert parse(build(date=moment))["Date"].datetime == moment


def test_naive_date_is_utc() -> None:
    assert format_date(datetime(2024, 1, 2, 3, 4, 5)) == "Tue, 02 Jan 2024 03:04:05 +0000"


# --- attachments -------------------------------------------------------------------------------------

BINARY = bytes(range(256)) * 40


def attachment_parts(raw: bytes) -> list[EmailMessage]:
    return [p for p in leaves(parse(raw)) if p.get_content_disposition() in ("attachment", "inline")]


def test_binary_attachment_round_trips_as_base64() -> None:
    raw = build(html="<p>see attached</p>", attachments=[Attachment(BINARY, "report.pdf")])
    message = parse(raw)
    assert message.get_content_type() == "multipart/mixed"
    body, attached = leaves(message)[0:2], leaves(message)[2]
    assert [p.get_content_type() for p in body] == ["text/plain", "text/html"]
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_filename() == "report.pdf"
    assert attached["Content-Transfer-Encoding"] == "base64"
    assert attached.get_content_disposition() == "attachment"
    assert attached.get_content() == BINARY


@pytest.mark.parametrize("encoding", [None, "BASE64", "QUOTED_PRINTABLE", "SEVEN_BIT", "base64"])
@pytest.mark.parametrize(
    "content",
    [BINARY, b"plain ascii\r\nwith crlf\r\n", b"bare\nlf\rcr", "Grüße\r\n".encode(), b"", b"x" * 3000],
)
def test_attachment_bytes_round_trip(encoding: str | None, content: bytes) -> None:
    raw = build(attachments=[Attachment(content, "data.bin", content_transfer_encoding=encoding)])
    (part,) = attachment_parts(raw)
    assert part.get_payload(decode=True) == content


def test_seven_bit_text_attachment_is_sent_in_canonical_crlf_form() -> None:
    attachment = Attachment(b"a,b\n1,2\n", "data.csv", content_transfer_encoding="SEVEN_BIT")
    (part,) = attachment_parts(build(attachments=[attachment]))
    assert part["Content-Transfer-Encoding"] == "7bit"
    assert part.get_content_type() == "text/csv"
    assert part.get_payload(decode=True) == b"a,b\r\n1,2\r\n"


def test_seven_bit_binary_falls_back_to_base64() -> None:
    attachment = Attachment(BINARY, "x.png", content_transfer_encoding="SEVEN_BIT")
    (part,) = attachment_parts(build(attachments=[attachment]))
    assert part["Content-Transfer-Encoding"] == "base64"


def test_inline_attachments_go_into_multipart_related_with_content_id() -> None:
    attachments = [
        Attachment(b"\x89PNG...", "logo.png", content_disposition="INLINE", content_id="<logo@x>"),
        Attachment(b"%PDF", "invoice.pdf"),
    ]
    message = parse(build(text="t", html='<img src="cid:logo@x">', attachments=attachments))
    assert message.get_content_type() == "multipart/mixed"
    related, pdf = children(message)
    assert related.get_content_type() == "multipart/related"
    assert related.get_param("type") == "multipart/alternative"
    alternative, logo = children(related)
    assert alternative.get_content_type() == "multipart/alternative"
    assert logo["Content-ID"] == "<logo@x>"
    assert logo.get_content_disposition() == "inline"
    assert logo.get_content() == b"\x89PNG..."
    assert pdf.get_filename() == "invoice.pdf"


def test_inline_only_with_html_is_related_at_top_level() -> None:
    attachment = Attachment(b"gif", "a.gif", content_disposition="inline", content_id="a")
    message = parse(build(text=None, html='<img src="cid:a">', attachments=[attachment]))
    assert message.get_content_type() == "multipart/related"
    assert message.get_param("type") == "text/html"


def test_inline_without_html_goes_into_mixed() -> None:
    attachment = Attachment(b"gif", "a.gif", content_disposition="INLINE", content_id="a")
    message = parse(build(text="t", attachments=[attachment]))
    assert message.get_content_type() == "multipart/mixed"


def test_single_attachment_without_body_still_gets_a_proper_boundary() -> None:
    raw = build(text=None, attachments=[Attachment(b"--=_m\r\n", "a.txt")])
    assert re.search(rb'boundary="=_m[0-9a-f]{24}"', raw)
    (part,) = attachment_parts(raw)
    assert part.get_payload(decode=True) == b"--=_m\r\n"


def test_attachments_without_body() -> None:
    message = parse(build(text=None, attachments=[Attachment(b"1", "one.txt"), Attachment(b"2", "two.txt")]))
    assert [p.get_filename() for p in leaves(message)] == ["one.txt", "two.txt"]


@pytest.mark.parametrize(
    "file_name",
    [
        "請求書 2024年5月.pdf",
        "résumé.docx",
        "a" * 200 + ".txt",
        "ü" * 120 + ".txt",
        'quote " and backslash \\.txt',
        "semi;colon, comma=equals.txt",
        "emoji 🎉.png",
    ],
)
def test_file_names_round_trip(file_name: str) -> None:
    raw = build(attachments=[Attachment(b"data", file_name)])
    (part,) = attachment_parts(raw)
    assert part.get_filename() == file_name
    assert part.get_param("name") == file_name


def test_content_type_guess_description_and_explicit_type() -> None:
    attachments = [
        Attachment(b"x", "photo.JPG", content_description="Ein schönes Foto 📷"),
        Attachment(b"x", "noext"),
        Attachment(b"x", "data.csv", content_type="text/csv; charset=us-ascii"),
    ]
    photo, noext, csv = attachment_parts(build(attachments=attachments))
    assert photo.get_content_type() == "image/jpeg"
    assert photo["Content-Description"] == "Ein schönes Foto 📷"
    assert noext.get_content_type() == "application/octet-stream"
    assert csv.get_content_type() == "text/csv"
    assert csv.get_param("charset") == "us-ascii"
    assert csv.get_filename() == "data.csv"


@pytest.mark.parametrize(
    "attachment",
    [
        Attachment(b"x", "evil\r\nContent-Type: text/html.txt"),
        Attachment(b"x", "a.txt", content_type="text/plain\r\nX: y"),
        Attachment(b"x", "a.txt", content_type="not a type"),
        Attachment(b"x", "a.txt", content_type="multipart/mixed"),
        Attachment(b"x", "a.txt", content_id="has space"),
        Attachment(b"x", "a.txt", content_id="x\r\ny"),
        Attachment(b"x", "a.txt", content_description="line\nbreak"),
        Attachment(b"x", "a.txt", content_disposition="SIDEWAYS"),
        Attachment(b"x", "a.txt", content_transfer_encoding="UUENCODE"),
    ],
)
def test_invalid_attachments_are_refused(attachment: Attachment) -> None:
    with pytest.raises(InvalidContentError):
        build(attachments=[attachment])


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(InvalidContentError):
        build(subject="bad \ud800 subject")
    with pytest.raises(InvalidContentError):
        build(text="bad \udfff body")
