"""SPF, DMARC and the recommendations built on them, against a real DNS server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from postwarden.authcheck import (
    DnsTemporaryError,
    Recommendation,
    ResolverLookup,
    check_dmarc,
    check_spf,
    evaluate_dmarc,
    recommendations,
)
from tests.support.dns_server import TestDnsServer

OUR_IP = "192.0.2.10"
OUR_IP6 = "2001:db8::10"


def cnames(domain: str) -> list[tuple[str, str]]:
    """The identity's three Easy DKIM CNAME records, as (name, target)."""
    return [(f"tok{i}._domainkey.{domain}", f"tok{i}.dkim.postwarden.test") for i in (1, 2, 3)]


@pytest.fixture(scope="module")
def dns() -> Iterator[TestDnsServer]:
    with TestDnsServer() as server:
        zone = {
            # SPF pass
            "ip4.test": '"v=spf1 ip4:192.0.2.0/24 -all"',
            "inc.test": '"v=spf1 include:_spf.inc.test -all"',
            "_spf.inc.test": '"v=spf1 include:_spf2.inc.test ~all"',
            "_spf2.inc.test": '"v=spf1 ip4:198.51.100.7 " "ip6:2001:db8::/32 -all"',  # two strings, joined
            "a.test": '"v=spf1 a a:hosts.a.test/24 -all"',
            "mx.test": '"v=spf1 mx -all"',
            "redir.test": '"v=spf1 redirect=ip4.test"',
            "exists.test": '"v=spf1 exists:%{i}.allow.exists.test -all"',
            # SPF not pass
            "fail.test": '"v=spf1 ip4:203.0.113.1 -all"',
            "soft.test": '"v=spf1 ip4:203.0.113.1 ~all"',
            "nospf.test": '"google-site-verification=abc"',
            "bad.test": '"v=spf1 ip4:203.0.113.1 frobnicate -all"',
            "uninc.test": '"v=spf1 include:nospf.test -all"',
        }
        for name, value in zone.items():
            server.add(name, "TXT", value)
        server.add("multi.test", "TXT", '"v=spf1 ip4:203.0.113.1 -all"', '"v=spf1 include:ip4.test ~all"')
        server.add("a.test", "A", "192.0.2.10")
        server.add("a.test", "AAAA", "2001:db8::10")
        server.add("hosts.a.test", "A", "198.51.100.1")
        server.add("mx.test", "MX", "10 mail.mx.test.", "20 backup.mx.test.")
        server.add("mail.mx.test", "A", "203.0.113.9")
        server.add("backup.mx.test", "A", "192.0.2.10")
        server.add("192.0.2.10.allow.exists.test", "A", "127.0.0.2")  # %{i}.allow.exists.test
        # More than ten DNS-querying terms: a chain of eleven includes.
        server.add("many.test", "TXT", '"v=spf1 include:l1.many.test -all"')
        for level in range(1, 12):
            server.add(f"l{level}.many.test", "TXT", f'"v=spf1 include:l{level + 1}.many.test -all"')
        server.add("l12.many.test", "TXT", f'"v=spf1 ip4:{OUR_IP} -all"')
        server.add("first.test", "TXT", f'"v=spf1 ip4:{OUR_IP} include:l1.many.test -all"')
        # DMARC
        server.add("_dmarc.none.test", "TXT", '"v=DMARC1; p=none; rua=mailto:d@none.test"')
        server.add("_dmarc.reject.test", "TXT", '"v=DMARC1; p=reject; pct=100; rua=mailto:dmarc@reject.test"')
        server.add("_dmarc.parent.test", "TXT", '"v=DMARC1; p=reject; sp=quarantine"')
        server.add("_dmarc.twice.test", "TXT", '"v=DMARC1; p=none"', '"v=DMARC1; p=reject"')
        server.add("_dmarc.quar.test", "TXT", '"v=DMARC1; p=quarantine; aspf=s"')
        # Whole identities for the recommendations.
        server.add("bounce.good.test", "TXT", f'"v=spf1 ip4:{OUR_IP} -all"')
        server.add("_dmarc.good.test", "TXT", '"v=DMARC1; p=reject; rua=mailto:dmarc@good.test"')
        server.add("bounces.operator.test", "TXT", f'"v=spf1 ip4:{OUR_IP} ip6:{OUR_IP6} -all"')
        yield server


@pytest.fixture
def lookup(dns: TestDnsServer) -> ResolverLookup:
    return ResolverLookup(dns.address, timeout=2.0)


# --- SPF ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "ips"),
    [
        ("ip4.test", [OUR_IP, "192.0.2.200"]),
        ("inc.test", ["198.51.100.7", OUR_IP6]),
        ("a.test", [OUR_IP, OUR_IP6, "198.51.100.77"]),  # `a` and `a:hosts.a.test/24`
        ("mx.test", ["203.0.113.9", OUR_IP]),  # both MX hosts
        ("redir.test", [OUR_IP]),
        ("exists.test", [OUR_IP]),
    ],
)
async def test_spf_passes(lookup: ResolverLookup, domain: str, ips: list[str]) -> None:
    result = await check_spf(domain, ips, lookup)
    assert result.result == "pass", [ip.reason for ip in result.ips]
    assert result.passes and result.failing_ips == ()
    assert result.record is not None


async def test_spf_reports_each_ip_and_the_matching_term(lookup: ResolverLookup) -> None:
    result = await check_spf("inc.test", ["198.51.100.7", "203.0.113.50"], lookup)
    assert [ip.result for ip in result.ips] == ["pass", "fail"]
    assert result.result == "fail" and result.failing_ips == ("203.0.113.50",)
    assert result.ips[0].reason == (
        "include:_spf.inc.test in inc.test > include:_spf2.inc.test in _spf.inc.test > "
        "ip4:198.51.100.7 in _spf2.inc.test matched"
    )
    assert result.ips[0].dns_terms == 2
    assert result.ips[1].reason == "-all in inc.test matched"


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("fail.test", "fail"),
        ("soft.test", "softfail"),
        ("nospf.test", "none"),
        ("missing.test", "none"),  # NXDOMAIN
        ("multi.test", "permerror"),
        ("bad.test", "permerror"),
        ("uninc.test", "permerror"),  # include of a domain without SPF
        ("exists.test", "fail"),
    ],
)
async def test_spf_does_not_pass(lookup: ResolverLookup, domain: str, expected: str) -> None:
    result = await check_spf(domain, ["203.0.113.77"], lookup)
    assert result.result == expected, result.reason


async def test_multiple_spf_records_are_all_reported(lookup: ResolverLookup) -> None:
    result = await check_spf("multi.test", [OUR_IP], lookup)
    assert len(result.records) == 2 and result.record is None
    assert "2 SPF records" in result.reason


async def test_more_than_ten_dns_lookups_is_a_permerror(lookup: ResolverLookup) -> None:
    result = await check_spf("many.test", [OUR_IP], lookup)
    assert result.result == "permerror"
    assert "more than 10" in result.reason
    assert result.ips[0].dns_terms == 11
    # Evaluation is left to right: an IP listed before the lookups passes.
    assert (await check_spf("first.test", [OUR_IP], lookup)).result == "pass"


async def test_a_dead_resolver_is_a_temporary_error_not_a_verdict() -> None:
    dead = ResolverLookup("127.0.0.1:9", timeout=0.5)
    result = await check_spf("ip4.test", [OUR_IP], dead)
    assert result.result == "temperror"
    assert "ip4.test" in result.reason
    with pytest.raises(DnsTemporaryError):
        await dead.txt("ip4.test")
    with pytest.raises(DnsTemporaryError):
        await check_dmarc("reject.test", dead)
    with pytest.raises(DnsTemporaryError):
        await recommendations(
            "good.test",
            sending_ips=[OUR_IP],
            mail_from_domain="bounce.good.test",
            dkim_domain="good.test",
            dkim_verified=True,
            lookup=dead,
        )


async def test_the_seam_joins_strings_and_answers_none_for_nothing(lookup: ResolverLookup) -> None:
    assert await lookup.txt("_spf2.inc.test") == ["v=spf1 ip4:198.51.100.7 ip6:2001:db8::/32 -all"]
    assert await lookup.txt("missing.test") is None
    assert await lookup.txt("mail.mx.test") is None  # the name exists, without TXT
    assert sorted(await lookup.addresses("a.test") or []) == ["192.0.2.10", "2001:db8::10"]
    assert await lookup.addresses("nospf.test") is None
    assert await lookup.mx("mx.test") == ["mail.mx.test", "backup.mx.test"]
    assert await lookup.mx("missing.test") is None


# --- DMARC -------------------------------------------------------------------------------------------


async def test_dmarc_missing(lookup: ResolverLookup) -> None:
    result = await check_dmarc("nodmarc.test", lookup)
    assert result.record is None and result.policy is None and result.error is None
    evaluation = evaluate_dmarc(
        result, dkim_domain="nodmarc.test", dkim_pass=False, mail_from_domain="x.test", spf_pass=False
    )
    assert not evaluation.passes and evaluation.accepted


async def test_dmarc_p_none(lookup: ResolverLookup) -> None:
    result = await check_dmarc("none.test", lookup)
    assert result.record_name == "_dmarc.none.test" and result.policy == "none"
    assert result.record is not None and result.record.rua == ("mailto:d@none.test",)
    evaluation = evaluate_dmarc(
        result,
        dkim_domain="operator.test",
        dkim_pass=True,
        mail_from_domain="bounces.operator.test",
        spf_pass=True,
    )
    assert not evaluation.passes and evaluation.accepted and evaluation.disposition == "none"


async def test_dmarc_reject_passes_with_aligned_dkim(lookup: ResolverLookup) -> None:
    result = await check_dmarc("reject.test", lookup)
    assert result.policy == "reject" and result.record is not None and result.record.pct == 100
    evaluation = evaluate_dmarc(
        result,
        dkim_domain="reject.test",
        dkim_pass=True,
        mail_from_domain="bounces.operator.test",
        spf_pass=True,
    )
    assert evaluation.dkim_aligned and evaluation.dkim_pass
    assert not evaluation.spf_aligned and not evaluation.spf_pass
    assert evaluation.passes and evaluation.accepted


async def test_dmarc_reject_misaligned_is_refused(lookup: ResolverLookup) -> None:
    result = await check_dmarc("reject.test", lookup)
    evaluation = evaluate_dmarc(
        result,
        dkim_domain="operator.test",
        dkim_pass=True,
        mail_from_domain="bounces.operator.test",
        spf_pass=True,
    )
    assert not evaluation.dkim_aligned and not evaluation.spf_aligned
    assert not evaluation.passes and not evaluation.accepted
    assert evaluation.disposition == "reject"


async def test_dmarc_falls_back_to_the_organizational_domain(lookup: ResolverLookup) -> None:
    result = await check_dmarc("news.mail.parent.test", lookup)
    assert result.organizational_domain == "parent.test"
    assert result.record_name == "_dmarc.parent.test" and result.inherited
    assert result.policy == "quarantine"  # sp= applies to subdomains
    own = await check_dmarc("parent.test", lookup)
    assert not own.inherited and own.policy == "reject"
    evaluation = evaluate_dmarc(
        result,
        dkim_domain="parent.test",  # relaxed: same organizational domain
        dkim_pass=True,
        mail_from_domain="bounces.operator.test",
        spf_pass=True,
    )
    assert evaluation.passes


async def test_two_dmarc_records_mean_no_policy(lookup: ResolverLookup) -> None:
    result = await check_dmarc("twice.test", lookup)
    assert result.record is None and result.policy is None
    assert result.error == "_dmarc.twice.test has 2 DMARC records"


# --- Recommendations ---------------------------------------------------------------------------------


async def recs(lookup: ResolverLookup, domain: str, **overrides: object) -> dict[str, Recommendation]:
    arguments: dict[str, object] = {
        "sending_ips": [OUR_IP],
        "mail_from_domain": f"bounce.{domain}",
        "dkim_domain": domain,
        "dkim_verified": True,
        "lookup": lookup,
        "dkim_cnames": cnames(domain),
    }
    arguments.update(overrides)
    found = await recommendations(domain, **arguments)  # type: ignore[arg-type]
    assert [r.type for r in found] == ["DKIM", "SPF", "DMARC"]
    return {r.type: r for r in found}


async def test_everything_in_place_is_fixed(lookup: ResolverLookup) -> None:
    found = await recs(lookup, "good.test")
    assert {(r.status, r.impact) for r in found.values()} == {("FIXED", "LOW")}
    assert "d=good.test" in found["DKIM"].description
    assert "bounce.good.test" in found["SPF"].description
    assert found["DMARC"].description == (
        "Mail from good.test passes DMARC under _dmarc.good.test (p=reject) through DKIM (d=good.test) "
        "and SPF (MAIL FROM bounce.good.test), aligned with good.test."
    )


async def test_missing_dkim_names_the_three_cnames(lookup: ResolverLookup) -> None:
    found = await recs(lookup, "good.test", dkim_verified=False)
    dkim = found["DKIM"]
    assert (dkim.status, dkim.impact) == ("OPEN", "HIGH")
    assert (
        "Publish the DKIM records CNAME tok1._domainkey.good.test tok1.dkim.postwarden.test, "
        "CNAME tok2._domainkey.good.test tok2.dkim.postwarden.test and "
        "CNAME tok3._domainkey.good.test tok3.dkim.postwarden.test, so that mail is signed with d=good.test."
    ) in dkim.description
    assert found["DMARC"].status == "FIXED"  # SPF still aligns and passes


async def test_missing_dmarc_says_which_record_to_publish(lookup: ResolverLookup) -> None:
    found = await recs(lookup, "nodmarc.test", mail_from_domain="bounces.operator.test")
    dmarc = found["DMARC"]
    assert (dmarc.status, dmarc.impact) == ("OPEN", "LOW")
    assert 'TXT _dmarc.nodmarc.test "v=DMARC1; p=none; rua=mailto:dmarc@nodmarc.test"' in dmarc.description
    rua = await recs(lookup, "nodmarc.test", dmarc_rua="mailto:reports@dmarc.example")
    assert 'TXT _dmarc.nodmarc.test "v=DMARC1; p=none; rua=mailto:reports@dmarc.example"' in (
        rua["DMARC"].description
    )


async def test_p_none_misaligned_is_a_low_improvement(lookup: ResolverLookup) -> None:
    found = await recs(
        lookup, "none.test", dkim_domain="operator.test", mail_from_domain="bounces.operator.test"
    )
    dmarc = found["DMARC"]
    assert (dmarc.status, dmarc.impact) == ("OPEN", "LOW")
    assert "CNAME tok1._domainkey.none.test tok1.dkim.postwarden.test" in dmarc.description
    assert 'TXT bounce.none.test "v=spf1 ip4:192.0.2.10 -all"' in dmarc.description
    assert found["DKIM"].impact == "HIGH"  # signed with an unaligned d=
    spf = found["SPF"]
    assert (spf.status, spf.impact) == ("OPEN", "LOW")  # passes for the operator's domain, unaligned
    assert 'TXT bounce.none.test "v=spf1 ip4:192.0.2.10 -all"' in spf.description


async def test_p_reject_misaligned_is_high(lookup: ResolverLookup) -> None:
    found = await recs(
        lookup,
        "reject.test",
        dkim_domain="operator.test",
        mail_from_domain="bounces.operator.test",
        sending_ips=[OUR_IP, OUR_IP6],
    )
    dmarc = found["DMARC"]
    assert (dmarc.status, dmarc.impact) == ("OPEN", "HIGH")
    assert "receivers will reject it under _dmarc.reject.test (p=reject)" in dmarc.description
    assert "DKIM d=operator.test does not align with reject.test" in dmarc.description
    assert "CNAME tok2._domainkey.reject.test tok2.dkim.postwarden.test" in dmarc.description
    assert 'TXT bounce.reject.test "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all"' in dmarc.description


async def test_p_reject_with_aligned_dkim_is_fixed(lookup: ResolverLookup) -> None:
    found = await recs(lookup, "reject.test", mail_from_domain="bounces.operator.test")
    assert found["DMARC"].status == "FIXED" and found["DKIM"].status == "FIXED"


async def test_strict_spf_alignment_offers_no_mail_from_subdomain(lookup: ResolverLookup) -> None:
    found = await recs(lookup, "quar.test", dkim_verified=False, mail_from_domain="bounces.operator.test")
    dmarc = found["DMARC"]
    assert (dmarc.status, dmarc.impact) == ("OPEN", "HIGH")
    assert "will quarantine it" in dmarc.description
    assert "custom MAIL FROM" not in dmarc.description


async def test_subdomain_identity_under_an_inherited_policy(lookup: ResolverLookup) -> None:
    found = await recs(
        lookup, "news.parent.test", dkim_domain="operator.test", mail_from_domain="bounces.operator.test"
    )
    assert "receivers will quarantine it under _dmarc.parent.test (p=reject, sp=quarantine)" in (
        found["DMARC"].description
    )


async def test_spf_none_asks_for_a_full_record(lookup: ResolverLookup) -> None:
    found = await recs(lookup, "nospf.test", mail_from_domain="nospf.test", sending_ips=[OUR_IP, OUR_IP6])
    spf = found["SPF"]
    assert (spf.status, spf.impact) == ("OPEN", "LOW")
    assert 'Publish an SPF record: TXT nospf.test "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 ~all".' in (
        spf.description
    )
    include = await recs(
        lookup, "nospf.test", mail_from_domain="nospf.test", spf_include="_spf.postwarden.test"
    )
    assert 'TXT nospf.test "v=spf1 include:_spf.postwarden.test ~all"' in include["SPF"].description


async def test_spf_fail_says_what_to_add_to_the_existing_record(lookup: ResolverLookup) -> None:
    found = await recs(lookup, "fail.test", mail_from_domain="fail.test")
    spf = found["SPF"]
    assert (spf.status, spf.impact) == ("OPEN", "HIGH")
    assert (
        'Add ip4:192.0.2.10 to its SPF record: TXT fail.test "v=spf1 ip4:192.0.2.10 ip4:203.0.113.1 -all".'
    ) in spf.description


async def test_spf_softfail_is_low(lookup: ResolverLookup) -> None:
    spf = (await recs(lookup, "soft.test", mail_from_domain="soft.test"))["SPF"]
    assert (spf.status, spf.impact) == ("OPEN", "LOW")
    assert 'TXT soft.test "v=spf1 ip4:192.0.2.10 ip4:203.0.113.1 ~all"' in spf.description


async def test_multiple_spf_records_are_merged_into_one(lookup: ResolverLookup) -> None:
    spf = (await recs(lookup, "multi.test", mail_from_domain="multi.test"))["SPF"]
    assert (spf.status, spf.impact) == ("OPEN", "HIGH")
    assert (
        "Replace them with one record: "
        'TXT multi.test "v=spf1 ip4:192.0.2.10 include:ip4.test ip4:203.0.113.1 -all".'
    ) in spf.description


async def test_invalid_spf_record_is_repaired(lookup: ResolverLookup) -> None:
    spf = (await recs(lookup, "bad.test", mail_from_domain="bad.test"))["SPF"]
    assert (spf.status, spf.impact) == ("OPEN", "HIGH")
    assert "frobnicate" in spf.description
    assert 'Replace it with: TXT bad.test "v=spf1 ip4:192.0.2.10 ip4:203.0.113.1 -all".' in spf.description


async def test_too_many_lookups_puts_the_sending_ips_first(lookup: ResolverLookup) -> None:
    spf = (await recs(lookup, "many.test", mail_from_domain="many.test"))["SPF"]
    assert (spf.status, spf.impact) == ("OPEN", "HIGH")
    assert 'TXT many.test "v=spf1 ip4:192.0.2.10 include:l1.many.test -all"' in spf.description


async def test_aligned_mail_from_without_spf_is_offered_the_spf_record(lookup: ResolverLookup) -> None:
    found = await recs(lookup, "reject.test", dkim_verified=False)  # MAIL FROM bounce.reject.test
    dmarc = found["DMARC"]
    assert (dmarc.status, dmarc.impact) == ("OPEN", "HIGH")
    assert "SPF gives none for the MAIL FROM domain bounce.reject.test" in dmarc.description
    assert (
        'make SPF pass by publishing TXT bounce.reject.test "v=spf1 ip4:192.0.2.10 -all"' in dmarc.description
    )
    spf = found["SPF"]
    assert 'Publish an SPF record: TXT bounce.reject.test "v=spf1 ip4:192.0.2.10 -all".' in spf.description
