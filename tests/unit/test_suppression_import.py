"""Reading suppression-list import files: SES's CSV and JSON Lines forms, and every way a record fails."""

from __future__ import annotations

import json
import time

import pytest

from postwarden.domain.suppression import SuppressionReason
from postwarden.domain.suppression_import import (
    MAX_RECORDS,
    DataFormat,
    FailedRecord,
    ImportAction,
    ImportFileError,
    ImportRecord,
    parse_import,
)
from postwarden.mail.addrspec import check_addr_spec

BOUNCE, COMPLAINT = SuppressionReason.BOUNCE, SuppressionReason.COMPLAINT


def canonical(text: str) -> str:
    local, domain = check_addr_spec(text)
    return f"{local}@{domain}"


def csv_put(data: str | bytes) -> list[ImportRecord | FailedRecord]:
    raw = data.encode() if isinstance(data, str) else data
    return parse_import(raw, DataFormat.CSV, ImportAction.PUT, canonical)


def json_put(data: str) -> list[ImportRecord | FailedRecord]:
    return parse_import(data.encode(), DataFormat.JSON, ImportAction.PUT, canonical)


def test_ses_documented_csv_form_without_a_header() -> None:
    assert csv_put("recipient1@example.com,BOUNCE\nrecipient2@example.com,COMPLAINT\n") == [
        ImportRecord(1, "recipient1@example.com", BOUNCE),
        ImportRecord(2, "recipient2@example.com", COMPLAINT),
    ]


def test_a_header_line_is_skipped_and_names_the_columns() -> None:
    assert csv_put("emailAddress,reason\na@example.com,BOUNCE\n") == [
        ImportRecord(2, "a@example.com", BOUNCE)
    ]
    assert csv_put("Reason,EmailAddress\nCOMPLAINT,b@example.com\n") == [
        ImportRecord(2, "b@example.com", COMPLAINT)
    ]


def test_bom_crlf_blank_lines_spaces_and_lower_case_reasons() -> None:
    data = "\ufeffemailAddress,reason\r\n\r\n a@Example.COM , complaint\r\nb@example.com,BOUNCE"
    assert csv_put(data.encode("utf-8")) == [
        ImportRecord(3, "a@example.com", COMPLAINT),
        ImportRecord(4, "b@example.com", BOUNCE),
    ]


def test_quoted_fields_with_commas_quotes_and_line_breaks() -> None:
    data = (
        '"a@example.com","BOUNCE"\n'
        '"weird,""x""@example.com",BOUNCE\n'
        '"two\r\nlines@example.com",BOUNCE\n'
        '"d@example.com", "COMPLAINT"\n'
    )
    found = csv_put(data)
    assert found[0] == ImportRecord(1, "a@example.com", BOUNCE)
    assert isinstance(found[1], FailedRecord) and found[1].line == 2
    assert found[1].record == '"weird,""x""@example.com",BOUNCE'
    assert isinstance(found[2], FailedRecord) and found[2].line == 3
    assert found[2].record == '"two\r\nlines@example.com",BOUNCE'
    assert found[3] == ImportRecord(5, "d@example.com", COMPLAINT)


def test_bad_addresses_keep_their_line_and_say_why() -> None:
    found = csv_put(
        "good@example.com,BOUNCE\nno-at-sign,BOUNCE\n@example.com,BOUNCE\n,BOUNCE\na b@example.com,BOUNCE\n"
    )
    assert found[0] == ImportRecord(1, "good@example.com", BOUNCE)
    assert [(f.line, f.error) for f in found[1:] if isinstance(f, FailedRecord)] == [
        (2, "Invalid email address no-at-sign: Missing final '@domain'"),
        (3, "Invalid email address @example.com: Missing local name"),
        (4, "The record has no emailAddress."),
        (5, "Invalid email address a b@example.com: Local address contains control or whitespace"),
    ]


def test_bad_reasons() -> None:
    found = csv_put("a@example.com,SPAM\nb@example.com\nc@example.com,BOUNCE,extra\n")
    assert found == [
        FailedRecord(1, "a@example.com,SPAM", "Invalid reason SPAM: it must be BOUNCE or COMPLAINT."),
        FailedRecord(2, "b@example.com", "Invalid reason (none): it must be BOUNCE or COMPLAINT."),
        FailedRecord(
            3, "c@example.com,BOUNCE,extra", "Expected emailAddress,reason; the record has more fields."
        ),
    ]


def test_a_delete_import_needs_only_the_address() -> None:
    found = parse_import(
        b"a@example.com\nb@example.com,WHATEVER\nnope\n", DataFormat.CSV, ImportAction.DELETE, canonical
    )
    assert found[:2] == [ImportRecord(1, "a@example.com", None), ImportRecord(2, "b@example.com", None)]
    assert isinstance(found[2], FailedRecord) and found[2].line == 3


def test_a_broken_quote_fails_its_record_and_reading_goes_on() -> None:
    found = csv_put('a@example.com,BOUNCE\n"x"y@example.com,BOUNCE\nc@example.com,COMPLAINT\n')
    assert found[1] == FailedRecord(
        2, '"x"y@example.com,BOUNCE', "Not a valid CSV record: ',' expected after '\"'."
    )
    assert found[2] == ImportRecord(3, "c@example.com", COMPLAINT)


def test_json_lines() -> None:
    data = (
        '{"emailAddress": "recipient1@example.com", "reason": "BOUNCE"}\r\n'
        "\n"
        '{"emailAddress":"r2@example.com","reason":"COMPLAINT","extra":1}\n'
        "not json\n"
        "[1, 2]\n"
        '{"emailAddress": 5, "reason": "BOUNCE"}\n'
        '{"emailAddress": "r3@example.com", "reason": "NOPE"}\n'
        '{"reason": "BOUNCE"}\n'
    )
    found = json_put(data)
    assert found[:2] == [
        ImportRecord(1, "recipient1@example.com", BOUNCE),
        ImportRecord(3, "r2@example.com", COMPLAINT),
    ]
    assert [(f.line, f.error) for f in found[2:] if isinstance(f, FailedRecord)] == [
        (4, "Not a JSON object."),
        (5, "Not a JSON object."),
        (6, "emailAddress and reason must be strings."),
        (7, "Invalid reason NOPE: it must be BOUNCE or COMPLAINT."),
        (8, "The record has no emailAddress."),
    ]


def test_json_with_bom() -> None:
    data = '\ufeff{"emailAddress": "a@example.com", "reason": "BOUNCE"}\n'.encode()
    assert parse_import(data, DataFormat.JSON, ImportAction.PUT, canonical) == [
        ImportRecord(1, "a@example.com", BOUNCE)
    ]


def test_a_json_array_is_not_an_import_file() -> None:
    with pytest.raises(ImportFileError, match="JSON Lines"):
        json_put('[{"emailAddress": "a@example.com", "reason": "BOUNCE"}]')


def test_text_that_is_not_utf8_fails_the_file() -> None:
    with pytest.raises(ImportFileError, match="not UTF-8"):
        csv_put(b"a@example.com,BOUNCE\n\xff\xfe\n")


def test_ten_thousand_rows() -> None:
    rows = [f"user{i}@example.com,{'BOUNCE' if i % 2 else 'COMPLAINT'}" for i in range(10_000)]
    rows[4_999] = "broken,BOUNCE"
    started = time.perf_counter()
    found = csv_put("emailAddress,reason\r\n" + "\r\n".join(rows) + "\r\n")
    elapsed = time.perf_counter() - started
    assert len(found) == 10_000
    failed = [f for f in found if isinstance(f, FailedRecord)]
    assert [f.line for f in failed] == [5_001]
    assert found[-1] == ImportRecord(10_001, "user9999@example.com", BOUNCE)
    assert elapsed < 2.0, f"{elapsed:.2f} s for 10,000 rows"
    jsonl = "\n".join(
        json.dumps({"emailAddress": f"u{i}@example.com", "reason": "BOUNCE"}) for i in range(10_000)
    )
    assert len(json_put(jsonl)) == 10_000


def test_more_records_than_one_job_takes() -> None:
    data = "a@example.com,BOUNCE\n" * (MAX_RECORDS + 1)
    with pytest.raises(ImportFileError, match="100,000"):
        csv_put(data)
