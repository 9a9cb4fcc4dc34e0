"""DMARC (RFC 7489): the policy record of a From domain, and whether Postwarden's mail would pass it.

Discovery (§6.6.3): `_dmarc.<domain>`; when that holds no DMARC record, `_dmarc.<organizational domain>`
(see `domains.organizational_domain`). Several DMARC records at the name that answered mean no policy.
A record without a valid `p` (or with an invalid `sp`) counts as `p=none` when it has a `rua` URI, and as
no record otherwise; other malformed tags take their defaults. A temporary DNS failure is raised as
`DnsTemporaryError`: there is no verdict to give.

Evaluation (§3.1, §4.2): DMARC passes when DKIM passes with a signing domain (`d=`) aligned with the From
domain, or SPF passes with a MAIL FROM domain aligned with it; relaxed alignment (`r`, the default) means the
same organizational domain, strict (`s`) the same name. A failing message gets the policy: `p` when the
record is the From domain's own, `sp` (else `p`) when it came from the organizational domain. With
`pct` below 100 only that share of failing mail gets the policy, the rest the next milder one (§6.6.4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from postwarden.authcheck.domains import AlignmentMode, aligned, normalize, organizational_domain
from postwarden.authcheck.errors import AuthCheckError
from postwarden.authcheck.lookup import TxtLookup

Policy = Literal["none", "quarantine", "reject"]

_VERSION = re.compile(r"v\s*=\s*DMARC1\s*(?:;|$)", re.ASCII)  # DMARC1 is case-sensitive (§6.4)
_POLICIES: dict[str, Policy] = {"none": "none", "quarantine": "quarantine", "reject": "reject"}
_MODES: dict[str, AlignmentMode] = {"r": "r", "s": "s"}
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")


class DmarcSyntaxError(AuthCheckError):
    """Not a usable DMARC record: receivers apply no DMARC policy."""


@dataclass(frozen=True, slots=True)
class DmarcRecord:
    text: str
    p: Policy
    sp: Policy | None = None
    adkim: AlignmentMode = "r"
    aspf: AlignmentMode = "r"
    pct: int = 100
    rua: tuple[str, ...] = ()
    ruf: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # tags that were malformed and fell back to their defaults


def is_dmarc_record(txt: str) -> bool:
    return _VERSION.match(txt.strip()) is not None


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse one `v=DMARC1` record, with the fallbacks of §6.3 and §6.6.3 step 6."""
    if not is_dmarc_record(text):
        raise DmarcSyntaxError(f"not a DMARC record: {text!r}")
    tags: dict[str, str] = {}
    for part in text.split(";")[1:]:
        name, equals, value = part.partition("=")
        if equals and name.strip():
            tags.setdefault(name.strip().lower(), value.strip())
    warnings: list[str] = []
    rua = _uris(tags.get("rua"))
    ruf = _uris(tags.get("ruf"))
    p = _POLICIES.get(tags.get("p", "").lower())
    sp = _POLICIES.get(tags["sp"].lower()) if "sp" in tags else None
    if p is None or ("sp" in tags and sp is None):
        if not rua:
            raise DmarcSyntaxError(f"the DMARC record has no valid p= (nor sp=) and no rua=: {text!r}")
        warnings.append("invalid or missing p= or sp=: treated as p=none because rua= is present")
        p, sp = "none", None
    adkim = _mode(tags, "adkim", warnings)
    aspf = _mode(tags, "aspf", warnings)
    pct = 100
    if "pct" in tags:
        if tags["pct"].isdigit() and int(tags["pct"]) <= 100:
            pct = int(tags["pct"])
        else:
            warnings.append(f"invalid pct={tags['pct']}: 100 is used")
    return DmarcRecord(text, p, sp, adkim, aspf, pct, rua, ruf, tuple(warnings))


def _mode(tags: dict[str, str], name: str, warnings: list[str]) -> AlignmentMode:
    mode = _MODES.get(tags.get(name, "r").lower())
    if mode is not None:
        return mode
    warnings.append(f"invalid {name}={tags[name]}: relaxed alignment is used")
    return "r"


def _uris(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(uri for uri in (part.strip() for part in value.split(",")) if _URI.fullmatch(uri))


@dataclass(frozen=True, slots=True)
class DmarcResult:
    domain: str  # the From domain asked about
    organizational_domain: str
    record_name: str | None  # `_dmarc.<domain>` or `_dmarc.<organizational domain>`, where a record was found
    record: DmarcRecord | None  # None: no usable record, so no DMARC policy applies
    error: str | None = None  # why a record that exists is unusable (several records, no p= nor rua=)

    @property
    def inherited(self) -> bool:
        """The policy comes from the organizational domain's record, not the domain's own."""
        return self.record_name is not None and self.record_name != f"_dmarc.{self.domain}"

    @property
    def policy(self) -> Policy | None:
        """The policy for mail from `domain` that fails DMARC; None when no DMARC policy applies."""
        if self.record is None:
            return None
        if self.inherited and self.record.sp is not None:
            return self.record.sp
        return self.record.p


async def check_dmarc(domain: str, lookup: TxtLookup) -> DmarcResult:
    """Find and parse the DMARC record that governs `domain`. Raises DnsTemporaryError."""
    domain = normalize(domain)
    organizational = organizational_domain(domain)
    names = [f"_dmarc.{domain}"] + ([f"_dmarc.{organizational}"] if organizational != domain else [])
    for name in names:
        records = [txt for txt in await lookup.txt(name) or () if is_dmarc_record(txt)]
        if not records:
            continue
        if len(records) > 1:
            return DmarcResult(domain, organizational, name, None, f"{name} has {len(records)} DMARC records")
        try:
            return DmarcResult(domain, organizational, name, parse_dmarc(records[0]))
        except DmarcSyntaxError as error:
            return DmarcResult(domain, organizational, name, None, str(error))
    return DmarcResult(domain, organizational, None, None)


Disposition = Literal["none", "quarantine", "reject"]


@dataclass(frozen=True, slots=True)
class DmarcEvaluation:
    policy: Policy | None
    dkim_aligned: bool  # the d= domain aligns with the From domain (under adkim)
    spf_aligned: bool  # the MAIL FROM domain aligns with the From domain (under aspf)
    dkim_pass: bool  # aligned and DKIM passes
    spf_pass: bool  # aligned and SPF passes
    disposition: Disposition  # what an enforcing receiver does with the mail (the `pct` share of it)
    pct: int

    @property
    def passes(self) -> bool:
        return self.dkim_pass or self.spf_pass

    @property
    def accepted(self) -> bool:
        """A receiver enforcing the published policy delivers the mail normally."""
        return self.disposition == "none"


def evaluate_dmarc(
    result: DmarcResult,
    *,
    dkim_domain: str | None,
    dkim_pass: bool,
    mail_from_domain: str | None,
    spf_pass: bool,
) -> DmarcEvaluation:
    """Alignment and outcome for mail signed with `d=dkim_domain` and sent with `MAIL FROM` in
    `mail_from_domain`, given whether DKIM and SPF themselves pass. Without a record, alignment is judged
    relaxed (what a later record would most likely say) and the disposition is `none`."""
    record = result.record
    adkim: AlignmentMode = record.adkim if record else "r"
    aspf: AlignmentMode = record.aspf if record else "r"
    dkim_aligned = aligned(dkim_domain, result.domain, adkim)
    spf_aligned = aligned(mail_from_domain, result.domain, aspf)
    dkim_ok = dkim_aligned and dkim_pass
    spf_ok = spf_aligned and spf_pass
    policy = result.policy
    disposition: Disposition = "none" if dkim_ok or spf_ok or policy is None else policy
    if disposition != "none" and record is not None and record.pct == 0:
        disposition = "quarantine" if disposition == "reject" else "none"
    return DmarcEvaluation(
        policy, dkim_aligned, spf_aligned, dkim_ok, spf_ok, disposition, record.pct if record else 100
    )
