"""SES's bounce type for one failed recipient, from what the remote side said about it.

The evidence is an RFC 3463 enhanced status code (`5.1.1`), a basic SMTP reply code (`550`) and the
diagnostic text, any of which may be missing. Rules are tried in order, the first that matches decides:

1. wording that names a suppression list or a rejected attachment;
2. a precise enhanced code: `5.1.1`/`5.1.2`/`5.1.3`/`5.1.6`/`5.1.10` no such mailbox, `x.1.7`/`x.1.8` our
   sender address, `x.2.2` mailbox full, `x.3.4`/`x.2.3` too large;
3. wording about the sending server (blocklists, reputation, SPF/DKIM/DMARC, rate limits, relaying);
4. `x.6.x`, or `x.7.x` with content/spam wording: content rejected; any other `x.7.x`: a policy refusal;
5. wording alone (user unknown, over quota, too large, spam) when the code is generic or absent;
6. the class of the code: 5 permanent, 4 transient; nothing at all gives `Undetermined`.

`infrastructure` marks refusals that are about the sending server rather than the address (our sender
address in rule 2, rule 3, the policy refusals of rule 4): such a bounce says nothing about whether the
mailbox exists, so it never suppresses the recipient. They are reported as `Transient/General`, which SES
does not count toward the bounce rate either. The `reason` names the rule and the evidence it matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from postwarden.domain.delivery import BounceSubType, BounceType, SmtpReply


@dataclass(frozen=True, slots=True)
class BounceClassification:
    bounce_type: BounceType
    bounce_sub_type: BounceSubType
    infrastructure: bool
    """The refusal concerns the sending server (IP, domain, authentication, rate), not the address."""
    reason: str
    """Which rule decided, with the evidence it matched, e.g. `status 5.1.1: mailbox does not exist`."""
    status: str | None = None
    """The enhanced status code the decision used (from the DSN or found in the diagnostic text)."""


_STATUS = re.compile(r"(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
_SMTP_CODE = re.compile(r"(?<![\w.#\[/-])([245][0-5]\d)(?=[ :-]|$)", re.MULTILINE)


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(patterns), re.IGNORECASE)


_SUPPRESSED_TEXT = _words(r"suppressed sending to this address", r"on the (global )?suppression list")
_ATTACHMENT_TEXT = _words(
    r"attachment",
    r"file ?(type|name|extension)s?\b.{0,40}\b(not allowed|blocked|prohibited|forbidden)",
    r"blocked (file|extension)",
    r"executable content",
)
_INFRASTRUCTURE_TEXT = _words(
    r"spamhaus",
    r"spamcop",
    r"barracuda",
    r"\bsorbs\b",
    r"\bsurbl\b",
    r"blocked using",
    r"\brbl\b",
    r"\bdnsbl\b",
    r"black ?list",
    r"block ?list",
    r"deny ?list",
    r"listed (at|in|on|by)\b",
    r"\[bl\d\d\]",
    r"\bS3150\b",
    r"poor reputation",
    r"low reputation",
    r"reputation of (the|your) (sending )?(ip|domain)",
    r"ip reputation",
    r"sender reputation",
    r"banned sending ip",
    r"sending ip.{0,40}(blocked|banned)",
    r"\bspf\b",
    r"\bdkim\b",
    r"\bdmarc\b",
    r"unauthenticated",
    r"reverse dns",
    r"\bptr\b",
    r"rate limit",
    r"rate-limit",
    r"ratelimit",
    r"too many (messages|connections|emails|mails)",
    r"unusual rate",
    r"temporarily deferred",
    r"relay (access )?denied",
    r"not permitted to relay",
    r"relaying denied",
    r"client host .{0,60}(rejected|blocked)",
)
_NO_EMAIL_TEXT = _words(
    r"user unknown",
    r"unknown user",
    r"unknown recipient",
    r"unknown local.?part",
    r"no such (user|mailbox|recipient|address|account)",
    r"does ?n[o']t exist",
    r"doesn't have an? .{0,30}account",
    r"recipient ?not ?found",
    r"user not found",
    r"mailbox not found",
    r"invalid (mailbox|recipient)",
    r"not a valid (mailbox|recipient|user)",
    r"addressee unknown",
    r"no mailbox here",
    r"address (is )?unknown",
    r"unrouteable address",
)
_MAILBOX_FULL_TEXT = _words(
    r"mailbox (is )?full",
    r"over ?quota",
    r"quota exceeded",
    r"exceeded (the |its )?(storage|quota)",
    r"storage allocation",
    r"insufficient (disk |storage )?space",
    r"out of (disk |storage )?space",
    r"mailbox size limit",
    r"full mailbox",
    r"inbox is full",
)
_TOO_LARGE_TEXT = _words(
    r"too (large|big)",
    r"size (limit )?exceed",
    r"exceeds? (the )?(maximum |max |fixed )?(message )?size",
    r"message size",
    r"message length exceeds",
)
_CONTENT_TEXT = _words(
    r"content",
    r"\bspam\b",
    r"unsolicited",
    r"virus",
    r"malware",
    r"phish",
    r"suspicious",
    r"bulk mail",
    r"message (was )?(rejected|blocked|refused) (as|because|due)",
)

_NO_EMAIL_STATUSES = {"1.1", "1.2", "1.3", "1.6", "1.10"}
_SENDER_ADDRESS_STATUSES = {"1.7", "1.8"}


def classify_failure(
    status: str | None = None, diagnostic: str | None = None, smtp_code: int | None = None
) -> BounceClassification:
    """Classify one failed or delayed recipient from a DSN's Status and Diagnostic-Code (or an SMTP reply)."""
    text = diagnostic or ""
    enhanced = _best_status(status, text)
    if smtp_code is None:
        found = _SMTP_CODE.search(text)
        smtp_code = int(found.group(1)) if found else None
    klass = enhanced.split(".", 1)[0] if enhanced else (str(smtp_code)[0] if smtp_code else None)
    detail = enhanced.split(".", 1)[1] if enhanced else None

    def result(kind: BounceType, sub: BounceSubType, why: str, infra: bool = False) -> BounceClassification:
        return BounceClassification(kind, sub, infra, why, enhanced)

    if match := _SUPPRESSED_TEXT.search(text):
        return result(BounceType.PERMANENT, BounceSubType.SUPPRESSED, f"text {match.group(0)!r}")
    if (match := _ATTACHMENT_TEXT.search(text)) and klass in ("4", "5", None):
        return result(BounceType.TRANSIENT, BounceSubType.ATTACHMENT_REJECTED, f"text {match.group(0)!r}")
    if klass == "5" and detail in _NO_EMAIL_STATUSES:
        return result(BounceType.PERMANENT, BounceSubType.NO_EMAIL, f"status {enhanced}: no such mailbox")
    if detail in _SENDER_ADDRESS_STATUSES:
        return result(BounceType.TRANSIENT, BounceSubType.GENERAL, f"status {enhanced}: sender address", True)
    if detail == "2.2":
        return result(BounceType.TRANSIENT, BounceSubType.MAILBOX_FULL, f"status {enhanced}: mailbox full")
    if detail in ("3.4", "2.3"):
        return result(BounceType.TRANSIENT, BounceSubType.MESSAGE_TOO_LARGE, f"status {enhanced}: too large")
    if match := _INFRASTRUCTURE_TEXT.search(text):
        return result(BounceType.TRANSIENT, BounceSubType.GENERAL, f"text {match.group(0)!r}", True)
    content = _CONTENT_TEXT.search(text)
    if detail is not None and (detail.startswith("6.") or (detail.startswith("7.") and content)):
        why = f"status {enhanced}" + (f" and text {content.group(0)!r}" if content else ": media error")
        return result(BounceType.TRANSIENT, BounceSubType.CONTENT_REJECTED, why)
    if detail is not None and detail.startswith("7."):
        return result(BounceType.TRANSIENT, BounceSubType.GENERAL, f"status {enhanced}: policy refusal", True)
    return _by_wording(text, klass, enhanced) or _by_class(klass, enhanced, smtp_code)


def classify_smtp_reply(reply: SmtpReply) -> BounceClassification:
    """Classify a refusal received directly in the SMTP dialogue (`550 5.1.1 user unknown`)."""
    return classify_failure(reply.enhanced, reply.text, reply.code)


def _best_status(status: str | None, text: str) -> str | None:
    """The DSN's Status, unless it is generic (`5.0.0`) and the diagnostic carries a precise code."""
    declared = _STATUS.search(status or "")
    in_text = _STATUS.search(text)
    if declared is None:
        return _normalise(in_text) if in_text else None
    if in_text and declared.group(2, 3) == ("0", "0") and in_text.group(1) == declared.group(1):
        return _normalise(in_text)
    return _normalise(declared)


def _normalise(match: re.Match[str]) -> str:
    return ".".join(str(int(part)) for part in match.group(1, 2, 3))


def _by_wording(text: str, klass: str | None, enhanced: str | None) -> BounceClassification | None:
    def result(kind: BounceType, sub: BounceSubType, match: re.Match[str]) -> BounceClassification:
        return BounceClassification(kind, sub, False, f"text {match.group(0)!r}", enhanced)

    if (match := _NO_EMAIL_TEXT.search(text)) and klass in ("5", None):
        return result(BounceType.PERMANENT, BounceSubType.NO_EMAIL, match)
    if match := _MAILBOX_FULL_TEXT.search(text):
        return result(BounceType.TRANSIENT, BounceSubType.MAILBOX_FULL, match)
    if match := _TOO_LARGE_TEXT.search(text):
        return result(BounceType.TRANSIENT, BounceSubType.MESSAGE_TOO_LARGE, match)
    if (match := _CONTENT_TEXT.search(text)) and klass in ("4", "5"):
        return result(BounceType.TRANSIENT, BounceSubType.CONTENT_REJECTED, match)
    return None


def _by_class(klass: str | None, enhanced: str | None, smtp_code: int | None) -> BounceClassification:
    evidence = f"status {enhanced}" if enhanced else f"reply code {smtp_code}"
    if klass == "5":
        return BounceClassification(
            BounceType.PERMANENT, BounceSubType.GENERAL, False, f"{evidence}: permanent failure", enhanced
        )
    if klass == "4":
        return BounceClassification(
            BounceType.TRANSIENT, BounceSubType.GENERAL, False, f"{evidence}: temporary failure", enhanced
        )
    return BounceClassification(
        BounceType.UNDETERMINED, BounceSubType.UNDETERMINED, False, "no status, reply code or known wording"
    )
