"""Bulk changes to the account-level suppression list (SES CreateImportJob): the job's states and the
import file's two formats, as SES documents them.

CSV: one record a line, `emailAddress,reason` (`recipient@example.com,BOUNCE`); a header line naming the
columns (`emailAddress,reason`) is recognised and skipped, quoted fields and CRLF line ends are read as
RFC 4180 says. JSON: JSON Lines, one object a line, `{"emailAddress": "…", "reason": "BOUNCE"}`; a JSON
array is not an import file. A byte-order mark is ignored. For a DELETE import only the address counts.

Parsing is pure: every record becomes an `ImportRecord` or a `FailedRecord` that keeps its line number
and says what is wrong with it; only a file that cannot be read at all raises `ImportFileError`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from postwarden.domain.suppression import SuppressionReason

MAX_RECORDS = 100_000
"""SES: "a bulk add limit of 100,000 addresses in an Amazon S3 object per API call"."""
MAX_FILE_BYTES = 64 * 1024 * 1024
"""100,000 records of the longest addresses fit well below this."""
MAX_KEPT_RECORD_CHARS = 1000
"""A failed record is kept (for the failed-records report) up to this length."""

AddressCheck = Callable[[str], str]
"""Validates one bare address and returns its canonical form; raises ValueError with SES's reason."""


class ImportAction(StrEnum):
    PUT = "PUT"
    DELETE = "DELETE"


class DataFormat(StrEnum):
    CSV = "CSV"
    JSON = "JSON"


class JobStatus(StrEnum):
    CREATED = "CREATED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def finished(self) -> bool:
        return self in {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}


@dataclass(frozen=True, slots=True)
class ImportRecord:
    line: int
    address: str
    reason: SuppressionReason | None
    """None for a DELETE import."""


@dataclass(frozen=True, slots=True)
class FailedRecord:
    line: int
    record: str
    """The record as it stood in the file (cut at MAX_KEPT_RECORD_CHARS)."""
    error: str


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (not text, a JSON array, too many records)."""


_HEADER_NAMES = {"emailaddress": "emailAddress", "reason": "reason"}


def parse_import(
    data: bytes, data_format: DataFormat, action: ImportAction, check_address: AddressCheck
) -> list[ImportRecord | FailedRecord]:
    """Every record of the file, in file order; blank lines are not records."""
    text = _decode(data)
    reader = _csv_records(text) if data_format is DataFormat.CSV else _json_records(text)
    parsed: list[ImportRecord | FailedRecord] = []
    for line, raw, fields in reader:
        if len(parsed) >= MAX_RECORDS:
            raise ImportFileError(
                f"The import file holds more than {MAX_RECORDS:,} records, the most one import job takes."
            )
        if isinstance(fields, str):
            parsed.append(FailedRecord(line, _kept(raw), fields))
        else:
            parsed.append(_record(line, raw, fields, action, check_address))
    return parsed


def _decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(f"The import file is larger than {MAX_FILE_BYTES:,} bytes.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(f"The import file is not UTF-8 text (byte {error.start}).") from error


Fields = dict[str, str]
"""`emailAddress` and `reason` as the record gave them; a str instead says why the record is unreadable."""


def _csv_records(text: str) -> Iterator[tuple[int, str, Fields | str]]:
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for physical in io.StringIO(text, newline=""):
            consumed.append(physical)
            yield physical

    reader = csv.reader(lines(), strict=True, skipinitialspace=True)
    columns: list[str] | None = None
    line = 1
    while True:
        start, consumed[:] = line, []
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # the reader goes on with the next line
            line = reader.line_num + 1
            yield start, _raw(consumed), f"Not a valid CSV record: {error}."
            continue
        line = reader.line_num + 1
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if columns is None:
            columns = _header(cells)
            if columns:
                continue
        yield start, _raw(consumed), _csv_fields(cells, columns)


def _header(cells: list[str]) -> list[str]:
    """The column names when this first record is a header line, else []."""
    if cells and cells[0].lower() in _HEADER_NAMES:
        return [_HEADER_NAMES.get(cell.lower(), "") for cell in cells]
    return []


def _csv_fields(cells: list[str], columns: list[str]) -> Fields | str:
    if not columns:  # SES's documented form: address, then reason
        if len([c for c in cells[2:] if c]) > 0:
            return "Expected emailAddress,reason; the record has more fields."
        return {"emailAddress": cells[0], "reason": cells[1] if len(cells) > 1 else ""}
    named = {name: cell for name, cell in zip(columns, cells, strict=False) if name}
    return {"emailAddress": named.get("emailAddress", ""), "reason": named.get("reason", "")}


def _json_records(text: str) -> Iterator[tuple[int, str, Fields | str]]:
    if text.lstrip().startswith("["):
        raise ImportFileError(
            "JSON import files hold one JSON object per line (JSON Lines), not a JSON array."
        )
    for number, raw in enumerate(io.StringIO(text, newline=None), start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        try:
            value = json.loads(stripped)
        except ValueError:
            yield number, stripped, "Not a JSON object."
            continue
        if not isinstance(value, dict):
            yield number, stripped, "Not a JSON object."
            continue
        keyed = {str(k).lower(): v for k, v in value.items()}
        address, reason = keyed.get("emailaddress", ""), keyed.get("reason", "")
        if not isinstance(address, str) or not isinstance(reason, str):
            yield number, stripped, "emailAddress and reason must be strings."
            continue
        yield number, stripped, {"emailAddress": address.strip(), "reason": reason.strip()}


def _record(
    line: int, raw: str, fields: Fields, action: ImportAction, check_address: AddressCheck
) -> ImportRecord | FailedRecord:
    given = fields["emailAddress"]
    if not given:
        return FailedRecord(line, _kept(raw), "The record has no emailAddress.")
    try:
        address = check_address(given)
    except ValueError as error:
        return FailedRecord(line, _kept(raw), f"Invalid email address {given}: {error}")
    if action is ImportAction.DELETE:
        return ImportRecord(line, address, None)
    reason = fields["reason"].upper()
    if reason not in SuppressionReason.__members__:
        shown = fields["reason"] or "(none)"
        return FailedRecord(line, _kept(raw), f"Invalid reason {shown}: it must be BOUNCE or COMPLAINT.")
    return ImportRecord(line, address, SuppressionReason(reason))


def _kept(raw: str) -> str:
    return raw if len(raw) <= MAX_KEPT_RECORD_CHARS else raw[:MAX_KEPT_RECORD_CHARS] + "…"


def _raw(consumed: list[str]) -> str:
    return "".join(consumed).rstrip("\r\n")
