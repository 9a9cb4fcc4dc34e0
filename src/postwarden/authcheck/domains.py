"""Domain names for DMARC: normalizing, the organizational domain, identifier alignment (RFC 7489 §3.1-3.2).

The organizational domain is found with a deliberately small public-suffix rule instead of the full Public
Suffix List: the last two labels (`mail.example.com` → `example.com`), or the last three when the last two
are a registry's well-known second-level suffix (`news.example.co.uk` → `example.co.uk`). It is wrong for
the private and deeper suffixes the full list knows (`*.github.io`, `city.kawasaki.jp`); were that ever to
matter, swapping in the `publicsuffixlist` package behind `organizational_domain` is a local change.
"""

from __future__ import annotations

from typing import Literal

AlignmentMode = Literal["r", "s"]

# Second-level suffixes under which registrations happen: the registrable domain has three labels.
TWO_LEVEL_SUFFIXES: frozenset[str] = frozenset(
    f"{second}.{tld}"
    for tld, seconds in {
        "uk": "co org me ltd plc net sch ac gov nhs police",
        "jp": "co ne or ac go ad ed gr lg",
        "au": "com net org edu gov asn id",
        "nz": "co net org ac govt school geek gen kiwi maori",
        "br": "com net org gov edu art blog eco",
        "cn": "com net org gov edu ac",
        "in": "co net org firm gen ind ac edu gov res",
        "za": "co org net gov ac edu web",
        "kr": "co or ne go re ac",
        "il": "co org net ac gov muni",
        "mx": "com net org gob edu",
        "ar": "com net org gob edu",
        "tr": "com net org gov edu gen biz",
        "tw": "com net org gov edu idv",
        "hk": "com net org gov edu idv",
        "sg": "com net org gov edu per",
        "my": "com net org gov edu name",
        "id": "co or net ac go web my",
        "th": "co or net ac go in",
        "ph": "com net org gov edu",
        "vn": "com net org gov edu",
        "ua": "com net org gov edu in",
        "pl": "com net org gov edu info biz",
        "ru": "com net org",
        "eg": "com net org gov edu",
        "sa": "com net org gov edu",
        "ng": "com net org gov edu",
        "pk": "com net org gov edu",
        "co": "com net org gov edu",
        "pe": "com net org gob edu",
        "ve": "com net org gob edu",
    }.items()
    for second in seconds.split()
)


def normalize(domain: str) -> str:
    """Lower case, without a trailing dot."""
    return domain.strip().rstrip(".").lower()


def organizational_domain(domain: str) -> str:
    """`a.b.example.com` → `example.com`; `a.example.co.uk` → `example.co.uk` (see the module docstring)."""
    labels = normalize(domain).split(".")
    keep = 3 if ".".join(labels[-2:]) in TWO_LEVEL_SUFFIXES else 2
    return ".".join(labels[-keep:])


def aligned(identifier: str | None, author_domain: str, mode: AlignmentMode = "r") -> bool:
    """Whether an authenticated domain aligns with the From domain: strict is exact, relaxed the same org."""
    if not identifier:
        return False
    if mode == "s":
        return normalize(identifier) == normalize(author_domain)
    return organizational_domain(identifier) == organizational_domain(author_domain)
