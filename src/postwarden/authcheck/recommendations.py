"""What a sender should publish for DKIM, SPF and DMARC: one `Recommendation` per type, as SES's
`ListRecommendations` reports them, each description naming the exact DNS records to publish.

What is checked:
- DKIM: `dkim_verified` (the identity's Easy DKIM CNAMEs resolve) and the signing domain `d=` aligning
  with the identity (relaxed). FIXED when both hold.
- SPF: `check_spf` on the MAIL FROM domain actually used (a custom MAIL FROM subdomain, or the operator's
  VERP bounce domain) for every sending IP. FIXED when every IP passes and that domain is within the
  identity's organizational domain (so SPF can align for DMARC).
- DMARC: `check_dmarc` on the identity, evaluated with DKIM passing iff `dkim_verified` and SPF passing iff
  every sending IP passes. FIXED when a usable record exists and the mail passes it.

Impact of an OPEN recommendation:
- HIGH: DKIM not verified or not aligned; SPF `fail` or `permerror` (receivers may refuse on those alone);
  DMARC failing under an enforced policy (`p`/`sp` quarantine or reject: mail is junked or refused).
- LOW: improvements that change nothing delivered today: no DMARC record or an unusable one (publishing
  `p=none` is the step), DMARC failing under `p=none`, SPF `none`/`softfail`/`neutral`, and SPF passing
  for a MAIL FROM outside the identity's domain (unaligned).
A FIXED recommendation has impact LOW.

Records proposed:
- SPF: the sending IPs as `ip4:`/`ip6:` terms, or `include:<spf_include>` when the operator publishes one
  for its fleet. An existing record keeps its terms (malformed ones dropped, several records merged into
  one) with ours first, so they match before any lookup-hungry term; a new record ends in `-all` on a
  dedicated MAIL FROM subdomain and `~all` on the identity domain itself, which may send from elsewhere.
- DMARC: `v=DMARC1; p=none; rua=<dmarc_rua>` at `_dmarc.<identity>` (rua defaults to
  `mailto:dmarc@<identity>`).
- A custom MAIL FROM domain, when suggested, is `bounce.<identity>`.

A temporary DNS failure in any check raises `DnsTemporaryError`: the caller keeps its previous state.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from postwarden.authcheck.dmarc import DmarcEvaluation, DmarcResult, check_dmarc, evaluate_dmarc
from postwarden.authcheck.domains import aligned, normalize
from postwarden.authcheck.errors import DnsTemporaryError
from postwarden.authcheck.lookup import DnsLookup
from postwarden.authcheck.records import cname_record, proposed_spf_record, txt_record
from postwarden.authcheck.spf import SpfResult, check_spf
from postwarden.authcheck.spf_record import SpfSyntaxError, parse_spf

RecommendationType = Literal["DKIM", "DMARC", "SPF"]
Impact = Literal["HIGH", "LOW"]
Status = Literal["OPEN", "FIXED"]

CUSTOM_MAIL_FROM_LABEL = "bounce"


@dataclass(frozen=True, slots=True)
class Recommendation:
    type: RecommendationType
    impact: Impact
    status: Status
    description: str


@dataclass(frozen=True, slots=True)
class Assessment:
    domain: str
    spf: SpfResult
    dmarc: DmarcResult
    evaluation: DmarcEvaluation
    recommendations: tuple[Recommendation, ...]  # DKIM, SPF, DMARC


async def recommendations(
    domain: str,
    *,
    sending_ips: Sequence[str],
    mail_from_domain: str,
    dkim_domain: str | None,
    dkim_verified: bool,
    lookup: DnsLookup,
    dkim_cnames: Sequence[tuple[str, str]] = (),
    spf_include: str | None = None,
    dmarc_rua: str | None = None,
) -> list[Recommendation]:
    """DKIM, SPF and DMARC recommendations for an identity (see `assess`)."""
    assessment = await assess(
        domain,
        sending_ips=sending_ips,
        mail_from_domain=mail_from_domain,
        dkim_domain=dkim_domain,
        dkim_verified=dkim_verified,
        lookup=lookup,
        dkim_cnames=dkim_cnames,
        spf_include=spf_include,
        dmarc_rua=dmarc_rua,
    )
    return list(assessment.recommendations)


async def assess(
    domain: str,
    *,
    sending_ips: Sequence[str],
    mail_from_domain: str,
    dkim_domain: str | None,
    dkim_verified: bool,
    lookup: DnsLookup,
    dkim_cnames: Sequence[tuple[str, str]] = (),
    spf_include: str | None = None,
    dmarc_rua: str | None = None,
) -> Assessment:
    """Check SPF (on `mail_from_domain`) and DMARC (on `domain`) and say what to publish.

    `dkim_cnames` are the identity's Easy DKIM records as (name, target), e.g.
    `("tok._domainkey.example.com", "tok.dkim.postwarden.example")`. Raises DnsTemporaryError.
    """
    domain = normalize(domain)
    mail_from = normalize(mail_from_domain)
    spf = await check_spf(mail_from, sending_ips, lookup)
    if spf.result == "temperror":
        raise DnsTemporaryError(spf.reason)
    dmarc = await check_dmarc(domain, lookup)
    evaluation = evaluate_dmarc(
        dmarc,
        dkim_domain=dkim_domain,
        dkim_pass=dkim_verified,
        mail_from_domain=mail_from,
        spf_pass=spf.passes,
    )
    facts = _Facts(
        domain, mail_from, dkim_domain, dkim_verified, tuple(dkim_cnames), spf_include, spf, dmarc, evaluation
    )
    rua = dmarc_rua or f"mailto:dmarc@{domain}"
    return Assessment(domain, spf, dmarc, evaluation, (_dkim(facts), _spf(facts), _dmarc(facts, rua)))


@dataclass(frozen=True, slots=True)
class _Facts:
    domain: str
    mail_from: str
    dkim_domain: str | None
    dkim_verified: bool
    dkim_cnames: tuple[tuple[str, str], ...]
    spf_include: str | None
    spf: SpfResult
    dmarc: DmarcResult
    evaluation: DmarcEvaluation

    @property
    def custom_mail_from(self) -> str:
        return f"{CUSTOM_MAIL_FROM_LABEL}.{self.domain}"

    def spf_terms(self, ips: Sequence[str]) -> list[str]:
        if self.spf_include:
            return [f"include:{self.spf_include}"]
        return [f"ip{ipaddress.ip_address(ip).version}:{ipaddress.ip_address(ip)}" for ip in ips]

    @property
    def missing_spf_terms(self) -> list[str]:
        """What the MAIL FROM domain's SPF record lacks: the failing IPs (all of them without a record)."""
        spf = self.spf
        return self.spf_terms(spf.failing_ips if spf.records else [ip.ip for ip in spf.ips])

    @property
    def proposed_spf(self) -> str:
        """The TXT record to publish at the MAIL FROM domain so that every sending IP passes."""
        default_all = "~all" if self.mail_from == self.domain else "-all"
        value = proposed_spf_record(self.spf.records, self.missing_spf_terms, default_all=default_all)
        return txt_record(self.mail_from, value)


def _dkim(facts: _Facts) -> Recommendation:
    domain, signer = facts.domain, facts.dkim_domain
    is_aligned = aligned(signer, domain)
    if facts.dkim_verified and is_aligned:
        return Recommendation(
            "DKIM", "LOW", "FIXED", f"DKIM is verified: mail from {domain} is signed with d={signer}."
        )
    publish = _dkim_fix(facts)
    if not facts.dkim_verified:
        problem = f"DKIM for {domain} is not verified: its DKIM CNAME records are missing or wrong."
    else:
        problem = (
            f"Mail from {domain} is signed with d={signer or '(nothing)'}, which does not align with "
            f"{domain}, so DKIM does not count toward DMARC."
        )
    return Recommendation("DKIM", "HIGH", "OPEN", f"{problem} {publish[0].upper()}{publish[1:]}.")


def _dkim_fix(facts: _Facts) -> str:
    if facts.dkim_cnames:
        records = [cname_record(name, target) for name, target in facts.dkim_cnames]
        return f"publish the DKIM records {_join(records)}, so that mail is signed with d={facts.domain}"
    return (
        f"enable Easy DKIM for {facts.domain} (PutEmailIdentityDkimAttributes, SigningEnabled=true) and "
        f"publish the three CNAME records <token>._domainkey.{facts.domain} listed in GetEmailIdentity's "
        "DkimAttributes"
    )


def _spf(facts: _Facts) -> Recommendation:
    spf, mail_from, domain = facts.spf, facts.mail_from, facts.domain
    is_aligned = aligned(mail_from, domain)
    if spf.passes:
        if is_aligned:
            text = (
                f"SPF passes for every sending IP with the MAIL FROM domain {mail_from}, which aligns with "
                f"{domain}."
            )
            return Recommendation("SPF", "LOW", "FIXED", text)
        text = (
            f"SPF passes for the MAIL FROM domain {mail_from}, but it is not within {domain}, so SPF does "
            f"not count toward DMARC for {domain}. To align it, set up the custom MAIL FROM domain "
            f"{facts.custom_mail_from} and publish {_custom_mail_from_spf(facts)}."
        )
        return Recommendation("SPF", "LOW", "OPEN", text)
    impact: Impact = "HIGH" if spf.result in ("fail", "permerror") else "LOW"
    ips, terms, record = spf.failing_ips, facts.missing_spf_terms, facts.proposed_spf
    if not spf.records:
        text = (
            f"{mail_from} publishes no SPF record, so receivers get SPF none for mail from {_join(ips)}. "
            f"Publish an SPF record: {record}."
        )
    elif len(spf.records) > 1:
        text = (
            f"{mail_from} publishes {len(spf.records)} SPF records, so receivers get SPF permerror. "
            f"Replace them with one record: {record}."
        )
    elif _syntax_error(spf.records[0]):
        text = (
            f"The SPF record of {mail_from} is invalid ({_syntax_error(spf.records[0])}), so receivers get "
            f"SPF permerror. Replace it with: {record}."
        )
    elif spf.result == "permerror":
        text = (
            f"The SPF record of {mail_from} gives permerror for {_join(ips)} ({spf.reason}). Replace it with "
            f"this record, which lists {_join(terms)} first: {record}."
        )
    else:
        text = (
            f"SPF gives {spf.result} for {_join(ips)} with the MAIL FROM domain {mail_from} ({spf.reason}). "
            f"Add {_join(terms)} to its SPF record: {record}."
        )
    return Recommendation("SPF", impact, "OPEN", text)


def _custom_mail_from_spf(facts: _Facts) -> str:
    terms = facts.spf_terms([ip.ip for ip in facts.spf.ips])
    return txt_record(facts.custom_mail_from, " ".join(["v=spf1", *terms, "-all"]))


def _syntax_error(record: str) -> str | None:
    try:
        parse_spf(record)
    except SpfSyntaxError as error:
        return str(error)
    return None


def _dmarc(facts: _Facts, rua: str) -> Recommendation:
    domain, dmarc, evaluation = facts.domain, facts.dmarc, facts.evaluation
    if dmarc.record is None:
        name = dmarc.record_name or f"_dmarc.{domain}"
        record = txt_record(name, f"v=DMARC1; p=none; rua={rua}")
        if dmarc.error:
            text = (
                f"The DMARC record at {name} is unusable ({dmarc.error}), so no DMARC policy applies to "
                f"{domain}. Replace it with one record: {record}."
            )
        else:
            looked = f"_dmarc.{domain}" + (
                f" or _dmarc.{dmarc.organizational_domain}" if dmarc.organizational_domain != domain else ""
            )
            text = f"{domain} has no DMARC record (none at {looked}). Publish a DMARC record: {record}."
        return Recommendation("DMARC", "LOW", "OPEN", text)
    where = f"{dmarc.record_name} (p={dmarc.record.p}" + (
        f", sp={dmarc.record.sp})" if dmarc.record.sp else ")"
    )
    if evaluation.passes:
        how = " and ".join(
            part
            for part, ok in (
                (f"DKIM (d={facts.dkim_domain})", evaluation.dkim_pass),
                (f"SPF (MAIL FROM {facts.mail_from})", evaluation.spf_pass),
            )
            if ok
        )
        text = f"Mail from {domain} passes DMARC under {where} through {how}, aligned with {domain}."
        return Recommendation("DMARC", "LOW", "FIXED", text)
    why = _why_dmarc_fails(facts)
    fixes = _join(_dmarc_fixes(facts), last="; or ")
    if evaluation.accepted:
        text = (
            f"Mail from {domain} fails DMARC: {why}. The policy at {where} only monitors, so it is still "
            f"delivered, but it would be refused under quarantine or reject. To align it, {fixes}."
        )
        return Recommendation("DMARC", "LOW", "OPEN", text)
    text = (
        f"Mail from {domain} fails DMARC and receivers will {evaluation.disposition} it under {where}: "
        f"{why}. To align it, {fixes}."
    )
    return Recommendation("DMARC", "HIGH", "OPEN", text)


def _why_dmarc_fails(facts: _Facts) -> str:
    evaluation = facts.evaluation
    signer = facts.dkim_domain or "(nothing)"
    if not evaluation.dkim_aligned:
        dkim = f"DKIM d={signer} does not align with {facts.domain}"
    else:
        dkim = f"DKIM d={signer} is not verified"
    if not evaluation.spf_aligned:
        spf = f"the MAIL FROM domain {facts.mail_from} does not align"
    else:
        spf = f"SPF gives {facts.spf.result} for the MAIL FROM domain {facts.mail_from}"
    return f"{dkim}, and {spf}"


def _dmarc_fixes(facts: _Facts) -> list[str]:
    fixes = [_dkim_fix(facts)]
    record = facts.dmarc.record
    strict_spf = record is not None and record.aspf == "s"
    if facts.evaluation.spf_aligned:
        fixes.append(f"make SPF pass by publishing {facts.proposed_spf}")
    elif not strict_spf:
        fixes.append(
            f"set up the custom MAIL FROM domain {facts.custom_mail_from} and publish "
            f"{_custom_mail_from_spf(facts)}"
        )
    return fixes


def _join(items: Sequence[str], last: str = " and ") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + last + items[-1]
