"""Content-transfer-encoding of text bodies and attachments (RFC 2045 §6), CRLF throughout.

Text bodies are sent ``7bit`` when they are ASCII with lines of at most 998 octets, otherwise
``quoted-printable`` or ``base64``. Quoted-printable costs 3 octets per byte that needs escaping, base64
a flat 4/3. Quoted-printable is kept while at most a third of the octets need escaping (mostly-Latin
text: it stays readable, and spam filters such as SpamAssassin's ``MIME_BASE64_TEXT`` penalise base64
for text that did not need it); beyond that (CJK, emoji-heavy text) base64 is much smaller.
"""

from __future__ import annotations

import binascii

from postwarden.mail.errors import InvalidContentError

__all__ = [
    "base64_lines",
    "encode_attachment",
    "encode_text",
    "guess_content_type",
    "is_exact_7bit",
]

MAX_LINE = 998
_QP_SAFE = bytes(range(33, 61)) + bytes(range(62, 127)) + b" \t\n"  # printable ASCII but "=", plus WSP/LF
_TYPES = {
    "7z": "application/x-7z-compressed",
    "avi": "video/x-msvideo",
    "bmp": "image/bmp",
    "csv": "text/csv",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "gif": "image/gif",
    "gz": "application/gzip",
    "htm": "text/html",
    "html": "text/html",
    "ics": "text/calendar",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "json": "application/json",
    "md": "text/markdown",
    "mov": "video/quicktime",
    "mp3": "audio/mpeg",
    "mp4": "video/mp4",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ogg": "audio/ogg",
    "pdf": "application/pdf",
    "png": "image/png",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "rtf": "application/rtf",
    "svg": "image/svg+xml",
    "tar": "application/x-tar",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "txt": "text/plain",
    "vcf": "text/vcard",
    "wav": "audio/wav",
    "webp": "image/webp",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xml": "application/xml",
    "zip": "application/zip",
}


def guess_content_type(file_name: str) -> str:
    """Media type from the file extension (a fixed table: :mod:`mimetypes` reads system files)."""
    _, dot, ext = file_name.rpartition(".")
    return _TYPES.get(ext.lower(), "application/octet-stream") if dot else "application/octet-stream"


def base64_lines(data: bytes) -> bytes:
    """Base64 in lines of 76 characters separated by CRLF (no trailing CRLF)."""
    encoded = binascii.b2a_base64(data, newline=False)
    if len(encoded) <= 76:
        return encoded
    return b"\r\n".join([encoded[i : i + 76] for i in range(0, len(encoded), 76)])


def _longest_line(data: bytes, sep: bytes = b"\n") -> int:
    if len(data) <= MAX_LINE:
        return len(data)
    return max(map(len, data.split(sep)))


def encode_text(text: str, codec: str) -> tuple[bytes, str]:
    """Encode a text body: returns ``(body_bytes_with_crlf, content_transfer_encoding)``."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        data = text.encode(codec)
    except UnicodeEncodeError:
        raise InvalidContentError(f"Body text cannot be encoded in charset {codec}") from None
    if data.isascii() and b"\0" not in data and _longest_line(data) <= MAX_LINE:
        return data.replace(b"\n", b"\r\n"), "7bit"
    escaped = len(data.translate(None, _QP_SAFE))
    if escaped * 3 > len(data):
        return base64_lines(data.replace(b"\n", b"\r\n")), "base64"
    return binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n"), "quoted-printable"


def is_exact_7bit(data: bytes) -> bool:
    """ASCII without NUL, CR and LF only as CRLF pairs, lines of at most 998 octets."""
    if not data.isascii() or b"\0" in data:
        return False
    crlf = data.count(b"\r\n")
    if data.count(b"\r") != crlf or data.count(b"\n") != crlf:
        return False
    return _longest_line(data, b"\r\n") <= MAX_LINE


def encode_attachment(data: bytes, requested: str | None, text_like: bool) -> tuple[bytes, str]:
    """Encode attachment octets as requested (``BASE64``, ``QUOTED_PRINTABLE``, ``SEVEN_BIT`` or None).

    ``SEVEN_BIT`` (the SES default) and None send the octets unchanged when they are valid 7bit. With
    an explicit ``SEVEN_BIT``, a ``text/*`` attachment that is ASCII with bare LF (or CR) line ends is
    converted to canonical CRLF. Any other content falls back to base64, so the octets always arrive
    intact (unchanged, or for text in canonical form).
    """
    if requested == "BASE64":
        return base64_lines(data), "base64"
    if requested == "QUOTED_PRINTABLE":
        crlf = data.count(b"\r\n")
        if data.count(b"\r") == crlf and data.count(b"\n") == crlf:
            encoded = binascii.b2a_qp(data.replace(b"\r\n", b"\n"), istext=True)
            return encoded.replace(b"\n", b"\r\n"), "quoted-printable"
        encoded = binascii.b2a_qp(data, istext=False)  # CR and LF become =0D / =0A: exact round trip
        return encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), "quoted-printable"
    if requested not in (None, "SEVEN_BIT"):
        raise InvalidContentError(f"Invalid ContentTransferEncoding: {requested}")
    if is_exact_7bit(data):
        return data, "7bit"
    if requested == "SEVEN_BIT" and text_like and data.isascii() and b"\0" not in data:
        normalised = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if _longest_line(normalised) <= MAX_LINE:
            return normalised.replace(b"\n", b"\r\n"), "7bit"
    return base64_lines(data), "base64"
