"""Open/click tracking rewrite of raw messages: encodings, nesting, SES attributes, byte-exactness."""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postwarden.mail import build_simple_message
from postwarden.mail.tracking import add_tracking

OPEN = "https://t.example/o/TOKEN?a=1&b=2"
PIXEL = '<img src="https://t.example/o/TOKEN?a=1&amp;b=2" width="1" height="1" alt="" style="display:none">'
HEAD = b"From: a@example.com\r\nTo: b@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n"


class Links:
    """A ``link_url`` that records its calls and answers ``https://t.example/c/<n>``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []

    def __call__(self, url: str, tags: Mapping[str, str]) -> str:
        self.calls.append((url, dict(tags)))
        return f"https://t.example/c/{len(self.calls)}"

    @property
    def urls(self) -> list[str]:
        return [url for url, _ in self.calls]


def encode(text: str, cte: str, charset: str) -> bytes:
    data = text.encode(charset)
    if cte == "base64":
        return base64.encodebytes(data.replace(b"\n", b"\r\n")).replace(b"\n", b"\r\n").rstrip(b"\r\n")
    if cte == "quoted-printable":
        return binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n")
    return data.replace(b"\n", b"\r\n")


def leaf(content_type: str, body: bytes, cte: str | None = None, extra: str = "") -> bytes:
    head = f"Content-Type: {content_type}\r\n"
    if cte is not None:
        head += f"Content-Transfer-Encoding: {cte}\r\n"
    return (head + extra + "\r\n").encode() + body


def html_leaf(text: str, cte: str = "7bit", charset: str = "utf-8") -> bytes:
    return leaf(f"text/html; charset={charset}", encode(text, cte, charset), cte)


def multipart(subtype: str, boundary: str, parts: list[bytes], preamble: bytes = b"") -> bytes:
    delimiter = b"--" + boundary.encode()
    out = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode(), preamble]
    for part in parts:
        out += [delimiter, b"\r\n", part, b"\r\n"]
    out += [delimiter, b"--\r\nepilogue stays\r\n"]
    return b"".join(out)


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert not [part.defects for part in message.walk() if part.defects]
    return message


def html_of(raw: bytes) -> str:
    part = parse(raw).get_body(("html",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def assert_only_changed(raw: bytes, out: bytes, piece: bytes) -> None:
    """``out`` equals ``raw`` except for the single occurrence of ``piece``."""
    start = raw.index(piece)
    end = start + len(piece)
    assert out[:start] == raw[:start]
    assert out[len(out) - (len(raw) - end) :] == raw[end:]


DOC = (
    '<html><body><p>Grüße, <a href="https://shop.example.com/a?x=1&amp;y=2">first</a>\n'
    '<a class="btn" href=\'http://shop.example.com/b\' ses:tags="campaign:spring; pos:top">second</a>\n'
    '<a href="mailto:x@example.com">mail</a> <a href="#top">top</a></p></body></html>\n'
)
TRACKED_DOC = (
    '<html><body><p>Grüße, <a href="https://t.example/c/1">first</a>\n'
    '<a class="btn" href="https://t.example/c/2">second</a>\n'
    f'<a href="mailto:x@example.com">mail</a> <a href="#top">top</a></p>{PIXEL}</body></html>\n'
)


@pytest.mark.parametrize("charset", ["utf-8", "iso-8859-1"])
@pytest.mark.parametrize("cte", ["7bit", "8bit", "quoted-printable", "base64"])
def test_each_encoding_and_charset(cte: str, charset: str) -> None:
    doc = DOC.replace("Grüße", "Gr&uuml;&szlig;e") if cte == "7bit" else DOC
    html = html_leaf(doc, cte, charset)
    text = leaf("text/plain; charset=utf-8", "Grüße\r\n".encode(), "8bit")
    raw = HEAD + multipart("alternative", "=_b1", [text, html])
    links = Links()
    out = add_tracking(raw, open_url=OPEN, link_url=links)
    assert links.calls == [
        ("https://shop.example.com/a?x=1&y=2", {}),
        ("http://shop.example.com/b", {"campaign": "spring", "pos": "top"}),
    ]
    expected = TRACKED_DOC.replace("Grüße", "Gr&uuml;&szlig;e") if cte == "7bit" else TRACKED_DOC
    assert html_of(out) == expected
    body = html.split(b"\r\n\r\n", 1)[1]
    assert_only_changed(raw, out, body)  # headers, the text part and the boundaries keep their bytes
    assert f"Content-Transfer-Encoding: {cte}\r\n".encode() in out


def test_nested_multiparts_rewrite_only_the_html_body() -> None:
    png = leaf(
        "image/png", b"iVBORw0KGgo=", "base64", "Content-ID: <logo>\r\nContent-Disposition: inline\r\n"
    )
    html_attachment = leaf(
        "text/html", b'<a href="https://x.example/">kept</a>', "7bit", "Content-Disposition: attachment\r\n"
    )
    forwarded = leaf("message/rfc822", HEAD + html_leaf('<a href="https://fwd.example/">fwd</a>'))
    html = html_leaf('<html><body><a href="https://shop.example.com/">Shop</a></body></html>', "base64")
    alternative = multipart(
        "alternative", "alt", [leaf("text/plain", b"Shop: https://shop.example.com/"), html]
    )
    related = multipart("related", "rel", [alternative, png], preamble=b"This is a preamble.\r\n")
    pdf = leaf(
        "application/pdf", b"JVBERi0xLjQK", "base64", 'Content-Disposition: attachment; filename="a.pdf"\r\n'
    )
    raw = HEAD + multipart("mixed", "mix", [related, html_attachment, forwarded, pdf])
    links = Links()
    out = add_tracking(raw, open_url=OPEN, link_url=links)
    assert links.urls == ["https://shop.example.com/"]
    assert_only_changed(raw, out, html.split(b"\r\n\r\n", 1)[1])
    assert html_of(out) == f'<html><body><a href="https://t.example/c/1">Shop</a>{PIXEL}</body></html>'
    assert [part.get_content_type() for part in parse(out).walk()] == [
        "multipart/mixed",
        "multipart/related",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "image/png",
        "text/html",
        "message/rfc822",
        "text/html",
        "application/pdf",
    ]


def test_ses_attributes() -> None:
    doc = (
        '<a href="https://a.example/" ses:tags="n1:v1;bad name:x;n2:v-2;;n3:">A</a>'
        '<a ses:no-track href="https://b.example/">B</a>'
        "<a\n  SES:NO-TRACK\n  href=https://c.example/ ses:tags='x:y'>C</a>"
        '<a href="https://d.example/" ses:tags="a&#58;b;c:d&amp;e">D</a>'
    )
    raw = HEAD + html_leaf(doc)
    links = Links()
    out = add_tracking(raw, open_url=None, link_url=links)
    assert links.calls == [
        ("https://a.example/", {"n1": "v1", "n2": "v-2"}),
        ("https://d.example/", {"a": "b"}),
    ]
    assert html_of(out) == (
        '<a href="https://t.example/c/1">A</a>'
        '<a href="https://b.example/">B</a>'
        "<a\n  href=https://c.example/>C</a>"
        '<a href="https://t.example/c/2">D</a>'
    )


@pytest.mark.parametrize(
    ("tag", "url"),
    [
        ('<a href="https://x.example/?a=1&amp;b=2">', "https://x.example/?a=1&b=2"),
        ("<a href='https://x.example/?a=1&#38;b=2&#x26;c=3'>", "https://x.example/?a=1&b=2&c=3"),
        ("<a href=https://x.example/?a=1&copy=2&lang=3>", "https://x.example/?a=1&copy=2&lang=3"),
        ('<a href="https://x.example/?a=1&copy;=2">', "https://x.example/?a=1©=2"),
        ('<a href="https://x.example/?a&notit;&ampx&amp">', "https://x.example/?a&notit;&ampx&"),
        ('<A TITLE="a > b" HREF="https://x.example/up">', "https://x.example/up"),
        ('<a href="https://x.example/first" href="https://x.example/second">', "https://x.example/first"),
        ('<a\n\thref\n=\n"https://x.example/multi"\n>', "https://x.example/multi"),
        ('<a href=" https://x.example/pa\nth ">', "https://x.example/path"),
        ('<a href="HTTPS://X.EXAMPLE/">', "HTTPS://X.EXAMPLE/"),
        ('<a title=it\'s href="https://x.example/q">', "https://x.example/q"),
        ('<a href="https://例え.jp/パス">', "https://例え.jp/パス"),
    ],
)
def test_anchor_syntax(tag: str, url: str) -> None:
    raw = HEAD + html_leaf(f"<p>{tag}x</a></p>", "8bit")
    links = Links()
    out = add_tracking(raw, open_url=None, link_url=links)
    assert links.urls == [url]
    assert '"https://t.example/c/1"' in html_of(out)


@pytest.mark.parametrize(
    "tag",
    [
        '<a href="mailto:x@example.com">',
        '<a href="tel:+123">',
        '<a href="javascript:alert(1)">',
        '<a href="/relative">',
        '<a href="#anchor">',
        '<a href="{{amazonSESUnsubscribeUrl}}">',
        '<a href="https://">',
        '<a href="https://x.example/a b">',
        "<a name=top>",
        "<a href>",
        '<abbr href="https://x.example/">',
        '<area href="https://x.example/">',
        '<a href="https://x.example/unterminated>',
    ],
)
def test_untracked_anchors_leave_the_message_unchanged(tag: str) -> None:
    raw = HEAD + html_leaf(f"<p>{tag}x</a></p>")
    links = Links()
    assert add_tracking(raw, open_url=None, link_url=links) is raw
    assert links.calls == []


def test_plain_text_only_message_is_unchanged() -> None:
    raw = build_simple_message(
        from_address="a@example.com",
        to=["b@example.org"],
        subject="s",
        text='Visit https://shop.example.com/ <a href="https://x.example/">x</a> text/html',
        message_id="id@example.com",
        date=datetime(2024, 5, 6, tzinfo=UTC),
    )
    links = Links()
    assert add_tracking(raw, open_url=OPEN, link_url=links) is raw
    assert links.calls == []


def test_nothing_requested_returns_the_message() -> None:
    raw = HEAD + html_leaf('<a href="https://x.example/">x</a></body>')
    assert add_tracking(raw, open_url=None, link_url=None) is raw


def test_built_message_parses_back_with_links_and_pixel() -> None:
    raw = build_simple_message(
        from_address="a@example.com",
        to=["b@example.org"],
        subject="Sale",
        text="Sale: https://shop.example.com/sale",
        html='<p>Größte <a href="https://shop.example.com/sale">Sale</a> für 5 €!</p>',
        message_id="id@example.com",
        date=datetime(2024, 5, 6, tzinfo=UTC),
    )
    out = add_tracking(raw, open_url=OPEN, link_url=Links())
    assert html_of(out) == f'<p>Größte <a href="https://t.example/c/1">Sale</a> für 5 €!</p>{PIXEL}'
    plain = parse(out).get_body(("plain",))
    assert plain is not None and plain.get_content() == "Sale: https://shop.example.com/sale"


def test_pixel_goes_before_the_last_body_end_tag_or_at_the_end() -> None:
    raw = HEAD + html_leaf("<body><!-- </body> --><p>hi</p></BODY >\n</html>\n")
    out = add_tracking(raw, open_url=OPEN, link_url=None)
    assert html_of(out) == f"<body><!-- </body> --><p>hi</p>{PIXEL}</BODY >\n</html>\n"
    raw = HEAD + html_leaf("<p>fragment</p>\n")
    assert html_of(add_tracking(raw, open_url=OPEN, link_url=None)) == f"<p>fragment</p>{PIXEL}\n"


def test_pixel_only_in_the_first_html_part_and_links_in_all() -> None:
    first, second = (
        html_leaf('<a href="https://a.example/">a</a>'),
        html_leaf('<a href="https://b.example/">b</a>'),
    )
    raw = HEAD + multipart("mixed", "m", [first, leaf("image/gif", b"R0lGOD==", "base64"), second])
    links = Links()
    out = add_tracking(raw, open_url=OPEN, link_url=links)
    assert links.urls == ["https://a.example/", "https://b.example/"]
    htmls = [part.get_content() for part in parse(out).walk() if part.get_content_type() == "text/html"]
    assert htmls == [f'<a href="https://t.example/c/1">a</a>{PIXEL}', '<a href="https://t.example/c/2">b</a>']


def test_ses_attributes_are_removed_when_only_the_pixel_is_added() -> None:
    raw = HEAD + html_leaf('<a href="https://a.example/" ses:tags="a:b">a</a><a ses:no-track href=x>b</a>')
    out = add_tracking(raw, open_url=OPEN, link_url=None)
    assert html_of(out) == f'<a href="https://a.example/">a</a><a href=x>b</a>{PIXEL}'


def test_long_7bit_lines_become_quoted_printable() -> None:
    new = "https://t.example/c/" + "x" * 60
    doc = "".join(f'<a href="https://x.example/{i}">{i}</a>' for i in range(40))  # one 1300-octet line
    for cte in ("7bit", None):
        raw = HEAD + leaf("text/html; charset=us-ascii", doc.encode(), cte)
        out = add_tracking(raw, open_url=None, link_url=lambda url, tags: new)
        assert b"Content-Transfer-Encoding: quoted-printable\r\n" in out
        assert b"Content-Transfer-Encoding: 7bit" not in out
        assert max(map(len, out.split(b"\r\n"))) <= 78
        assert html_of(out) == re.sub(r"https://x\.example/\d+", new, doc)


def test_new_text_that_would_contain_a_boundary_line_is_sent_as_base64() -> None:
    def new_text(pad: int) -> bytes:
        return f'<a href="https://t.example/{"p" * pad}--abc--">x</a>'.encode()

    # the padding that makes quoted-printable's soft line break put "--abc--" at the start of a line
    pad = next(pad for pad in range(80) if b"\n--abc--" in binascii.b2a_qp(new_text(pad)))
    new_url = f"https://t.example/{'p' * pad}--abc--"
    html = leaf(
        "text/html; charset=us-ascii",
        encode('<a href="https://x.example/">x</a>', "quoted-printable", "ascii"),
        "quoted-printable",
    )
    raw = HEAD + multipart("alternative", "abc", [leaf("text/plain", b"x"), html])
    out = add_tracking(raw, open_url=None, link_url=lambda url, tags: new_url)
    assert b"Content-Transfer-Encoding: base64\r\n" in out
    assert html_of(out) == f'<a href="{new_url}">x</a>'
    assert len(parse(out).get_payload()) == 2


def test_bare_lf_message_keeps_bare_lf() -> None:
    raw = (HEAD + html_leaf("<p><a href='https://x.example/'>x</a></p>\n", "base64")).replace(b"\r\n", b"\n")
    out = add_tracking(raw, open_url=OPEN, link_url=Links())
    assert b"\r" not in out
    assert html_of(out) == f'<p><a href="https://t.example/c/1">x</a></p>{PIXEL}\n'


def test_iso_2022_jp_is_transcoded() -> None:
    doc = '<p>日本語のメール <a href="https://x.example/ja">リンク</a></p>'
    raw = HEAD + leaf("text/html; charset=ISO-2022-JP", doc.encode("iso-2022-jp"), "7bit")
    links = Links()
    out = add_tracking(raw, open_url=OPEN, link_url=links)
    assert links.urls == ["https://x.example/ja"]
    assert html_of(out) == f'<p>日本語のメール <a href="https://t.example/c/1">リンク</a></p>{PIXEL}'


def test_unknown_charset_tracks_ascii_links_only() -> None:
    doc = b'<a href="https://x.example/a">a</a><a href="https://x.example/\xe9">b</a>'
    raw = HEAD + leaf("text/html; charset=x-unknown", doc, "8bit")
    links = Links()
    out = add_tracking(raw, open_url=None, link_url=links)
    assert links.urls == ["https://x.example/a"]
    assert out.endswith(b'<a href="https://t.example/c/1">a</a><a href="https://x.example/\xe9">b</a>')


def test_undecodable_base64_and_unknown_encodings_are_left_alone() -> None:
    for cte, body in (("base64", b"!!!not base64"), ("x-uuencode", b'<a href="https://x.example/">x</a>')):
        raw = HEAD + leaf("text/html", body, cte)
        assert add_tracking(raw, open_url=OPEN, link_url=Links()) is raw


def test_delimiter_prefix_lines_are_not_boundaries() -> None:
    text = leaf("text/plain", b"--bx is not a delimiter\r\n--b-- nor this")
    html = html_leaf('<a href="https://x.example/">x</a>')
    raw = HEAD + multipart("alternative", "b", [text, html])
    out = add_tracking(raw, open_url=None, link_url=Links())
    assert html_of(out) == '<a href="https://t.example/c/1">x</a>'
    assert_only_changed(raw, out, b'<a href="https://x.example/">x</a>')


HTML_TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="<>\r"), max_size=40
)
URL = st.from_regex(r"https?://[a-z]{1,10}\.example/[A-Za-z0-9/?=&._~-]{0,30}", fullmatch=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(st.tuples(HTML_TEXT, URL, st.sampled_from(['"', "'", ""]), st.booleans()), max_size=6),
    tail=HTML_TEXT,
    cte=st.sampled_from(["7bit", "8bit", "quoted-printable", "base64"]),
    charset=st.sampled_from(["utf-8", "iso-8859-1"]),
    newlines=st.booleans(),
)
def test_rewrite_property(
    pieces: list[tuple[str, str, str, bool]], tail: str, cte: str, charset: str, newlines: bool
) -> None:
    def clean(text: str) -> str:
        if cte == "7bit":
            text = text.encode("ascii", "ignore").decode()
        text = text.encode(charset, "ignore").decode(charset)
        return text if newlines else text.replace("\n", " ")

    source, expected = ["<html><body>"], ["<html><body>"]
    for index, (text, url, quote, escape_amp) in enumerate(pieces):
        text = clean(text).replace("&", "&amp;")
        href = url.replace("&", "&amp;") if escape_amp and quote else url
        source.append(f"{text}<a href={quote}{href}{quote}>{index}</a>")
        expected.append(f'{text}<a href="https://t.example/c/{index + 1}">{index}</a>')
    tail = clean(tail).replace("&", "&amp;")
    source.append(f"{tail}</body></html>")
    expected.append(f"{tail}{PIXEL}</body></html>")
    plain = leaf("text/plain; charset=utf-8", "ünchanged".encode(), "8bit")
    raw = HEAD + multipart("alternative", "=_p", [plain, html_leaf("".join(source), cte, charset)])
    links = Links()
    out = add_tracking(raw, open_url=OPEN, link_url=links)
    assert links.urls == [url for _, url, _, _ in pieces]
    assert html_of(out) == "".join(expected).replace("\r\n", "\n")
    assert out.startswith(raw[: raw.index(b"Content-Type: text/html")])
    assert out.endswith(b"\r\n--=_p--\r\nepilogue stays\r\n")


def test_signed_and_encrypted_multiparts_are_left_alone() -> None:
    for subtype in ("signed", "encrypted"):
        html = html_leaf('<a href="https://x.example/">x</a>')
        raw = HEAD + multipart(subtype, "s", [html, leaf("application/pgp-signature", b"sig")])
        assert add_tracking(raw, open_url=OPEN, link_url=Links()) is raw


def _sample_message() -> bytes:
    html = leaf(
        "text/html; charset*=utf-8''utf-8",
        encode('<body><a href="https://x.example/" ses:tags="a:b">x</a></body>', "quoted-printable", "utf-8"),
        "quoted-printable",
    )
    alternative = multipart("alternative", "alt", [leaf("text/plain", b"x"), html])
    return HEAD + multipart("mixed", "mix", [alternative, leaf("image/png", b"iVBORw0KGgo=", "base64")])


def test_rfc2231_parameters() -> None:
    links = Links()
    out = add_tracking(_sample_message(), open_url=OPEN, link_url=links)
    assert links.calls == [("https://x.example/", {"a": "b"})]
    assert html_of(out) == f'<body><a href="https://t.example/c/1">x</a>{PIXEL}</body>'


@settings(max_examples=300, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=8), st.binary(max_size=12)),
        max_size=4,
    )
)
def test_damaged_messages_never_raise(edits: list[tuple[int, int, bytes]]) -> None:
    raw = _sample_message()
    for position, removed, inserted in edits:
        at = position % (len(raw) + 1)
        raw = raw[:at] + inserted + raw[at + removed :]
    assert isinstance(add_tracking(raw, open_url=OPEN, link_url=Links()), bytes)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    add_tracking(b"Content-Type: text/html\r\n\r\n" + raw, open_url=OPEN, link_url=Links())
    add_tracking(raw, open_url=OPEN, link_url=Links())


def test_at_most_50_link_tags() -> None:
    tags = ";".join(f"n{i}:v{i}" for i in range(60))
    links = Links()
    add_tracking(
        HEAD + html_leaf(f'<a href="https://x.example/" ses:tags="{tags}">x</a>'),
        open_url=None,
        link_url=links,
    )
    assert links.calls == [("https://x.example/", {f"n{i}": f"v{i}" for i in range(50)})]


@pytest.mark.parametrize(("length", "cte"), [(998, b"7bit"), (999, b"quoted-printable")])
def test_the_998_octet_line_limit_is_exact(length: int, cte: bytes) -> None:
    new = "https://t.example/c/"
    tag = f'<a href="{new}">x</a>'
    doc = '<a href="https://x.example/">x</a>' + "y" * (length - len(tag))
    raw = HEAD + html_leaf(doc + "\nnext line")
    out = add_tracking(raw, open_url=None, link_url=lambda url, tags: new)
    assert b"Content-Transfer-Encoding: " + cte + b"\r\n" in out
    assert html_of(out) == f"{tag}{'y' * (length - len(tag))}\nnext line"
