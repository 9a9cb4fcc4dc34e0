"""RFC 2047 encoded-words: encoding of header text and decoding of received header text.

Encoding always uses the ``B`` (base64) form: it is compact for every script, trivially safe in
``phrase`` and ``unstructured`` contexts, and cheap to compute with :mod:`binascii`. Words are cut on
character boundaries (never inside a multi-byte sequence) and are at most 75 characters long, as
RFC 2047 §2 requires.
"""

from __future__ import annotations

import binascii
import codecs
import re
from functools import lru_cache

from postwarden.mail.errors import InvalidContentError

__all__ = [
    "MAX_WORD",
    "decode_words",
    "encode_words",
    "looks_encoded",
    "resolve_charset",
]

MAX_WORD = 75
_TOKEN_RE = re.compile(r"[A-Za-z0-9!#$%&'+^_`{}~-]{1,64}")
_ENCODED_WORD_RE = re.compile(r"=\?([^?\s]+?)\?([BbQq])\?([^?\s]*)\?=")
_WHITESPACE_RE = re.compile(r"[ \t]*")


@lru_cache(maxsize=64)
def resolve_charset(label: str | None) -> tuple[str, str]:
    """Return ``(mime_label, python_codec)`` for a caller-supplied charset label.

    ``None`` means UTF-8. The label is kept as given (SES echoes the caller's ``Charset``), except that
    any spelling of UTF-8 is written ``UTF-8``. Raises :class:`InvalidContentError` for labels that are
    not MIME tokens or that Python cannot encode text with.
    """
    if label is None:
        return "UTF-8", "utf-8"
    if not _TOKEN_RE.fullmatch(label):
        raise InvalidContentError(f"Invalid charset: {label!r}")
    try:
        "".encode(label)
        codec = codecs.lookup(label).name
    except LookupError:
        raise InvalidContentError(f"Unsupported charset: {label}") from None
    if codec == "utf-8":
        return "UTF-8", "utf-8"
    try:
        ascii_compatible = "\r\n~ A".encode(codec) == b"\r\n~ A"
    except UnicodeError:
        ascii_compatible = False
    if not ascii_compatible:
        raise InvalidContentError(f"Unsupported charset: {label}")
    return label, codec


def looks_encoded(text: str) -> bool:
    """True if ``text`` contains something a reader would decode as an encoded-word."""
    return "=?" in text and _ENCODED_WORD_RE.search(text) is not None


def _b_word(label: str, chunk: bytes) -> str:
    return f"=?{label}?B?{binascii.b2a_base64(chunk, newline=False).decode('ascii')}?="


def encode_words(
    text: str, label: str = "UTF-8", codec: str = "utf-8", first_limit: int = MAX_WORD
) -> list[str]:
    """Encode ``text`` as a list of B encoded-words, to be joined by folding white space.

    The first word is at most ``first_limit`` characters (so it can share a line with the header
    name); the others at most 75. Raises :class:`InvalidContentError` if the text cannot be
    represented in ``codec``.
    """
    overhead = len(label) + 7  # "=?" label "?B?" ... "?="
    first_bytes = max(1, (first_limit - overhead) // 4) * 3
    rest_bytes = max(1, (MAX_WORD - overhead) // 4) * 3
    if codec == "utf-8":
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates (possible in JSON input)
            raise InvalidContentError("Text is not valid Unicode (lone surrogate)") from None
        words: list[str] = []
        pos, size = 0, len(data)
        limit = first_bytes
        while pos < size:
            end = pos + limit
            if end < size:
                cut = end
                while cut > pos and (data[cut] & 0xC0) == 0x80:
                    cut -= 1
                end = cut if cut > pos else end
            words.append(_b_word(label, data[pos:end]))
            pos = end
            limit = rest_bytes
        return words
    return _encode_words_generic(text, label, codec, first_bytes, rest_bytes)


def _encode_words_generic(text: str, label: str, codec: str, first_bytes: int, rest_bytes: int) -> list[str]:
    """Chunk by characters for arbitrary (possibly stateful, e.g. ISO-2022-JP) charsets."""
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        raise InvalidContentError(f"Text cannot be encoded in charset {label}") from None
    words: list[str] = []
    i, n = 0, len(text)
    limit = first_bytes
    while i < n:
        j = i + 1
        chunk = text[i:j].encode(codec)
        while j < n:
            longer = text[i : j + 1].encode(codec)
            if len(longer) > limit:
                break
            chunk = longer
            j += 1
        words.append(_b_word(label, chunk))
        i = j
        limit = rest_bytes
    return words


def _decode_bytes(data: bytes, charset: str) -> str:
    charset = charset.split("*", 1)[0]
    try:
        return data.decode(charset, "replace")
    except (LookupError, ValueError):  # unknown, or not a text codec
        return data.decode("latin-1")


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "Bb":
            raw = payload.encode("ascii")
            return binascii.a2b_base64(raw + b"=" * (-len(raw) % 4))
        return binascii.a2b_qp(payload.replace("_", " ").encode("ascii"), header=False)
    except (binascii.Error, UnicodeEncodeError):
        return None


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded-words in an (unfolded) header value or display name.

    White space between adjacent encoded-words is dropped, and adjacent words in the same charset are
    joined before decoding (so multi-byte characters split across words survive). Malformed words are
    left as they are.
    """
    if "=?" not in text:
        return text
    out: list[str] = []
    pending: bytearray = bytearray()
    pending_charset = ""
    pos = 0
    seen_word = False
    for match in _ENCODED_WORD_RE.finditer(text):
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:
            continue
        between = text[pos : match.start()]
        adjacent = seen_word and _WHITESPACE_RE.fullmatch(between) is not None
        charset = match.group(1).lower()
        if not (adjacent and charset == pending_charset):
            if pending:
                out.append(_decode_bytes(bytes(pending), pending_charset))
                pending = bytearray()
            if not adjacent:
                out.append(between)
        pending += data
        pending_charset = charset
        pos = match.end()
        seen_word = True
    if pending:
        out.append(_decode_bytes(bytes(pending), pending_charset))
    out.append(text[pos:])
    return "".join(out)
