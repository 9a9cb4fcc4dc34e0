"""Real-world shaped feedback mail (tests/unit/feedback_corpus/*.eml) read into `FeedbackReport`s.

Each file is what a provider's format looks like when it comes back to our VERP return path
`{message_id}-{recipient_id}@bounces.postwarden.example`; the table states what must be read out of it.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postwarden.domain.delivery import BounceSubType as Sub
from postwarden.domain.delivery import BounceType as Kind
from postwarden.feedback import FeedbackKind, FeedbackReport, parse_feedback, ses_message_id, verp_parse

CORPUS = Path(__file__).parent / "feedback_corpus"
BOUNCE_DOMAINS = ("bounces.postwarden.example",)
B, D, C, A = FeedbackKind.BOUNCE, FeedbackKind.DELAY, FeedbackKind.COMPLAINT, FeedbackKind.AUTO_REPLY
P, T = Kind.PERMANENT, Kind.TRANSIENT


@dataclass(frozen=True)
class Expected:
    kind: FeedbackKind
    ses_id: str
    """The SES message id, recoverable from the VERP address the report was sent to."""
    recipients: tuple[str, ...]
    bounce: tuple[Kind, Sub] | None = None
    infrastructure: bool = False
    id_in_report: bool = True
    """Whether the report itself carries the original Message-ID (a returned copy, headers or In-Reply-To)."""


CASES: dict[str, Expected] = {
    "gmail_user_unknown.eml": Expected(
        B, "0100018bcf3a41d2-2f9c7e51-6b1a-4d3e-9a77-51c0e2b8d4f1-000000", ("no.such.person.4711@gmail.com",),
        (P, Sub.NO_EMAIL),
    ),
    "gmail_over_quota.eml": Expected(
        B, "0100018bcf3b0a77-8d2e4c19-0f3b-4a6e-b1d2-7c9e0a5f3b28-000000", ("hoarder.of.mail@gmail.com",),
        (T, Sub.MAILBOX_FULL),
    ),
    "office365_recipient_not_found.eml": Expected(
        B, "0102018bd0411c3e-a4b7d2e0-3c5f-4e81-9b26-0d7f1e3a6c54-000000", ("jane.doe@contoso.com",),
        (P, Sub.NO_EMAIL),
    ),
    "office365_mailbox_full.eml": Expected(
        B, "0100018bd05290ab-61e3f8a2-7d4c-4b09-8e15-c2a9f4d76e03-000000", ("accounts@fabrikam.com",),
        (T, Sub.MAILBOX_FULL),
    ),
    "office365_banned_sending_ip.eml": Expected(
        B, "0100018bd0639f10-0e5a7c3b-2f8d-4c6a-a917-3b4e8d1f0c62-000000", ("purchasing@northwind.example",),
        (T, Sub.GENERAL), infrastructure=True,
    ),
    "outlook_com_blocklist_s3150.eml": Expected(
        B, "0100018bd074a2c5-9b1f3e7d-5a2c-4e8b-b04f-6d3a9c2e1f75-000000", ("sam.reader@outlook.com",),
        (T, Sub.GENERAL), infrastructure=True,
    ),
    "yahoo_no_such_account.eml": Expected(
        B, "0100018bd1859e31-c7d2a0f4-1e6b-4f3a-8c59-a2e4b7d0c913-000000", ("lost.reader.1977@yahoo.com",),
        (P, Sub.NO_EMAIL),
    ),
    "yahoo_blocked_bl21.eml": Expected(
        B, "0100018bd196b4e8-3a8f5c21-9d7e-4b20-a6c3-f1e09d4b7a86-000000", ("kim.dealhunter@yahoo.com",),
        (T, Sub.GENERAL), infrastructure=True,
    ),
    "yahoo_arf_complaint.eml": Expected(
        C, "0100018bd1a7c0f2-5d6e9b13-4a0c-4f7d-9e28-b3c1f5a8d047-000000", ("pat.shopper@yahoo.com",)
    ),
    "aol_arf_complaint.eml": Expected(C, "0100018bd1b8d31a-e2f4a6c8-0b1d-4e3f-a5c7-d9e1f3a5b7c9-000000", ()),
    "outlook_jmrp_arf_complaint.eml": Expected(
        C, "0100018bd1c9e4b6-7f8a9b0c-1d2e-4f3a-b4c5-d6e7f8a9b0c1-000000", ()
    ),
    "hotmail_jmrp_legacy_complaint.eml": Expected(
        C, "0100018bd1daf5c7-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d-000000", ("chris.k@hotmail.com",)
    ),
    "postfix_user_unknown.eml": Expected(
        B, "0100018bd2eb06d8-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e-000000", ("former.employee@example.org",),
        (P, Sub.NO_EMAIL),
    ),
    "postfix_over_quota.eml": Expected(
        B, "0100018bd2fc17e9-3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f-000000", ("busy.person@example.net",),
        (T, Sub.MAILBOX_FULL),
    ),
    "postfix_delayed.eml": Expected(
        D, "0100018bd30d28fa-4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f80-000000", ("info@slow-mx.example",),
        (T, Sub.GENERAL),
    ),
    "postfix_relayed_success.eml": Expected(
        FeedbackKind.DELIVERED, "0100018bd31e390b-5e6f7a8b-9c0d-4e1f-8a3b-4c5d6e7f8091-000000",
        ("legal@old-mta.example",),
    ),
    "sendmail_spam_content_rejected.eml": Expected(
        B, "0100018bd595a072-2f3a4b5c-6d7e-4f80-91a2-b3c4d5e6f708-000000", ("editor@news.example",),
        (T, Sub.CONTENT_REJECTED),
    ),
    "exim_user_unknown.eml": Expected(
        B, "0100018bd42f4a1c-6f7a8b9c-0d1e-4f2a-9b4c-5d6e7f8091a2-000000", ("j.bloggs@example.co.uk",),
        (P, Sub.NO_EMAIL),
    ),
    "exim_delay_warning.eml": Expected(
        D, "0100018bd4405b2d-7a8b9c0d-1e2f-4a3b-8c5d-6e7f8091a2b3-000000", ("orders@sluggish.example",),
        (T, Sub.GENERAL), id_in_report=False,
    ),
    "qmail_no_mailbox.eml": Expected(
        B, "0100018bd4516c3e-8b9c0d1e-2f3a-4b4c-9d6e-7f8091a2b3c4-000000", ("webmaster@oldhost.example",),
        (P, Sub.NO_EMAIL),
    ),
    "exchange2003_plaintext_ndr.eml": Expected(
        B, "0100018bd4627d4f-9c0d1e2f-3a4b-4c5d-8e7f-8091a2b3c4d5-000000", ("m.alvarez@corp.example",),
        (P, Sub.NO_EMAIL),
    ),
    "vacation_auto_reply.eml": Expected(
        A, "0100018bd5738e50-0d1e2f3a-4b5c-4d6e-9f80-91a2b3c4d5e6-000000", ("ingrid.holm@example.org",)
    ),
    "outlook_automatic_reply.eml": Expected(
        A, "0100018bd5849f61-1e2f3a4b-5c6d-4e7f-8091-a2b3c4d5e6f7-000000", ("t.nowak@contoso.example",)
    ),
}  # fmt: skip


def read(name: str, *, crlf: bool = False) -> FeedbackReport:
    raw = (CORPUS / name).read_bytes()
    return parse_feedback(raw.replace(b"\n", b"\r\n") if crlf else raw)


def envelope_recipient(name: str) -> str:
    """Where the report was sent: what the feedback MX sees as RCPT TO (here, the `To` header)."""
    message = email.message_from_bytes((CORPUS / name).read_bytes(), policy=email.policy.default)
    return str(message["To"].addresses[0].addr_spec)


def test_every_corpus_file_is_in_the_table() -> None:
    on_disk = {p.name for p in CORPUS.glob("*.eml") if not p.name.startswith("malformed_")}
    assert on_disk == set(CASES)


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus(name: str, crlf: bool) -> None:
    expected = CASES[name]
    report = read(name, crlf=crlf)
    assert report.kind is expected.kind, report.problems
    assert tuple(r.final_recipient for r in report.recipients) == expected.recipients
    for recipient in report.recipients:
        if expected.bounce is None:
            assert recipient.classification is None
            continue
        assert recipient.classification is not None
        got = recipient.classification
        assert (got.bounce_type, got.bounce_sub_type) == expected.bounce, got.reason
        assert got.infrastructure is expected.infrastructure, got.reason
    if expected.id_in_report:
        assert ses_message_id(report.original_message_id) == expected.ses_id
    else:
        assert report.original_message_id is None
    target = verp_parse(envelope_recipient(name), BOUNCE_DOMAINS)
    assert target is not None and target.message_id == expected.ses_id
    if report.original_return_path is not None:
        assert verp_parse(report.original_return_path, BOUNCE_DOMAINS) == target


def test_a_gmail_dsn_in_detail() -> None:
    report = read("gmail_user_unknown.eml")
    assert report.reporting_mta == "dns; googlemail.com"
    assert report.arrival_date == datetime(2023, 11, 14, 9, 12, 3, tzinfo=timezone(timedelta(hours=-8)))
    assert report.original_to == ("no.such.person.4711@gmail.com",)
    assert report.problems == ()
    (recipient,) = report.failed_recipients
    assert recipient.status == "5.1.1"
    assert recipient.diagnostic_code is not None
    assert recipient.diagnostic_code.startswith("smtp; 550-5.1.1 The email account that you tried to reach")
    assert recipient.diagnostic_code.endswith("- gsmtp")
    assert recipient.remote_mta is not None and recipient.remote_mta.startswith(
        "dns; gmail-smtp-in.l.google.com"
    )
    assert recipient.last_attempt_date == datetime(2023, 11, 14, 17, 12, 5, tzinfo=UTC)


def test_the_original_recipient_is_kept_apart_from_the_final_one() -> None:
    (recipient,) = read("postfix_user_unknown.eml").recipients
    assert recipient.final_recipient == "former.employee@example.org"
    assert recipient.original_recipient == "Former.Employee@example.org"
    assert recipient.action == "failed"


def test_a_delay_warning_lists_the_recipient_as_delayed() -> None:
    report = read("postfix_delayed.eml")
    assert report.failed_recipients == ()
    (recipient,) = report.delayed_recipients
    assert recipient.status == "4.4.1"
    assert recipient.diagnostic_code == (
        "X-Postfix; connect to mx.slow-mx.example[203.0.113.45]:25: Connection timed out"
    )


def test_a_success_dsn_carries_our_envelope_id() -> None:
    report = read("postfix_relayed_success.eml")
    assert report.original_envelope_id == "0100018bd31e390b-5e6f7a8b-9c0d-4e1f-8a3b-4c5d6e7f8091-000000"
    assert report.recipients[0].classification is None


def test_yahoo_feedback_report_fields() -> None:
    report = read("yahoo_arf_complaint.eml")
    assert report.feedback_type == "abuse"
    assert report.user_agent == "Yahoo!-Mail-Feedback/2.0"
    assert report.source_ip == "198.51.100.37"
    assert report.original_rcpt_to == ("pat.shopper@yahoo.com",)
    assert report.original_mail_from is not None
    assert verp_parse(report.original_mail_from, BOUNCE_DOMAINS) is not None
    assert report.arrival_date == datetime(2023, 11, 19, 12, 20, 29, tzinfo=UTC)
    assert report.problems == ()


def test_a_redacted_complainant_names_nobody_but_the_message_is_still_known() -> None:
    report = read("aol_arf_complaint.eml")
    assert (report.feedback_type, report.user_agent) == ("abuse", "AOL SComp")
    assert report.recipients == ()
    assert report.original_to == ("redacted@aol.com",)
    assert "the complainant's address is redacted" in report.problems
    assert report.original_return_path is not None


def test_microsoft_complaints_old_and_new() -> None:
    arf = read("outlook_jmrp_arf_complaint.eml")
    assert (arf.feedback_type, arf.user_agent, arf.source_ip) == ("abuse", "Microsoft JMRP", "198.51.100.39")
    assert arf.original_mail_from is not None and verp_parse(arf.original_mail_from, BOUNCE_DOMAINS)
    legacy = read("hotmail_jmrp_legacy_complaint.eml")
    assert (legacy.feedback_type, legacy.source_ip) == ("abuse", "198.51.100.40")


def test_auto_replies_are_never_bounces() -> None:
    for name in ("vacation_auto_reply.eml", "outlook_automatic_reply.eml"):
        report = read(name)
        assert report.kind is FeedbackKind.AUTO_REPLY
        assert all(r.classification is None and r.action is None for r in report.recipients)


# Malformed input: never raise, say UNKNOWN and why.

MALFORMED: dict[str, bytes] = {
    "empty": b"",
    "blank lines": b"\r\n\r\n  \r\n",
    "binary garbage": bytes(range(256)) * 8,
    "no header block": b"just some text\nwithout headers\n",
    "truncated report": (CORPUS / "malformed_truncated_report.eml").read_bytes(),
    "headers only": b"From: someone@example.org\r\nSubject: hello\r\n",
    "empty delivery status": (
        b"From: MAILER-DAEMON@x.example\nContent-Type: multipart/report; report-type=delivery-status; "
        b'boundary="b"\n\n--b\nContent-Type: message/delivery-status\n\n--b--\n'
    ),
    "status without recipients": (
        b'From: a@x.example\nContent-Type: multipart/report; boundary="b"\n\n--b\n'
        b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; x.example\n\n--b--\n"
    ),
    "undecodable bytes": b"From: \xff\xfe@\x80\nSubject: =?bogus-charset?q?=FF?=\nContent-Type: text/plain; "
    b"charset=x-unknown\nContent-Transfer-Encoding: base64\n\n!!!not base64\xff\n",
    "lone surrogates and odd codecs": (
        b"From: MAILER-DAEMON@x.example\nSubject: =?utf-7?q?+2AA-?=\nContent-Type: multipart/mixed; "
        b'boundary="b"\n\n--b\nContent-Type: text/plain; charset=idna\n\n\xff\n--b\n'
        b"Content-Type: text/plain; charset=undefined\n\n\xfe\n--b--\n"
    ),
    "runaway boundary": b'Content-Type: multipart/report; boundary="' + b"x" * 5000 + b'"\n\n--x\n',
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_input_is_unknown_with_reasons(raw: bytes) -> None:
    report = parse_feedback(raw)
    assert report.kind is FeedbackKind.UNKNOWN
    assert report.problems
    assert report.recipients == ()


SLOW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(raw=st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    assert isinstance(parse_feedback(raw), FeedbackReport)


@SLOW
@given(name=st.sampled_from(sorted(CASES)), data=st.data())
def test_truncated_or_mangled_corpus_files_never_raise(name: str, data: st.DataObject) -> None:
    raw = bytearray((CORPUS / name).read_bytes())
    cut = data.draw(st.integers(min_value=0, max_value=len(raw)))
    flips = data.draw(st.lists(st.tuples(st.integers(0, max(0, cut - 1)), st.integers(0, 255)), max_size=8))
    for position, value in flips:
        if position < cut:
            raw[position] = value
    report = parse_feedback(bytes(raw[:cut]))
    assert isinstance(report, FeedbackReport)
    if report.kind is FeedbackKind.UNKNOWN:
        assert report.problems
