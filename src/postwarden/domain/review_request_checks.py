"""The checks of a production access request's own content: the use case description, the website URL
and the quota and rate the stated volume calls for."""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from postwarden.domain.model import SendingLimits
from postwarden.domain.review_checklist import CheckKey, ChecklistItem, CheckStatus
from postwarden.domain.review_facts import ReviewCriteria
from postwarden.domain.review_use_case import (
    QUESTIONS,
    answer_questions,
    is_mostly_cjk,
    largest_daily_volume,
    largest_rate,
)

PASS, WARN, FAIL = CheckStatus.PASS, CheckStatus.WARN, CheckStatus.FAIL


def check_use_case(description: str | None, criteria: ReviewCriteria) -> ChecklistItem:
    title = "Use case answers SES's four questions"
    text = (description or "").strip()
    if not text:
        questions = " ".join(q.text for q in QUESTIONS)
        fix = f"Describe the mail you will send in a few paragraphs that answer SES's questions: {questions}"
        return ChecklistItem(CheckKey.USE_CASE, title, FAIL, "No use case description", fix)
    minimum = (
        criteria.min_use_case_characters_cjk if is_mostly_cjk(text) else criteria.min_use_case_characters
    )
    short = len(text) < minimum
    seen = [f"{len(text)} characters (at least {minimum} expected)"]
    fixes = []
    answers = answer_questions(text)
    for answer in answers:
        found = ", ".join(f'"{phrase}"' for phrase in answer.matched) or "nothing found"
        if answer.matched and answer.missing_topics:
            found += f" (nothing about {' or '.join(answer.missing_topics)})"
        seen.append(f"{answer.question.label}: {found}")
        if not answer.answered:
            about = f" (nothing about {' or '.join(answer.missing_topics)} yet)" if answer.matched else ""
            fixes.append(f'answer "{answer.question.text}"{about}: {answer.question.hint}')
    if short:
        fixes.append(f"write at least {minimum} characters (the description has {len(text)})")
    unanswered = sum(1 for answer in answers if not answer.answered)
    if not fixes:
        status = PASS
    elif unanswered + int(short) == 1:
        status = WARN
    else:
        status = FAIL
    return ChecklistItem(CheckKey.USE_CASE, title, status, "; ".join(seen), "; ".join(fixes))


@dataclass(frozen=True, slots=True)
class WebsiteAddress:
    scheme: str
    host: str


_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LEVEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_PRIVATE_TOP_LEVELS = frozenset(
    {"test", "example", "invalid", "localhost", "local", "localdomain", "internal", "intranet", "lan",
     "home", "corp", "private", "arpa"}
)  # fmt: skip
"""RFC 2606 / 6761 special-use names and names commonly used on private networks."""
_DOCUMENTATION_DOMAINS = ("example.com", "example.net", "example.org")


def parse_website_url(url: str) -> WebsiteAddress | str:
    """The scheme and host of a public-looking http(s) address, or why `url` is not one."""
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as error:
        return f"not a valid URL ({error})"
    if not parts.scheme:
        return "no scheme: write the full address, starting with https://"
    if parts.scheme.lower() not in {"http", "https"}:
        return f"the scheme is {parts.scheme}, not http or https"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "no host name"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return f"the host is an IP address ({host}), not a domain name"
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return f"{host} is not a valid host name"
    labels = ascii_host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return f"{host} is not a valid host name"
    if labels[-1] in _PRIVATE_TOP_LEVELS:
        return f"{host} is a local or reserved name (.{labels[-1]}), not a public website"
    if len(labels) < 2:
        return f"{host} is not a public domain name (no top-level domain)"
    if not _TOP_LEVEL.fullmatch(labels[-1]):
        return f"{host} does not end in a top-level domain"
    if any(ascii_host == d or ascii_host.endswith("." + d) for d in _DOCUMENTATION_DOMAINS):
        return f"{host} is reserved for documentation examples (RFC 2606), not a real website"
    return WebsiteAddress(parts.scheme.lower(), ascii_host)


def check_website(url: str, reachable: bool | None, detail: str = "") -> ChecklistItem:
    title = "Website"
    address = parse_website_url(url)
    if isinstance(address, str):
        fix = "Give the public address of the website your mail is about, e.g. https://www.your-company.com"
        return ChecklistItem(CheckKey.WEBSITE, title, FAIL, f"{url!r}: {address}", fix)
    seen = f"{url} is a well-formed {address.scheme} address of {address.host}"
    shown = f" ({detail})" if detail else ""
    if reachable is None:
        seen += "; reachability not checked (the website check is off)"
    elif reachable:
        seen += f"; reachable{shown}"
    else:
        fix = f"Make sure {url} answers from the internet (the reviewer and your recipients will open it)"
        return ChecklistItem(CheckKey.WEBSITE, title, FAIL, f"{seen}; not reachable{shown}", fix)
    if address.scheme == "http":
        fix = f"Serve the website over HTTPS and give https://{address.host} as the address"
        return ChecklistItem(CheckKey.WEBSITE, title, WARN, seen + "; plain http, no TLS", fix)
    return ChecklistItem(CheckKey.WEBSITE, title, PASS, seen)


def recommend_limits(description: str, criteria: ReviewCriteria) -> tuple[SendingLimits, ChecklistItem]:
    """The quota and rate to grant: the production defaults, or more when the use case states a larger
    daily volume (rounded up, capped) or a higher rate; the rate grows with the quota at the defaults'
    ratio. Always a PASS item: it informs the decision, it does not judge."""
    defaults = criteria.production_defaults
    base_quota, base_rate = defaults.max_24_hour_send, defaults.max_send_rate
    ceiling = max(criteria.max_recommended_quota, base_quota)
    quota, rate = base_quota, base_rate
    seen: list[str] = []
    volume = largest_daily_volume(description)
    if volume is None:
        seen.append("no daily volume stated in the use case")
    else:
        seen.append(f'stated "{volume.phrase}", about {volume.per_day:,.0f} per day')
        if base_quota > 0 and volume.per_day > base_quota:
            quota = min(_round_up(volume.per_day), ceiling)
            if quota == ceiling:
                seen.append(f"capped at {ceiling:,} per day")
            rate = max(rate, float(math.ceil(base_rate * quota / base_quota)))
    stated_rate = largest_rate(description)
    if stated_rate is not None:
        seen.append(f'stated "{stated_rate.phrase}", about {stated_rate.per_second:g} per second')
        rate_ceiling = base_rate * ceiling / base_quota if base_quota > 0 else base_rate
        rate = max(rate, min(float(math.ceil(stated_rate.per_second)), rate_ceiling))
    origin = "the production defaults" if (quota, rate) == (base_quota, base_rate) else "from the use case"
    shown_quota = "unlimited" if quota < 0 else f"{quota:,}"
    seen.append(f"recommended {shown_quota} per 24 hours and {rate:g} per second ({origin})")
    item = ChecklistItem(CheckKey.RECOMMENDED_LIMITS, "Recommended quota and rate", PASS, "; ".join(seen))
    return SendingLimits(quota, rate), item


def _round_up(value: float) -> int:
    """Up to two significant figures: 23,456 → 24,000; 123,456 → 130,000."""
    step: int = 10 ** max(len(str(math.ceil(value))) - 2, 0)
    return math.ceil(value / step) * step
