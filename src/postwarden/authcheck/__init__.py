"""Is a sending domain's SPF and DMARC right for mail sent through Postwarden, and what should be published?

- `check_spf(domain, sending_ips, lookup)`: RFC 7208 evaluation of the MAIL FROM domain for each sending IP.
- `check_dmarc(domain, lookup)` and `evaluate_dmarc(...)`: RFC 7489 discovery, parsing and alignment.
- `recommendations(...)` / `assess(...)`: one DKIM, SPF and DMARC `Recommendation` each, as SES's
  `ListRecommendations` reports them, naming the exact records to publish.
- `ResolverLookup`: the DNS seam (`TxtLookup`, `DnsLookup`) on dnspython, on a configured `host:port`.

The evaluators are written here rather than taken from pyspf or checkdmarc: both are synchronous and ask the
DNS through dnspython's module-level resolver or a list of nameserver addresses (no port), so they could not
run on the asyncio resolver these checks are given (and tested against).
"""

from postwarden.authcheck.dmarc import (
    DmarcEvaluation,
    DmarcRecord,
    DmarcResult,
    DmarcSyntaxError,
    Policy,
    check_dmarc,
    evaluate_dmarc,
    parse_dmarc,
)
from postwarden.authcheck.domains import aligned, organizational_domain
from postwarden.authcheck.errors import AuthCheckError, DnsTemporaryError
from postwarden.authcheck.lookup import DnsLookup, ResolverLookup, TxtLookup, parse_nameserver
from postwarden.authcheck.recommendations import (
    Assessment,
    Impact,
    Recommendation,
    RecommendationType,
    Status,
    assess,
    recommendations,
)
from postwarden.authcheck.records import proposed_spf_record
from postwarden.authcheck.spf import SpfIpResult, SpfOutcome, SpfResult, check_spf
from postwarden.authcheck.spf_record import SpfRecord, SpfSyntaxError, parse_spf

__all__ = [
    "Assessment",
    "AuthCheckError",
    "DmarcEvaluation",
    "DmarcRecord",
    "DmarcResult",
    "DmarcSyntaxError",
    "DnsLookup",
    "DnsTemporaryError",
    "Impact",
    "Policy",
    "Recommendation",
    "RecommendationType",
    "ResolverLookup",
    "SpfIpResult",
    "SpfOutcome",
    "SpfRecord",
    "SpfResult",
    "SpfSyntaxError",
    "Status",
    "TxtLookup",
    "aligned",
    "assess",
    "check_dmarc",
    "check_spf",
    "evaluate_dmarc",
    "organizational_domain",
    "parse_dmarc",
    "parse_nameserver",
    "parse_spf",
    "proposed_spf_record",
    "recommendations",
]
