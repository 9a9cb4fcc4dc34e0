"""Micro-benchmark of DKIM signing (on the delivery path: once per message) and verification.

Run: ``python benchmarks/dkim_sign.py [--seconds 1.0]``. Prints microseconds per call (best of 5 runs) of
:meth:`postwarden.dkim.DkimSigner.sign` on a ~2 KB text+html message with a 1024- and a 2048-bit key,
of ``dkim.verify`` on the signed message with the key record served from memory (no DNS), and, for
comparison, of dkimpy's own ``dkim.sign`` (pure-Python RSA) producing the same header.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import dkim  # type: ignore[import-untyped]

from postwarden.dkim import DkimKeyPair, DkimSigner, dns_txt_value, generate_key, prepend

DOMAIN = "shop.example.com"
SELECTOR = "4z7nqdjl6wkyhtt6ex3yhzfcaykajbpj"
RELAXED = (b"relaxed", b"relaxed")
TEXT = (
    "Hello Alice,\r\n\r\nyour order #12345 has shipped and is on its way. You can track the parcel\r\n"
    "with the link below. Thank you for shopping with us!\r\n\r\nhttps://shop.example.com/track/12345\r\n\r\n"
    "Items: 1 x Blue mug (12.00 EUR), 2 x Tea towel (7.50 EUR), shipping 4.90 EUR.\r\n"
    "Delivery is expected within 2-3 working days.\r\n\r\nKind regards,\r\nExample Shop\r\n\r\n"
    "You receive this message because you ordered from Example Shop. Manage your e-mail\r\n"
    "preferences at https://shop.example.com/account/preferences or reply to this message.\r\n"
)
HTML = (
    "<html><body><p>Hello Alice,</p><p>your order <b>#12345</b> has shipped and is on its way. You can\r\n"
    "track the parcel with the link below. Thank you for shopping with us!</p>\r\n"
    '<p><a href="https://shop.example.com/track/12345">Track your parcel</a></p>\r\n'
    "<table><tr><td>1 x Blue mug</td><td>12.00 EUR</td></tr><tr><td>2 x Tea towel</td>\r\n"
    "<td>7.50 EUR</td></tr><tr><td>Shipping</td><td>4.90 EUR</td></tr></table>\r\n"
    "<p>Delivery is expected within 2-3 working days.</p>\r\n<p>Kind regards,<br>Example Shop</p>\r\n"
    '<p style="font-size:small;color:#666">You receive this message because you ordered from Example\r\n'
    'Shop. <a href="https://shop.example.com/account/preferences">Manage your e-mail preferences</a>.</p>\r\n'
    "</body></html>\r\n"
)
MESSAGE = (
    "From: Example Shop <orders@shop.example.com>\r\n"
    "To: Alice Example <alice@example.org>\r\n"
    "Reply-To: support@shop.example.com\r\n"
    "Subject: Your order #12345 has shipped\r\n"
    "Date: Mon, 06 May 2024 07:08:09 +0000\r\n"
    "Message-ID: <0100018f4a6b1c2d-3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7-000000@email.shop.example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "List-Unsubscribe: <https://shop.example.com/unsubscribe/abc>\r\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    "Feedback-ID: 1.us-east-1.kTqKzY7N3yPqYvZb0Hn1sYgS8aVvRZp3mE5e0wz4QqE=:Postwarden\r\n"
    "X-SES-Outgoing: 2024.05.06-127.0.0.1\r\n"
    'Content-Type: multipart/alternative; boundary="=_pw_b1"\r\n'
    "\r\n"
    "--=_pw_b1\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    f"{TEXT}\r\n"
    "--=_pw_b1\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    f"{HTML}\r\n"
    "--=_pw_b1--\r\n"
).encode()


def per_call_us(func: Callable[[], object], seconds: float) -> float:
    timer = timeit.Timer(func)
    number, _elapsed = timer.autorange()
    number = max(1, int(number * seconds / max(_elapsed, 1e-9) / 5))
    return min(timer.repeat(repeat=5, number=number)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="approximate time per measurement")
    args = parser.parse_args()
    signer = DkimSigner()
    print(f"message: {len(MESSAGE)} bytes, relaxed/relaxed rsa-sha256 (dkimpy {_dkimpy_version()})")
    print(f"{'key':>9}  {'sign µs':>8}  {'signs/s':>8}  {'verify µs':>9}  {'dkim.sign µs':>12}")
    for bits in (1024, 2048):
        key = generate_key(bits)
        record = dns_txt_value(key.public_b64).encode()

        def sign(key: DkimKeyPair = key) -> bytes:
            return signer.sign(MESSAGE, domain=DOMAIN, selector=SELECTOR, private_pem=key.private_pem)

        def dkimpy_sign(key: DkimKeyPair = key) -> bytes:
            header: bytes = dkim.sign(
                MESSAGE, SELECTOR.encode(), DOMAIN.encode(), key.private_pem, canonicalize=RELAXED
            )
            return header

        signed = prepend(MESSAGE, sign())

        def verify(signed: bytes = signed, record: bytes = record) -> bool:
            return bool(dkim.verify(signed, dnsfunc=lambda name, timeout=5: record))

        if not verify():
            raise SystemExit("the signature does not verify")
        sign_us = per_call_us(sign, args.seconds)
        verify_us = per_call_us(verify, args.seconds)
        dkimpy_us = per_call_us(dkimpy_sign, args.seconds)
        print(f"{bits:>5} bit  {sign_us:>8.0f}  {1e6 / sign_us:>8.0f}  {verify_us:>9.0f}  {dkimpy_us:>12.0f}")


def _dkimpy_version() -> str:
    from importlib.metadata import version

    return version("dkimpy")


if __name__ == "__main__":
    main()
