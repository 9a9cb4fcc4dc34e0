"""Micro-benchmark of the hot-path message code in :mod:`postwarden.mail` against the stdlib.

Run: ``python benchmarks/mime_build.py [--seconds 1.0]``. Prints microseconds per call (best of 5 runs)
for building a typical ~1 KB text+html message and for inspecting + rewriting a ~2 KB raw message,
each next to :mod:`email` (``EmailMessage`` with ``policy.SMTP``) doing the same job.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import email.utils
import sys
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from postwarden.mail import (
    SES_REMOVED_HEADERS,
    build_simple_message,
    format_date,
    inspect_raw_message,
    parse_address,
    rewrite_headers,
)

DATE = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
MESSAGE_ID = "0100018f4a6b1c2d-3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7-000000@email.amazonses.com"
FROM = "Example Shop <orders@shop.example.com>"
TO = ["Alice Example <alice@example.org>"]
SUBJECT = "Your order #12345 has shipped"
TEXT = (
    "Hello Alice,\n\nyour order #12345 has shipped and is on its way. You can track the parcel\n"
    "with the link below. Thank you for shopping with us!\n\nhttps://shop.example.com/track/12345\n\n"
    "Items: 1 x Blue mug (12.00 EUR), 2 x Tea towel (7.50 EUR), shipping 4.90 EUR.\n"
    "Delivery is expected within 2-3 working days.\n\nKind regards,\nExample Shop\n"
)
HTML = (
    "<html><body><p>Hello Alice,</p><p>your order <b>#12345</b> has shipped and is on its way. "
    "You can track the parcel with the link below. Thank you for shopping with us!</p>\n"
    '<p><a href="https://shop.example.com/track/12345">Track your parcel</a></p>\n'
    "<table><tr><td>1 x Blue mug</td><td>12.00 EUR</td></tr><tr><td>2 x Tea towel</td>"
    "<td>7.50 EUR</td></tr><tr><td>Shipping</td><td>4.90 EUR</td></tr></table>\n"
    "<p>Delivery is expected within 2-3 working days.</p>\n"
    "<p>Kind regards,<br>Example Shop</p></body></html>\n"
)
RAW = (
    "Return-Path: <bounces@shop.example.com>\r\n"
    "X-SES-CONFIGURATION-SET: transactional\r\n"
    "X-SES-MESSAGE-TAGS: campaign=shipping, source=app\r\n"
    f"From: {FROM}\r\n"
    f'To: {TO[0]},\r\n "Bob B." <bob@example.net>\r\n'
    "Cc: orders-archive@shop.example.com\r\n"
    "Bcc: audit@shop.example.com\r\n"
    f"Subject: {SUBJECT}\r\n"
    "Message-ID: <client-generated-1234@shop.example.com>\r\n"
    "Date: Mon, 06 May 2024 09:08:09 +0200\r\n"
    "MIME-Version: 1.0\r\n"
    "X-Mailer: shop-backend 4.2\r\n"
    "List-Unsubscribe: <https://shop.example.com/unsubscribe?u=8f2c1a&l=orders>,\r\n"
    " <mailto:unsubscribe@shop.example.com?subject=8f2c1a>\r\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=shop.example.com;\r\n"
    " s=s1; t=1714979289; h=from:to:cc:subject:message-id:date:mime-version:content-type;\r\n"
    " bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
    " b=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR0LY5f7p2\r\n"
    " bXjeQ4XLqFCgU1PPvG9z8ZpPFuSL+4BbUZk5wmoBTWqTKfN7VqBpEhEt8TfWUGu1hYjv3aRy\r\n"
    'Content-Type: multipart/alternative; boundary="b1"\r\n'
    "\r\n"
    "--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    f"{TEXT.replace(chr(10), chr(13) + chr(10))}\r\n"
    "--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    f"{HTML.replace(chr(10), chr(13) + chr(10))}\r\n"
    "--b1--\r\n"
).encode("ascii")


def build_postwarden() -> bytes:
    return build_simple_message(
        from_address=FROM, to=TO, subject=SUBJECT, text=TEXT, html=HTML, message_id=MESSAGE_ID, date=DATE
    )


SENDER, RECIPIENTS = parse_address(FROM), [parse_address(a) for a in TO]


def build_postwarden_parsed() -> bytes:
    return build_simple_message(
        from_address=SENDER,
        to=RECIPIENTS,
        subject=SUBJECT,
        text=TEXT,
        html=HTML,
        message_id=MESSAGE_ID,
        date=DATE,
    )


def build_stdlib() -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = FROM
    message["To"] = ", ".join(TO)
    message["Subject"] = SUBJECT
    message["Message-ID"] = f"<{MESSAGE_ID}>"
    message["Date"] = email.utils.format_datetime(DATE)
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    return message.as_bytes()


def raw_postwarden() -> bytes:
    info = inspect_raw_message(RAW)
    assert info.from_addresses
    return rewrite_headers(
        RAW,
        remove=SES_REMOVED_HEADERS,
        set_headers=[("Message-ID", f"<{MESSAGE_ID}>"), ("Date", format_date(DATE))],
    )


def raw_stdlib() -> bytes:
    message = email.message_from_bytes(RAW, policy=email.policy.SMTP)
    assert message["From"].addresses
    for field in ("To", "Cc", "Bcc"):
        _ = message[field].addresses if message[field] else ()
    for name in SES_REMOVED_HEADERS:
        del message[name]
    message.replace_header("Message-ID", f"<{MESSAGE_ID}>")
    message.replace_header("Date", email.utils.format_datetime(DATE))
    return message.as_bytes()


def per_call_us(function: Callable[[], bytes], seconds: float) -> float:
    timer = timeit.Timer(function)
    number, _ = timer.autorange()
    number = max(1, int(number * seconds / 0.2))
    return min(timer.repeat(repeat=5, number=number)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=0.5, help="approximate time per measurement")
    seconds = parser.parse_args().seconds
    built = build_postwarden()
    print(f"typical text+html message: {len(TEXT) + len(HTML)} B of body, {len(built)} B built")
    rows = [
        ("build_simple_message (addresses as text)", build_postwarden),
        ("build_simple_message (parsed Address)", build_postwarden_parsed),
        ("email.message.EmailMessage, same message", build_stdlib),
    ]
    results = {label: per_call_us(function, seconds) for label, function in rows}
    for label, us in results.items():
        print(f"  {label:<44} {us:9.1f} us")
    ratio = results[rows[2][0]] / results[rows[0][0]]
    print(f"  speed-up: {ratio:.1f}x")
    print(f"raw message: {len(RAW)} B")
    raw_rows = [
        ("inspect_raw_message + rewrite_headers", raw_postwarden),
        ("email.message_from_bytes + edit + as_bytes", raw_stdlib),
    ]
    raw_results = {label: per_call_us(function, seconds) for label, function in raw_rows}
    for label, us in raw_results.items():
        print(f"  {label:<44} {us:9.1f} us")
    print(f"  speed-up: {raw_results[raw_rows[1][0]] / raw_results[raw_rows[0][0]]:.1f}x")


if __name__ == "__main__":
    main()
