"""The records the recommendations propose, and the resolver address setting."""

from __future__ import annotations

import pytest

from postwarden.authcheck import parse_nameserver, parse_spf, proposed_spf_record
from postwarden.authcheck.records import cname_record, txt_record


def test_a_new_record() -> None:
    assert proposed_spf_record([], ["ip4:192.0.2.1", "ip6:2001:db8::1"]) == (
        "v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 ~all"
    )
    assert (
        proposed_spf_record([], ["include:_spf.p.test"], default_all="-all")
        == "v=spf1 include:_spf.p.test -all"
    )


def test_terms_go_first_and_are_not_repeated() -> None:
    existing = "v=spf1 include:_spf.google.com +ip4:192.0.2.1 ~all"
    assert (
        proposed_spf_record([existing], ["ip4:192.0.2.1"])
        == "v=spf1 ip4:192.0.2.1 include:_spf.google.com ~all"
    )


def test_malformed_terms_are_dropped() -> None:
    assert (
        proposed_spf_record(["v=spf1 mx bogus:term -all"], ["ip4:192.0.2.1"])
        == "v=spf1 ip4:192.0.2.1 mx -all"
    )


def test_several_records_merge_with_the_strictest_all() -> None:
    merged = proposed_spf_record(
        ["v=spf1 mx ?all", "v=spf1 include:a.test mx -all exp=e.test", "v=spf1 a redirect=r.test"],
        ["ip4:192.0.2.1"],
    )
    assert merged == "v=spf1 ip4:192.0.2.1 a include:a.test mx -all exp=e.test"
    parse_spf(merged)
    only_redirect = proposed_spf_record(["v=spf1 a redirect=r.test", "v=spf1 mx"], ["ip4:192.0.2.1"])
    assert only_redirect == "v=spf1 ip4:192.0.2.1 a mx redirect=r.test"


def test_record_formatting() -> None:
    assert txt_record("example.com", "v=spf1 -all") == 'TXT example.com "v=spf1 -all"'
    long = "v=spf1 " + " ".join(f"ip4:192.0.2.{i}" for i in range(40)) + " -all"
    formatted = txt_record("example.com", long)
    strings = formatted.removeprefix("TXT example.com ").split('" "')
    assert len(long) > 510 and len(strings) == 3
    assert all(len(string.strip('"')) <= 255 for string in strings)
    assert "".join(strings).strip('"') == long
    assert (
        cname_record("t._domainkey.example.com", "t.dkim.p.test")
        == "CNAME t._domainkey.example.com t.dkim.p.test"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", None),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("192.0.2.53", ("192.0.2.53", 53)),
        ("[::1]:5353", ("::1", 5353)),
        ("[::1]", ("::1", 53)),
        ("2001:db8::53", ("2001:db8::53", 53)),
    ],
)
def test_parse_nameserver(value: str, expected: tuple[str, int] | None) -> None:
    assert parse_nameserver(value) == expected
