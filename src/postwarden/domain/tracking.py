"""Signed open- and click-tracking tokens.

A token carries everything the tracking endpoint needs (message, recipient and, for a click, the
original URL and the link tags), so nothing has to be stored per link. It is ``payload || MAC`` in
URL-safe base64 without padding; the MAC is HMAC-SHA256 (truncated to 128 bits) under a key derived
from the server key for this purpose only. :meth:`TrackingSigner.verify` answers ``None`` for anything
it did not sign itself, so the click redirector cannot be turned into an open redirect.

Payload: one byte ``version << 4 | flags`` (bit 0: click, bit 1: packed message id), the message id
(an SES-shaped id packed into 24 bytes, any other id as length-prefixed UTF-8), the recipient id as a
LEB128 varint, then for a click the URL and ``count, (name, value)*`` link tags, all length-prefixed
UTF-8. An open token for an SES-shaped id is about 60 characters; a click token adds about 4/3 of the URL.
Only absolute ``http`` and ``https`` URLs are ever signed or accepted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote, urlsplit

__all__ = ["MAX_URL_LENGTH", "ClickTarget", "OpenTarget", "TrackingSigner", "is_trackable_url"]

MAX_URL_LENGTH = 4000  # octets of UTF-8; longer links are left untracked (the token would be unwieldy)
MAX_TOKEN_LENGTH = 65536  # what verify() looks at; click_token() refuses to make a longer one
MIN_KEY_BYTES = 16
_VERSION = 1
_CLICK = 0x01
_PACKED_ID = 0x02
_MAC_BYTES = 16
_LABEL = b"postwarden/tracking/v1"
_SES_ID = re.compile(r"([0-9a-f]{16})-([0-9a-f]{8})-" + r"([0-9a-f]{4})-" * 3 + r"([0-9a-f]{12})-000000")
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")  # controls and spaces (CR/LF would split a Location header)
_LOCATION_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))


def is_trackable_url(url: str) -> bool:
    """An absolute ``http``/``https`` URL with a host, no spaces or control characters, not too long."""
    if not url or len(url) > MAX_URL_LENGTH or _FORBIDDEN.search(url):
        return False
    if not url.isascii() and len(url.encode("utf-8", "surrogatepass")) > MAX_URL_LENGTH:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


@dataclass(frozen=True, slots=True)
class OpenTarget:
    message_id: str
    recipient_id: int


@dataclass(frozen=True, slots=True)
class ClickTarget:
    message_id: str
    recipient_id: int
    url: str
    link_tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def location(self) -> str:
        """The URL as an ASCII ``Location`` header value (non-ASCII characters percent-encoded as UTF-8)."""
        return self.url if self.url.isascii() else quote(self.url, safe=_LOCATION_SAFE)


class TrackingSigner:
    """Makes and checks tracking tokens. ``retired_keys`` are still accepted by :meth:`verify` (so
    links in mail sent before a key rotation keep working) but never used to sign."""

    def __init__(self, key: bytes, *, retired_keys: Iterable[bytes] = ()) -> None:
        self._key = _derive(key)
        self._verify_keys = (self._key, *(_derive(old) for old in retired_keys))

    def open_token(self, message_id: str, recipient_id: int) -> str:
        return self._seal(self._head(0, message_id, recipient_id))

    def click_token(self, message_id: str, recipient_id: int, url: str, link_tags: Mapping[str, str]) -> str:
        """Raises :class:`ValueError` for a URL that :func:`is_trackable_url` refuses (and for link
        tags so many or so long that the token would pass :data:`MAX_TOKEN_LENGTH`)."""
        if not is_trackable_url(url):
            raise ValueError(f"Only absolute http(s) URLs can be tracked: {url[:100]!r}")
        out = self._head(_CLICK, message_id, recipient_id)
        _put_text(out, url)
        out += _varint(len(link_tags))
        for name, value in link_tags.items():
            _put_text(out, name)
            _put_text(out, value)
        token = self._seal(out)
        if len(token) > MAX_TOKEN_LENGTH:
            raise ValueError("The link tags are too large for a tracking token")
        return token

    def verify(self, token: str) -> ClickTarget | OpenTarget | None:
        """The target of a token this signer (or a retired key) made; ``None`` for anything else."""
        if len(token) > MAX_TOKEN_LENGTH or len(token) % 4 == 1 or not _TOKEN.fullmatch(token):
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return None
        if len(raw) <= _MAC_BYTES or _b64(raw) != token:  # one spelling per token
            return None
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if not any(hmac.compare_digest(mac, _mac(key, payload)) for key in self._verify_keys):
            return None
        try:
            return _parse(payload)
        except (ValueError, IndexError):  # only reachable with a key that signed something else
            return None

    @staticmethod
    def _head(flags: int, message_id: str, recipient_id: int) -> bytearray:
        if recipient_id < 0:
            raise ValueError("recipient_id must not be negative")
        id_flags, encoded_id = _encode_id(message_id)
        out = bytearray((_VERSION << 4 | flags | id_flags,))
        out += encoded_id
        out += _varint(recipient_id)
        return out

    def _seal(self, payload: bytearray) -> str:
        return _b64(bytes(payload) + _mac(self._key, bytes(payload)))


@lru_cache(maxsize=256)  # every link of a message repeats its id
def _encode_id(message_id: str) -> tuple[int, bytes]:
    if not message_id:
        raise ValueError("message_id must not be empty")
    packed = _SES_ID.fullmatch(message_id)
    if packed is not None:
        return _PACKED_ID, bytes.fromhex("".join(packed.groups()))
    out = bytearray()
    _put_text(out, message_id)
    return 0, bytes(out)


def _derive(key: bytes) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"The tracking key must be at least {MIN_KEY_BYTES} bytes")
    return hmac.new(key, _LABEL, hashlib.sha256).digest()


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.digest(key, payload, "sha256")[:_MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _put_text(out: bytearray, text: str) -> None:
    data = text.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError, a ValueError
    out += _varint(len(data))
    out += data


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def varint(self) -> int:
        value = shift = 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
            if shift > 63:
                raise ValueError("varint too long")

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise ValueError("truncated payload")
        chunk, self.pos = self.data[self.pos : end], end
        return chunk

    def text(self) -> str:
        return self.take(self.varint()).decode("utf-8")


def _parse(payload: bytes) -> ClickTarget | OpenTarget | None:
    head = payload[0]
    if head >> 4 != _VERSION or head & 0x0F & ~(_CLICK | _PACKED_ID):
        return None
    reader = _Reader(payload, 1)
    if head & _PACKED_ID:
        hex_id = reader.take(24).hex()
        cuts = zip((0, 16, 24, 28, 32, 36), (16, 24, 28, 32, 36, 48), strict=True)
        message_id = "-".join([*(hex_id[a:b] for a, b in cuts), "000000"])
    else:
        message_id = reader.text()
    recipient_id = reader.varint()
    if not head & _CLICK:
        return OpenTarget(message_id, recipient_id) if reader.pos == len(payload) else None
    url = reader.text()
    tags: dict[str, str] = {}
    for _ in range(reader.varint()):
        name = reader.text()
        tags[name] = reader.text()
    if reader.pos != len(payload) or not is_trackable_url(url):
        return None
    return ClickTarget(message_id, recipient_id, url, tags)
