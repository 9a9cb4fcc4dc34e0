"""Open and click tracking: rewrite the links of every ``text/html`` part and add an open pixel.

:func:`add_tracking` works on the message bytes. It walks the MIME tree (``multipart/*`` at any depth;
``message/rfc822``, ``Content-Disposition: attachment`` and signed or encrypted parts stay as they are)
and splices only the HTML parts that change: the headers, boundaries and every other part keep their
exact bytes (DKIM signs the result). An HTML part is decoded (7bit, 8bit, binary, quoted-printable,
base64), rewritten and encoded again with its own transfer encoding; a 7bit/8bit part whose lines would
pass 998 octets becomes quoted-printable (base64 if the new text would contain a boundary line).

The rewrite is a regular expression over ``<a ...>`` start tags (HTML's attribute syntax: double-,
single- and unquoted values, any case), not a parser that re-serialises the document:

* ``href`` (the first one, as browsers do) is tracked when it is an absolute http(s) URL: character
  references are decoded with HTML's attribute rules (``&amp;`` yes, ``&copy=`` no) and the value is
  replaced by ``link_url(url, tags)``;
* ``ses:tags="name:value;..."`` gives the link tags (up to 50, names and values of letters, digits,
  ``_`` and ``-``, up to 255 characters; others are dropped); ``ses:no-track`` leaves the link untracked; both
  attributes are removed from the mail whenever its part is rewritten;
* the pixel goes before the last ``</body>`` of the first HTML part, or at its end.

Tags and URLs are bytes of an ASCII-compatible charset (UTF-8, ISO-8859-*, Windows-125*, Shift_JIS,
...); other charsets (ISO-2022-*, UTF-16, ...) are transcoded through UTF-8 and back.
"""

from __future__ import annotations

import binascii
import codecs
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from functools import lru_cache
from html.entities import html5

from postwarden.domain.tracking import is_trackable_url
from postwarden.mail.bodies import base64_lines

__all__ = ["LinkUrl", "add_tracking"]

LinkUrl = Callable[[str, Mapping[str, str]], str]

MAX_DEPTH = 30
MAX_LINK_TAGS = 50  # per link; the rest are dropped (SES allows 50 message tags)
MAX_LINE = 998
_FIELD = re.compile(rb"^([!-9;-~]+)[ \t]*:([^\n]*\n?(?:[ \t][^\n]*\n?)*)", re.M)
_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')
_ATTR_NAME = rb"[^\s/>=][^\s/>=]*+"  # HTML: quotes are (erroneous) name characters
_ATTR_VALUE = rb"""(?:"[^"]*+"|'[^']*+'|[^\s>]++)"""
_ATTR = re.compile(rb"(?P<name>" + _ATTR_NAME + rb")(?:\s*+=\s*+(?P<value>" + _ATTR_VALUE + rb"))?")
# (no re.I: case-insensitive patterns lose the regex engine's fast scan for a literal "<")
_ANCHOR = re.compile(
    rb"<[aA](?=[\s/>])((?:[\s/]++|" + _ATTR_NAME + rb"(?:\s*+=\s*+" + _ATTR_VALUE + rb")?)*+)>"
)
_BODY_END = re.compile(rb"</[bB][oO][dD][yY](?=[\s/>])")
_CHARREF = re.compile(r"&(?:#(?:[0-9]+|[xX][0-9a-fA-F]+);?|(?P<name>[A-Za-z][A-Za-z0-9]*+)(?P<semi>;|(?!=)))")
_TAG_PART = re.compile(r"[A-Za-z0-9_-]{1,255}")
_URL_WHITESPACE = re.compile(r"[\t\n\r]")
_STATEFUL = frozenset({"utf-7", "hz"})  # ASCII bytes inside their shifted runs are not ASCII text
_PSEUDO_CODECS = ("escape", "idna", "punycode", "undefined")
_PROBE = bytes(range(0x20, 0x7F)).decode("ascii")
_RAW = ("7bit", "8bit", "binary")
_SEALED = frozenset({"multipart/signed", "multipart/encrypted"})  # a change would break the signature


@dataclass(slots=True)
class _Context:
    data: bytes
    open_url: str | None
    link_url: LinkUrl | None
    splices: list[tuple[int, int, bytes]]


def add_tracking(raw: bytes, *, open_url: str | None, link_url: LinkUrl | None) -> bytes:
    """``raw`` with its HTML parts' links rewritten through ``link_url`` (if given) and an open pixel
    loading ``open_url`` (if given). A message without an HTML part comes back as the same object."""
    if open_url is None and link_url is None:
        return raw
    context = _Context(raw, open_url, link_url, [])
    _walk(context, 0, len(raw), (), 0)
    return _splice(raw, context.splices) if context.splices else raw


def _splice(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``data`` with each ``(start, end, replacement)`` applied (sorted, not overlapping)."""
    out: list[bytes] = []
    last = 0
    for start, end, replacement in edits:
        out.append(data[last:start])
        out.append(replacement)
        last = end
    out.append(data[last:])
    return b"".join(out)


def _head_end(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    """(end of the header section, start of the body) of the entity at ``data[start:end]``; None if
    there is no blank line."""
    if data.startswith(b"\n", start) or data.startswith(b"\r\n", start):
        return start, start + (1 if data[start] == 10 else 2)
    crlf = data.find(b"\n\r\n", start, end)
    lf = data.find(b"\n\n", start, end if crlf == -1 else crlf)
    if lf != -1:
        return lf + 1, lf + 2
    return None if crlf == -1 else (crlf + 1, crlf + 3)


def _params(value: str) -> tuple[str, dict[str, str]]:
    main, _, rest = value.partition(";")
    if "*" in rest:  # RFC 2231 parameters: rare enough for the stdlib's slower parser
        message = Message()
        message["Content-Type"] = value
        try:
            found = {"boundary": message.get_boundary(), "charset": message.get_content_charset()}
        except (ValueError, LookupError):  # e.g. a NUL in an RFC 2231 charset name
            return main.strip().lower(), {}
        return main.strip().lower(), {key: val for key, val in found.items() if val is not None}
    params: dict[str, str] = {}
    for match in _PARAM.finditer(";" + rest):
        val = match.group(2)
        if val.startswith('"'):
            val = re.sub(r"\\(.)", r"\1", val[1:-1])
        params.setdefault(match.group(1).lower(), val)
    return main.strip().lower(), params


def _walk(context: _Context, start: int, end: int, boundaries: tuple[bytes, ...], depth: int) -> None:
    data = context.data
    head = _head_end(data, start, end)
    if head is None:
        return
    head_end, body_start = head
    fields: dict[bytes, tuple[str, int, int]] = {}
    for match in _FIELD.finditer(data, start, head_end):
        name = match.group(1).lower()
        if name in (b"content-type", b"content-transfer-encoding", b"content-disposition"):
            value = re.sub(r"\r?\n(?=[ \t])", "", match.group(2).decode("latin-1")).strip()
            fields.setdefault(name, (value, match.start(), match.end()))
    mime_type, params = _params(fields.get(b"content-type", ("text/plain", 0, 0))[0])
    if mime_type in _SEALED:
        return
    if mime_type.startswith("multipart/"):
        boundary = params.get("boundary", "").encode("latin-1", "replace")
        if boundary and depth < MAX_DEPTH:
            for part_start, part_end in _parts(data, body_start, end, boundary):
                _walk(context, part_start, part_end, (*boundaries, boundary), depth + 1)
        return
    disposition = fields.get(b"content-disposition", ("", 0, 0))[0].split(";", 1)[0].strip().lower()
    if mime_type != "text/html" or disposition == "attachment":
        return
    cte, cte_start, cte_end = fields.get(b"content-transfer-encoding", ("7bit", head_end, head_end))
    eol = data[head_end:body_start]  # the blank line's end: CRLF, or LF in a bare-LF message
    body = data[body_start:end]
    cte = cte.lower()
    encoded, new_cte = _rewrite_part(context, body, cte, params.get("charset", "us-ascii"), boundaries, eol)
    if encoded is None:
        return
    if new_cte is not None:
        context.splices.append((cte_start, cte_end, b"Content-Transfer-Encoding: " + new_cte + eol))
    context.splices.append((body_start, end, encoded))


def _parts(data: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int]]:
    """The body parts between the delimiter lines (the CRLF before a delimiter belongs to it)."""
    delimiter = b"--" + boundary
    parts: list[tuple[int, int]] = []
    part_start = -1
    pos = start
    while pos < end:
        if pos == start and data.startswith(delimiter, start):
            line, content_end = start, start
        else:  # from pos - 1: a delimiter line may directly follow the previous one
            found = data.find(b"\n" + delimiter, max(start, pos - 1), end)
            if found == -1:
                break
            line, content_end = found + 1, found - 1 if data[found - 1 : found] == b"\r" else found
        after = line + len(delimiter)
        line_end = data.find(b"\n", after, end)
        line_end = end if line_end == -1 else line_end + 1
        rest = data[after:line_end].rstrip(b"\r\n")
        closing = rest.startswith(b"--")
        if rest[2 if closing else 0 :].strip(b" \t"):  # "--boundary" is only a prefix of this line
            pos = after
            continue
        if part_start != -1:
            parts.append((part_start, max(part_start, content_end)))
        if closing:
            return parts
        part_start = pos = line_end
    if part_start != -1:
        parts.append((part_start, end))  # no closing delimiter: the last part runs to the end
    return parts


@lru_cache(maxsize=64)
def _codec(label: str) -> tuple[str, bool]:
    """(Python codec, whether HTML markup can be matched in its bytes directly). An unknown charset is
    treated as ASCII: the markup is rewritten, but only links in pure ASCII are tracked."""
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):
        return "ascii", True
    if any(word in name for word in _PSEUDO_CODECS):
        return "ascii", True
    try:
        compatible = _PROBE.encode(name) == _PROBE.encode() and _PROBE.encode().decode(name) == _PROBE
    except LookupError:  # a bytes-to-bytes codec (base64, zlib, ...), no charset
        return "ascii", True
    except UnicodeError:
        compatible = False
    return name, compatible and name not in _STATEFUL and not name.startswith("iso2022")


def _rewrite_part(
    context: _Context, body: bytes, cte: str, charset: str, boundaries: tuple[bytes, ...], eol: bytes
) -> tuple[bytes | None, bytes | None]:
    """The part's new encoded body and, if the transfer encoding had to change, the new one."""
    if cte in _RAW:
        decoded = body
    elif cte == "quoted-printable":
        decoded = binascii.a2b_qp(body)
    elif cte == "base64":
        try:
            decoded = binascii.a2b_base64(body)
        except binascii.Error:
            return None, None
    else:
        return None, None
    codec, direct = _codec(charset)
    if direct:
        new = _rewrite_html(context, decoded, codec)
    else:
        try:
            text = decoded.decode(codec)
        except (UnicodeError, LookupError):
            return None, None
        rewritten = _rewrite_html(context, text.encode("utf-8"), "utf-8")
        new = None if rewritten is None else rewritten.decode("utf-8").encode(codec, "xmlcharrefreplace")
    if new is None:
        return None, None
    new_cte: bytes | None = None
    if cte == "base64":
        encoded = _base64(new, eol)
    elif cte == "quoted-printable":
        encoded = _quoted_printable(new, eol)
    elif cte != "binary" and (
        _has_long_line(new) or (cte == "7bit" and body.isascii() and not new.isascii())
    ):
        encoded, new_cte = _quoted_printable(new, eol), b"quoted-printable"
    else:
        encoded = new
    if any(encoded.startswith(b"--" + b) or b"\n--" + b in encoded for b in boundaries):
        encoded, new_cte = _base64(new, eol), b"base64"  # base64 lines never start with "--"
    if body.endswith(b"\n") and not encoded.endswith(b"\n"):
        encoded += eol
    return encoded, new_cte


def _has_long_line(data: bytes) -> bool:
    """Whether a line is longer than 998 octets, its line end (CRLF or LF) not counted."""
    if len(data) <= MAX_LINE:
        return False
    longest = max(map(len, data.split(b"\n")))  # counts the CR of a CRLF
    if longest != MAX_LINE + 1:
        return longest > MAX_LINE
    return any(len(line.rstrip(b"\r")) > MAX_LINE for line in data.split(b"\n"))


def _quoted_printable(data: bytes, eol: bytes) -> bytes:
    return binascii.b2a_qp(data.replace(b"\r\n", b"\n"), istext=True).replace(b"\n", eol)


def _base64(data: bytes, eol: bytes) -> bytes:
    encoded = base64_lines(data)
    return encoded if eol == b"\r\n" else encoded.replace(b"\r\n", eol)


def _rewrite_html(context: _Context, doc: bytes, codec: str) -> bytes | None:
    """The document with its anchors rewritten and the pixel added, or None if nothing changed."""
    out: list[bytes] = []
    last = 0
    for match in _ANCHOR.finditer(doc):
        attrs = _rewrite_anchor(match.group(1), codec, context.link_url)
        if attrs is not None:
            out.append(doc[last : match.start(1)])
            out.append(attrs)
            last = match.end(1)
    if out:
        out.append(doc[last:])
        doc = b"".join(out)
    if context.open_url is None:
        return doc if out else None
    pixel = f'<img src="{html.escape(context.open_url)}" width="1" height="1" alt="" style="display:none">'
    context.open_url = None  # one pixel per message, in its first HTML part
    at = len(doc.rstrip(b"\r\n"))
    for closing in _BODY_END.finditer(doc):  # the last one counts
        at = closing.start()
    return b"".join((doc[:at], pixel.encode(codec, "xmlcharrefreplace"), doc[at:]))


def _rewrite_anchor(attrs: bytes, codec: str, link_url: LinkUrl | None) -> bytes | None:
    """The anchor's new attribute text, or None if it stays as it is."""
    edits: list[tuple[int, int, bytes]] = []
    href: re.Match[bytes] | None = None
    tags_value: bytes | None = None
    no_track = False
    for attr in _ATTR.finditer(attrs):
        name = attr.group("name").lower()
        if name == b"href":
            href = href or attr
        elif name in (b"ses:tags", b"ses:no-track"):
            start = attr.start()
            while start > 0 and attrs[start - 1 : start].isspace():
                start -= 1
            edits.append((start, attr.end(), b""))
            if name == b"ses:no-track":
                no_track = True
            elif tags_value is None:
                tags_value = attr.group("value") or b""
    if href is not None and href.group("value") is not None and link_url is not None and not no_track:
        url = _attribute_text(href.group("value"), codec)
        if url is not None:
            url = url.strip("\t\n\f\r ")
            if "\n" in url or "\r" in url or "\t" in url:  # the URL parser drops these (WHATWG URL)
                url = _URL_WHITESPACE.sub("", url)
        if url is not None and is_trackable_url(url):
            tags = _link_tags(tags_value, codec)
            new = html.escape(link_url(url, tags), quote=True).encode(codec, "xmlcharrefreplace")
            edits.append((href.start("value"), href.end("value"), b'"' + new + b'"'))
    return _splice(attrs, sorted(edits)) if edits else None


def _attribute_text(value: bytes, codec: str) -> str | None:
    """An attribute value as text: quotes removed, character references decoded as HTML does in
    attributes. None if its bytes are not valid in the part's charset."""
    if len(value) > 1 and value[:1] in (b'"', b"'") and value[-1:] == value[:1]:
        value = value[1:-1]
    try:
        text = value.decode(codec)
    except UnicodeDecodeError:
        return None
    return _CHARREF.sub(_charref, text) if "&" in text else text


def _charref(match: re.Match[str]) -> str:
    name = match.group("name")
    if name is None:
        return html.unescape(match.group())
    return html5.get(name + match.group("semi"), match.group())


def _link_tags(value: bytes | None, codec: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    text = None if value is None else _attribute_text(value, codec)
    if not text:
        return tags
    for item in text.split(";"):
        name, _, tag_value = item.partition(":")
        name, tag_value = name.strip(), tag_value.strip()
        if _TAG_PART.fullmatch(name) and _TAG_PART.fullmatch(tag_value) and len(tags) < MAX_LINK_TAGS:
            tags.setdefault(name, tag_value)
    return tags
