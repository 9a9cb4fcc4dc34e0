"""SPF record parsing and macro expansion (RFC 7208 §4.5, §5, §7)."""

from __future__ import annotations

import ipaddress

import pytest

from postwarden.authcheck.spf_record import (
    MacroContext,
    Mechanism,
    Modifier,
    SpfSyntaxError,
    expand,
    is_spf_record,
    parse_spf,
    parse_term,
    salvage_tokens,
    truncate_domain,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v=spf1 -all", True),
        ("v=spf1", True),
        ("V=SPF1 ip4:192.0.2.1", True),
        ("v=spf10 -all", False),
        ("v=spf1-all", False),
        ("spf2.0/pra ip4:192.0.2.1", False),
        ("google-site-verification=abc", False),
    ],
)
def test_recognizing_spf_records(text: str, expected: bool) -> None:
    assert is_spf_record(text) is expected


def test_a_full_record() -> None:
    record = parse_spf(
        "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.com ~include:_spf.x.test "
        "?exists:%{i}.e.test -ptr redirect=_spf.example.com exp=explain.example.com foo=bar -all"
    )
    names = [(m.qualifier, m.name) for m in record.mechanisms]
    assert names == [
        ("+", "ip4"),
        ("+", "ip6"),
        ("+", "a"),
        ("+", "mx"),
        ("~", "include"),
        ("?", "exists"),
        ("-", "ptr"),
        ("-", "all"),
    ]
    assert record.mechanisms[0].network == ipaddress.ip_network("192.0.2.0/24")
    assert record.mechanisms[3].domain_spec == "mail.example.com"
    assert record.redirect == "_spf.example.com" and record.exp == "explain.example.com"


@pytest.mark.parametrize(
    ("token", "spec", "cidr4", "cidr6"),
    [
        ("a", None, 32, 128),
        ("A/24", None, 24, 128),
        ("a//64", None, 32, 64),
        ("a:example.com/24//64", "example.com", 24, 64),
        ("mx:mail.example.com", "mail.example.com", 32, 128),
        ("mx/0", None, 0, 128),
        ("a:%{d}", "%{d}", 32, 128),
    ],
)
def test_a_and_mx_with_dual_cidr(token: str, spec: str | None, cidr4: int, cidr6: int) -> None:
    term = parse_term(token)
    assert isinstance(term, Mechanism)
    assert (term.domain_spec, term.cidr4, term.cidr6) == (spec, cidr4, cidr6)


def test_ip_mechanisms_normalize_host_bits() -> None:
    term = parse_term("ip4:192.0.2.77/24")
    assert isinstance(term, Mechanism) and term.network == ipaddress.ip_network("192.0.2.0/24")
    term = parse_term("-IP6:2001:DB8::1")
    assert isinstance(term, Mechanism) and term.qualifier == "-"
    assert term.network == ipaddress.ip_network("2001:db8::1/128")


def test_modifiers() -> None:
    term = parse_term("Redirect=_spf.example.com")
    assert isinstance(term, Modifier) and (term.name, term.value) == ("redirect", "_spf.example.com")
    unknown = parse_term("moo.cow-far_out=man:dog/cat")
    assert isinstance(unknown, Modifier) and unknown.name == "moo.cow-far_out"


@pytest.mark.parametrize(
    "record",
    [
        "v=spf1 frobnicate",
        "v=spf1 ip4:192.0.2.300",
        "v=spf1 ip4:192.0.2.1/33",
        "v=spf1 ip4:192.0.2.1/024",
        "v=spf1 ip6:2001:db8::/129",
        "v=spf1 a/33",
        "v=spf1 include",
        "v=spf1 include:",
        "v=spf1 exists",
        "v=spf1 include:nodots",
        "v=spf1 include:example.123",
        "v=spf1 a:%{x}.example.com",
        "v=spf1 a:%{c}.example.com",
        "v=spf1 a:%example.com",
        "v=spf1 redirect=a.example.com redirect=b.example.com",
        "v=spf1 exp=a.example.com exp=b.example.com",
        "v=spf1 *all",
    ],
)
def test_malformed_records_are_permerrors(record: str) -> None:
    with pytest.raises(SpfSyntaxError):
        parse_spf(record)


def test_salvage_keeps_the_terms_that_parse() -> None:
    text = "v=spf1 ip4:192.0.2.1 frobnicate include:x.test redirect=a.test redirect=b.test ~all"
    assert salvage_tokens(text) == ["ip4:192.0.2.1", "include:x.test", "redirect=a.test", "~all"]


# RFC 7208 §7.4: sender strong-bad@email.example.com, IP 192.0.2.3 (and 2001:db8::cb01).
CONTEXT = MacroContext(
    "strong-bad@email.example.com", "email.example.com", ipaddress.ip_address("192.0.2.3"), "mx.example.org"
)


@pytest.mark.parametrize(
    ("macro", "expected"),
    [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
        ("%{h}", "mx.example.org"),
        ("%%%_%-", "% %20"),
        ("%{S}", "strong-bad%40email.example.com"),
    ],
)
def test_rfc_macro_examples(macro: str, expected: str) -> None:
    assert expand(macro, CONTEXT) == expected


def test_ipv6_macros() -> None:
    context = MacroContext(
        "strong-bad@email.example.com", "email.example.com", ipaddress.ip_address("2001:db8::cb01"), "h"
    )
    assert expand("%{ir}.%{v}._spf.%{d2}", context) == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
    )


def test_a_zero_digit_transformer_is_an_error() -> None:
    with pytest.raises(SpfSyntaxError):
        expand("%{d0}", CONTEXT)


def test_long_expansions_lose_labels_on_the_left() -> None:
    name = ".".join(["a" * 60] * 5) + ".example.com"
    truncated = truncate_domain(name)
    assert len(truncated) <= 253 and truncated.endswith(".example.com")
    assert truncate_domain("example.com.") == "example.com"
