"""Recipient mailbox providers (the VDM `ISP` dimension), told from the recipient's domain alone.

SES names the provider that hosts a recipient's mailbox. Postwarden looks only at the address's domain
(no MX look-ups), so mail to a company domain hosted by Google or Microsoft counts as "Other". The
names are the ones the VDM dashboard shows; families with a domain per country (yahoo.co.uk,
hotmail.fr, gmx.de…) are matched by their first label.
"""

from __future__ import annotations

OTHER = "Other"

_EXACT: dict[str, str] = {
    "gmail.com": "Gmail",
    "googlemail.com": "Gmail",
    "ymail.com": "Yahoo",
    "rocketmail.com": "Yahoo",
    "msn.com": "Hotmail",
    "passport.com": "Hotmail",
    "windowslive.com": "Hotmail",
    "aim.com": "AOL",
    "verizon.net": "AOL",
    "icloud.com": "iCloud",
    "me.com": "iCloud",
    "mac.com": "iCloud",
    "comcast.net": "Comcast",
    "att.net": "AT&T",
    "sbcglobal.net": "AT&T",
    "bellsouth.net": "AT&T",
    "cox.net": "Cox",
    "charter.net": "Spectrum",
    "rr.com": "Spectrum",
    "orange.fr": "Orange",
    "wanadoo.fr": "Orange",
    "free.fr": "Free",
    "laposte.net": "La Poste",
    "sfr.fr": "SFR",
    "web.de": "Web.de",
    "t-online.de": "T-Online",
    "freenet.de": "Freenet",
    "libero.it": "Libero",
    "virgilio.it": "Libero",
    "seznam.cz": "Seznam",
    "wp.pl": "WP",
    "o2.pl": "WP",
    "interia.pl": "Interia",
    "proton.me": "Proton",
    "protonmail.com": "Proton",
    "pm.me": "Proton",
    "zoho.com": "Zoho",
    "zohomail.com": "Zoho",
    "fastmail.com": "Fastmail",
    "fastmail.fm": "Fastmail",
    "naver.com": "Naver",
    "daum.net": "Daum",
    "hanmail.net": "Daum",
    "qq.com": "QQ",
    "foxmail.com": "QQ",
    "163.com": "NetEase",
    "126.com": "NetEase",
    "yeah.net": "NetEase",
    "sina.com": "Sina",
    "rediffmail.com": "Rediffmail",
    "bigpond.com": "Telstra",
    "shaw.ca": "Shaw",
    "rogers.com": "Rogers",
    "uol.com.br": "UOL",
    "bol.com.br": "UOL",
    "terra.com.br": "Terra",
    "mail.ru": "Mail.ru",
    "ya.ru": "Yandex",
}

_FAMILIES: dict[str, str] = {
    "yahoo": "Yahoo",
    "hotmail": "Hotmail",
    "outlook": "Hotmail",
    "live": "Hotmail",
    "aol": "AOL",
    "gmx": "GMX",
    "yandex": "Yandex",
    "rambler": "Rambler",
}

_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "ne", "or", "ac"})

# `live.<tld>` is too generic to match any suffix: only these are Microsoft's.
_FAMILY_ONLY_AT = {
    "live": frozenset({"com", "co.uk", "fr", "de", "it", "nl", "be", "ca", "com.au", "jp", "se", "dk", "no"}),
}


def isp_for_domain(domain: str | None) -> str:
    """The provider hosting mailboxes at `domain`, or "Other"."""
    if not domain:
        return OTHER
    name = domain.strip().lower().rstrip(".")
    exact = _EXACT.get(name)
    if exact is not None:
        return exact
    first, _, suffix = name.partition(".")
    family = _FAMILIES.get(first)
    if family is None or not _country_suffix(suffix):
        return OTHER
    allowed = _FAMILY_ONLY_AT.get(first)
    if allowed is not None and suffix not in allowed:
        return OTHER
    return family


def isp_for_address(address: str | None) -> str:
    """The provider of an address's domain; "Other" for None or an address without a domain."""
    if not address or "@" not in address:
        return OTHER
    return isp_for_domain(address.rpartition("@")[2])


def _country_suffix(suffix: str) -> bool:
    """`com`, `fr`, `co.uk`, `com.br`: a family's own suffixes, not `example.com` (yahoo.example.com is
    a subdomain of someone else's domain)."""
    labels = suffix.split(".")
    if len(labels) == 1:
        return bool(labels[0])
    return len(labels) == 2 and labels[0] in _SECOND_LEVEL and bool(labels[1])


def known_isps() -> frozenset[str]:
    """Every name `isp_for_domain` can return, "Other" included."""
    return frozenset({*_EXACT.values(), *_FAMILIES.values(), OTHER})
