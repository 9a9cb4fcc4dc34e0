"""Address parsing: accepted forms, normalisation and the SES (JavaMail) error texts."""

from __future__ import annotations

import dataclasses

import pytest

from postwarden.mail import Address, InvalidAddressError, MailError, parse_address, parse_address_list


@pytest.mark.parametrize(
    ("text", "display", "addr_spec"),
    [
        ("a@b.com", "", "a@b.com"),
        ("  user.name+tag@Example.COM ", "", "user.name+tag@example.com"),
        ("A B <a@B.COM>", "A B", "a@b.com"),
        ("<a@b.com>", "", "a@b.com"),
        ('"Doe, John" <john@x.com>', "Doe, John", "john@x.com"),
        ('"a \\"b\\" c" <x@y.com>', 'a "b" c', "x@y.com"),
        ("john@x.com (John Doe)", "John Doe", "john@x.com"),
        ("Name (comment) <a@b.com>", "Name", "a@b.com"),
        ("=?utf-8?b?SsO2cmc=?= <j@x.com>", "Jörg", "j@x.com"),
        ("=?ISO-8859-1?Q?Andr=E9?= Pirard <p@x.com>", "André Pirard", "p@x.com"),
        ("Jürgen Müller <jm@x.de>", "Jürgen Müller", "jm@x.de"),
        ("山田太郎 <yamada@example.jp>", "山田太郎", "yamada@example.jp"),
        ('"quoted local"@x.com', "", '"quoted local"@x.com'),
        ("a@[192.0.2.1]", "", "a@[192.0.2.1]"),
        ("<@route.example,@r2.example:a@b.com>", "", "a@b.com"),
        ("a@bücher.de", "", "a@xn--bcher-kva.de"),
        ("a@BÜCHER.de", "", "a@xn--bcher-kva.de"),
        ("x@пример.рф", "", "x@xn--e1afmkfd.xn--p1ai"),
    ],
)
def test_parse_address_accepts(text: str, display: str, addr_spec: str) -> None:
    address = parse_address(text)
    assert address.display_name == display
    assert address.addr_spec == addr_spec
    assert address.original == text
    local, _, domain = addr_spec.rpartition("@")
    assert (address.local, address.domain) == (local, domain)


def test_address_is_frozen_and_prints() -> None:
    address = parse_address("Ann <ann@example.com>")
    with pytest.raises(dataclasses.FrozenInstanceError):
        address.domain = "evil.com"  # type: ignore[misc]
    assert str(address) == "Ann <ann@example.com>"
    assert str(parse_address("ann@example.com")) == "ann@example.com"


def test_local_part_case_is_kept_domain_is_lowered() -> None:
    address = parse_address("John.Smith@EXAMPLE.Org")
    assert address.local == "John.Smith"
    assert address.domain == "example.org"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a", "Missing final '@domain'"),
        ("", "Illegal address"),
        ("   ", "Illegal address"),
        ("a@", "Missing domain"),
        ("@b.com", "Missing local name"),
        (".a@b.com", "Local address starts with dot"),
        ("a..b@c.com", "Local address contains dot-dot"),
        ("a.@b.com", "Local address ends with dot"),
        ("a b@c.com", "Local address contains control or whitespace"),
        ("a\tb@c.com", "Local address contains control or whitespace"),
        ("✖@gmail.com", "Local address contains control or whitespace"),
        ("jürgen@example.de", "Local address contains control or whitespace"),
        ("a,b@c.com", "Illegal address"),
        ("a[b@c.com", "Missing ']'"),
        ("a\\@b.com", "Missing final '@domain'"),
        ('"a"b@c.com', "Quote not at end of local address"),
        ("a@b c.com", "Domain contains control or whitespace"),
        ("a@b_c.com", "Domain contains illegal character"),
        ("a@b!c.com", "Domain contains illegal character"),
        ("a@.b.com", "Domain starts with dot"),
        ("a@b..com", "Domain contains dot-dot"),
        ("a@b.com.", "Domain ends with dot"),
        ("a@b.com, c@d.com", "Illegal address"),
        ("group: a@b.com;", "Illegal address"),
        ("Name <a@b.com", "Missing '>'"),
        ("Name a@b.com>", "Missing '<'"),
        ('"unterminated <a@b.com>', "Missing '\"'"),
        ("a(b@c.com", "Missing ')'"),
        ("a@b.com)", "Missing '('"),
        ("<a@b.com> <c@d.com>", "Extra route-addr"),
        ("<a@b.com> trailing", "Illegal address"),
        ("<>", "Empty address"),
        ("a@b.com;", "Illegal semicolon, not in group"),
        ("<x@route:a@b.com>", "Domain contains illegal character"),
        ("<@a.com,b.com:x@y.com>", "Illegal route-addr"),
    ],
)
def test_parse_address_errors_use_ses_texts(text: str, message: str) -> None:
    with pytest.raises(InvalidAddressError) as info:
        parse_address(text)
    assert info.value.message == message
    assert str(info.value) == message
    assert isinstance(info.value, MailError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "text",
    [
        "a@b.com\r\nBcc: victim@example.com",
        "a@b.com\nBcc: victim@example.com",
        "Name\r\n <a@b.com>",
        '"Evil\r\nBcc: x@y.com" <a@b.com>',
        "a@b.com (comment\r\nBcc: x@y.com)",
        "a\r@b.com",
        "a@b.com\r",
        "a@b\n.com",
    ],
)
def test_cr_or_lf_anywhere_is_refused(text: str) -> None:
    with pytest.raises(InvalidAddressError):
        parse_address(text)
    with pytest.raises(InvalidAddressError):
        parse_address_list(text)


def test_parse_address_list_simple_and_named() -> None:
    result = parse_address_list('a@b.com, "X, Y" <c@d.com>,e@F.com , Ann Lee <ann@x.org>')
    assert [a.addr_spec for a in result] == ["a@b.com", "c@d.com", "e@f.com", "ann@x.org"]
    assert [a.display_name for a in result] == ["", "X, Y", "", "Ann Lee"]
    assert result[1].original == '"X, Y" <c@d.com>'


def test_parse_address_list_groups_are_flattened() -> None:
    assert parse_address_list("undisclosed-recipients:;") == []
    result = parse_address_list('team: a@b.com, "Q" <c@d.com>;, e@f.com')
    assert [a.addr_spec for a in result] == ["a@b.com", "c@d.com", "e@f.com"]
    assert [a.addr_spec for a in parse_address_list("list: x@y.com")] == ["x@y.com"]


def test_parse_address_list_empty_elements_and_comments() -> None:
    assert parse_address_list("") == []
    assert [a.addr_spec for a in parse_address_list("a@b.com,, ,c@d.com")] == ["a@b.com", "c@d.com"]
    result = parse_address_list("a@b.com (Ann), (just a comment) , <c@d.com> (Cee)")
    assert [(a.display_name, a.addr_spec) for a in result] == [("Ann", "a@b.com"), ("", "c@d.com")]


def test_parse_address_list_encoded_words() -> None:
    header = "=?UTF-8?B?5bGx55Sw?= =?UTF-8?B?5aSq6YOO?= <y@example.jp>, =?utf-8?q?J=C3=B6rg_K?= <j@x.de>"
    result = parse_address_list(header)
    assert [a.display_name for a in result] == ["山田太郎", "Jörg K"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: b: c@d.com;;", "Nested group"),
        ("a@b.com; c@d.com", "Illegal semicolon, not in group"),
        ("a@b.com, c", "Missing final '@domain'"),
        ("a@b.com, <c@d.com", "Missing '>'"),
    ],
)
def test_parse_address_list_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidAddressError) as info:
        parse_address_list(text)
    assert info.value.message == message


def test_address_can_be_built_directly() -> None:
    address = Address("Ann", "ann@example.com", "ann", "example.com", "Ann <ann@example.com>")
    assert address == parse_address("Ann <ann@example.com>")


def test_cr_or_lf_hidden_in_an_encoded_display_name_is_refused() -> None:
    with pytest.raises(InvalidAddressError):
        parse_address("=?utf-8?b?RXZpbA0KQmNjOiB4QHkuY29t?= <a@b.com>")  # "Evil\r\nBcc: x@y.com"
