"""DMARC record parsing, organizational domains, alignment and evaluation (RFC 7489)."""

from __future__ import annotations

import pytest

from postwarden.authcheck import DmarcResult, DmarcSyntaxError, evaluate_dmarc, parse_dmarc
from postwarden.authcheck.domains import aligned, organizational_domain


def test_defaults() -> None:
    record = parse_dmarc("v=DMARC1; p=quarantine")
    assert (record.p, record.sp, record.adkim, record.aspf, record.pct) == ("quarantine", None, "r", "r", 100)
    assert record.rua == () and record.warnings == ()


def test_every_tag() -> None:
    record = parse_dmarc(
        "v=DMARC1;p=Reject ; sp=none; adkim=s; aspf=S; pct=25; "
        "rua=mailto:a@example.com, mailto:b@example.net!10m; ruf=mailto:f@example.com; fo=1; unknown=x"
    )
    assert (record.p, record.sp, record.adkim, record.aspf, record.pct) == ("reject", "none", "s", "s", 25)
    assert record.rua == ("mailto:a@example.com", "mailto:b@example.net!10m")
    assert record.ruf == ("mailto:f@example.com",)


@pytest.mark.parametrize(
    "text",
    ["v=DMARC1", "v=DMARC1; p=block", "v=DMARC1; p=none; sp=bogus", "v=DMARC1; rua=not a uri"],
)
def test_no_valid_policy_and_no_rua_is_no_record(text: str) -> None:
    with pytest.raises(DmarcSyntaxError):
        parse_dmarc(text)


def test_no_valid_policy_with_rua_acts_as_p_none() -> None:
    record = parse_dmarc("v=DMARC1; p=block; sp=reject; rua=mailto:d@example.com")
    assert (record.p, record.sp) == ("none", None)
    assert record.warnings


@pytest.mark.parametrize(
    "text", ["v=dmarc1; p=reject", "p=reject; v=DMARC1", "v=DMARC2; p=none", "v=spf1 -all"]
)
def test_only_v_dmarc1_first_is_a_dmarc_record(text: str) -> None:
    with pytest.raises(DmarcSyntaxError):
        parse_dmarc(text)


def test_malformed_optional_tags_take_their_defaults() -> None:
    record = parse_dmarc("v = DMARC1 ; p=reject; pct=150; adkim=x")
    assert (record.pct, record.adkim) == (100, "r")
    assert len(record.warnings) == 2


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("example.com", "example.com"),
        ("a.b.example.com.", "example.com"),
        ("Mail.Example.COM", "example.com"),
        ("news.example.co.uk", "example.co.uk"),
        ("example.co.uk", "example.co.uk"),
        ("shop.example.com.au", "example.com.au"),
        ("x.example.co.jp", "example.co.jp"),
        ("com", "com"),
    ],
)
def test_organizational_domain(domain: str, expected: str) -> None:
    assert organizational_domain(domain) == expected


def test_alignment_modes() -> None:
    assert aligned("bounce.example.com", "example.com", "r")
    assert aligned("example.com", "news.example.com", "r")
    assert not aligned("bounce.example.com", "example.com", "s")
    assert aligned("Example.com.", "example.com", "s")
    assert not aligned("example.net", "example.com", "r")
    assert not aligned("a.co.uk", "b.co.uk", "r")  # different registrations under one public suffix
    assert not aligned(None, "example.com")


def result(text: str | None, *, inherited: bool = False, domain: str = "news.example.com") -> DmarcResult:
    name = "_dmarc.example.com" if inherited else f"_dmarc.{domain}"
    return DmarcResult(domain, "example.com", name if text else None, parse_dmarc(text) if text else None)


def test_strict_alignment_needs_the_exact_domain() -> None:
    strict = result("v=DMARC1; p=reject; adkim=s; aspf=s")
    evaluation = evaluate_dmarc(
        strict,
        dkim_domain="example.com",
        dkim_pass=True,
        mail_from_domain="b.news.example.com",
        spf_pass=True,
    )
    assert not evaluation.dkim_aligned and not evaluation.spf_aligned
    assert evaluation.disposition == "reject" and not evaluation.accepted
    relaxed = result("v=DMARC1; p=reject")
    evaluation = evaluate_dmarc(
        relaxed,
        dkim_domain="example.com",
        dkim_pass=False,
        mail_from_domain="b.news.example.com",
        spf_pass=True,
    )
    assert evaluation.spf_pass and not evaluation.dkim_pass and evaluation.passes


def test_aligned_but_unauthenticated_does_not_pass() -> None:
    evaluation = evaluate_dmarc(
        result("v=DMARC1; p=quarantine"),
        dkim_domain="news.example.com",
        dkim_pass=False,
        mail_from_domain="news.example.com",
        spf_pass=False,
    )
    assert evaluation.dkim_aligned and evaluation.spf_aligned and not evaluation.passes
    assert evaluation.disposition == "quarantine"


def test_subdomain_policy_applies_only_to_inherited_records() -> None:
    assert result("v=DMARC1; p=reject; sp=none", inherited=True).policy == "none"
    assert result("v=DMARC1; p=reject; sp=none").policy == "reject"
    assert result("v=DMARC1; p=quarantine", inherited=True).policy == "quarantine"
    assert result(None).policy is None


def test_pct_zero_applies_the_next_milder_policy() -> None:
    for text, disposition in [
        ("v=DMARC1; p=reject; pct=0", "quarantine"),
        ("v=DMARC1; p=quarantine; pct=0", "none"),
    ]:
        evaluation = evaluate_dmarc(
            result(text), dkim_domain=None, dkim_pass=False, mail_from_domain="x.test", spf_pass=False
        )
        assert evaluation.disposition == disposition
    partial = evaluate_dmarc(
        result("v=DMARC1; p=reject; pct=10"),
        dkim_domain=None,
        dkim_pass=False,
        mail_from_domain="x",
        spf_pass=False,
    )
    assert (partial.disposition, partial.pct) == ("reject", 10)
