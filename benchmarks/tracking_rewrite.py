"""Micro-benchmark of open/click tracking: :func:`postwarden.mail.tracking.add_tracking`.

Run: ``python benchmarks/tracking_rewrite.py [--seconds 0.5] [--content latin|ascii|cjk] [--links 30]``.
The message is a typical newsletter built with ``build_simple_message``: a ~20 KB HTML body with 30
links (two with ``ses:tags``, one ``ses:no-track``, two ``mailto:``) plus a text alternative. The
``--content`` option picks the HTML's transfer encoding: ``ascii`` gives 7bit, ``latin`` (German text)
quoted-printable, ``cjk`` (Japanese text) base64. Each message is rewritten for one recipient, as the
delivery path does; the rows print messages per second (best of 5 runs):

* open + click tracking with real :class:`TrackingSigner` tokens (HMAC per link);
* the same with a constant ``link_url`` (the cost of the MIME walk and rewrite alone);
* a text-only message (the fast path that returns the input).
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from postwarden.domain.tracking import TrackingSigner
from postwarden.mail import build_simple_message
from postwarden.mail.tracking import add_tracking

DATE = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
MESSAGE_ID = "0100018f4a6b1c2d-3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7-000000"
BASE = "https://track.example.com"
PARAGRAPHS = {
    "ascii": "Our spring collection has arrived, with fresh colours and light fabrics for the new season.",
    "latin": "Unsere Frühjahrskollektion ist da: frische Farben, leichte Stoffe und große Größen für alle.",
    "cjk": "春の新作コレクションが入荷しました。軽やかな素材と鮮やかな色で新しい季節をお楽しみください。",
}


def newsletter_html(paragraph: str, links: int, size: int = 20_000) -> str:
    rows: list[str] = []
    for index in range(links):
        if index % 15 == 14:
            anchor = f'<a href="mailto:shop{index}@shop.example.com">Write to us</a>'
        elif index == 3:
            anchor = f'<a ses:no-track href="https://shop.example.com/p/{index}">Product {index}</a>'
        elif index % 10 == 0:
            anchor = (
                f'<a href="https://shop.example.com/p/{index}?utm_source=newsletter&amp;utm_medium=email'
                f'&amp;utm_campaign=spring" ses:tags="campaign:spring;position:p{index}">Product {index}</a>'
            )
        else:
            anchor = f'<a href="https://shop.example.com/p/{index}?utm_source=newsletter">Product {index}</a>'
        rows.append(
            f'<tr><td class="item" style="padding:12px;font-family:Arial,sans-serif;font-size:14px">'
            f"<p>{paragraph}</p>\n<p>{anchor}</p></td></tr>\n"
        )
    head = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Spring</title></head>\n<body>\n<table>\n'
    )
    body = "".join(rows)
    filler = f"<p>{paragraph}</p>\n"
    while len((head + body).encode()) < size - 40:
        body += filler
    return f"{head}{body}</table>\n</body></html>\n"


def build(text: str, html: str | None) -> bytes:
    return build_simple_message(
        from_address="Shop <news@shop.example.com>",
        to=["alice@example.org"],
        subject="Spring",
        text=text,
        html=html,
        message_id=f"{MESSAGE_ID}@email.amazonses.com",
        date=DATE,
    )


def per_second(function: Callable[[], bytes], seconds: float) -> float:
    timer = timeit.Timer(function)
    number, _ = timer.autorange()
    number = max(1, int(number * seconds / 0.2))
    return number / min(timer.repeat(repeat=5, number=number))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=0.5, help="approximate time per measurement")
    parser.add_argument("--content", choices=sorted(PARAGRAPHS), default="latin", help="language of the text")
    parser.add_argument("--links", type=int, default=30, help="links in the newsletter")
    args = parser.parse_args()

    html = newsletter_html(PARAGRAPHS[args.content], args.links)
    raw = build(text="Spring: https://shop.example.com/", html=html)
    text_only = build(text="Hello\n" * 300, html=None)
    signer = TrackingSigner(b"benchmark-key-" * 3)
    recipient = 0

    def tracked() -> bytes:
        nonlocal recipient
        recipient += 1
        rid = recipient

        def link_url(url: str, tags: Mapping[str, str]) -> str:
            return f"{BASE}/c/{signer.click_token(MESSAGE_ID, rid, url, tags)}"

        return add_tracking(raw, open_url=f"{BASE}/o/{signer.open_token(MESSAGE_ID, rid)}", link_url=link_url)

    def constant() -> bytes:
        return add_tracking(raw, open_url=f"{BASE}/o/x", link_url=lambda url, tags: f"{BASE}/c/x")

    def plain() -> bytes:
        return add_tracking(text_only, open_url=f"{BASE}/o/x", link_url=lambda url, tags: f"{BASE}/c/x")

    out = tracked()
    html_head = raw.split(b"Content-Type: text/html", 1)[1].split(b"\r\n\r\n", 1)[0]
    cte = html_head.split(b"Content-Transfer-Encoding: ", 1)[1].decode()
    print(
        f"newsletter ({args.content}, html {cte}): {len(html.encode())} B of HTML, {args.links} links, "
        f"{len(raw)} B message -> {len(out)} B tracked"
    )
    for label, function in (
        ("open + click tracking, signed tokens", tracked),
        ("open + click tracking, constant link_url", constant),
        ("text-only message (returned as is)", plain),
    ):
        rate = per_second(function, args.seconds)
        print(f"  {label:<42} {rate:10.0f} messages/s  ({1e6 / rate:8.1f} us/message)")


if __name__ == "__main__":
    main()
