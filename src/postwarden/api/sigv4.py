"""Server-side verification of AWS Signature Version 4.

Every API request (SES v2 REST-JSON under ``/v2/email/...`` and the SES v1 Query API,
``POST /`` with a form body) is signed by an unmodified AWS client. This module checks that
signature the way AWS does, before any handler runs, and answers failures with AWS's own error
codes, HTTP statuses and message texts.

The canonical request is rebuilt exactly as botocore's ``SigV4Auth`` builds it for services
other than S3:

* canonical URI: the path *as received on the wire* (still percent-encoded), with empty and
  ``.``/``..`` segments removed, then percent-encoded once more (so ``%40`` becomes ``%2540``:
  the double encoding every AWS SDK applies to non-S3 services);
* canonical query string: every parameter percent-decoded and re-encoded with RFC 3986
  unreserved characters left alone, sorted by encoded name then encoded value. A raw ``+``
  is a space (form decoding, as the handlers read the query, and as botocore and the Go SDK
  sign it); a literal plus arrives as ``%2B``;
* canonical headers: the headers named in ``SignedHeaders``, values with runs of whitespace
  collapsed to one space and trimmed;
* payload hash: the ``x-amz-content-sha256`` header if present (and it must then describe the
  body, unless it is ``UNSIGNED-PAYLOAD``), otherwise the SHA-256 of the body.

The module is pure: no I/O, no clock reads (``now`` is a parameter), no logging.

Order of checks (modelled on the order AWS front ends are observed to use): authentication
present -> Authorization header / presign parameters well formed -> ``host`` signed and every
signed header present -> timestamp parses -> timestamp within the allowed window -> credential
has five parts -> credential scope (region, service, terminator, date) -> no session token ->
access key known -> signature -> declared payload hash matches the body.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote_to_bytes

__all__ = [
    "ALGORITHM",
    "UNSIGNED_PAYLOAD",
    "Caller",
    "IncomingRequest",
    "SigV4Error",
    "SigV4Verifier",
    "derive_signing_key",
]

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_TERMINATOR = "aws4_request"
# A SigV4 signing key is valid for seven days, so AWS caps X-Amz-Expires there.
_MAX_PRESIGN_EXPIRES = 604800

# --- Error codes and the message texts AWS returns with them -----------------------------------

_MISSING_AUTHENTICATION_TOKEN = "MissingAuthenticationToken"
_INCOMPLETE_SIGNATURE = "IncompleteSignature"
_INVALID_CLIENT_TOKEN_ID = "InvalidClientTokenId"
_SIGNATURE_DOES_NOT_MATCH = "SignatureDoesNotMatch"
_REQUEST_EXPIRED = "RequestExpired"
_CONTENT_SHA256_MISMATCH = "XAmzContentSHA256Mismatch"

_MSG_MISSING_AUTH = "Request is missing Authentication Token"
_MSG_INVALID_TOKEN = "The security token included in the request is invalid."
_MSG_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_MSG_REQUEST_EXPIRED = "Request has expired."
_MSG_CONTENT_SHA256_MISMATCH = "The provided 'x-amz-content-sha256' header does not match what was computed."
_MSG_HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
_MSG_HEADER_REQUIRES_CREDENTIAL = "Authorization header requires 'Credential' parameter."
_MSG_HEADER_REQUIRES_SIGNATURE = "Authorization header requires 'Signature' parameter."
_MSG_HEADER_REQUIRES_SIGNED_HEADERS = "Authorization header requires 'SignedHeaders' parameter."
_MSG_HEADER_REQUIRES_DATE = (
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
)
_MSG_QUERY_REEXAMINE = "Re-examine the query-string parameters."

_UNSIGNED_BODY_HASHES = frozenset({UNSIGNED_PAYLOAD})
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# Characters that stand for themselves in a canonical query component (RFC 3986 unreserved).
_CANONICAL_COMPONENT = re.compile(r"[A-Za-z0-9\-_.~]*")
_AUTH_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True, slots=True)
class IncomingRequest:
    """An HTTP request exactly as it arrived.

    ``raw_path`` is the request target's path as received, still percent-encoded and without
    the query (ASGI ``raw_path`` decoded as ASCII). ``query_string`` is the raw query string, or
    ``""``. Header names must be lower-cased; values as the HTTP parser hands them over (bytes
    decoded as latin-1, surrounding whitespace stripped); repeated headers joined with ``","``.
    """

    method: str
    raw_path: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Caller:
    """Who signed a verified request, and the scope the signature was made for."""

    access_key_id: str
    region: str
    service: str


class SigV4Error(Exception):
    """A request failed authentication; carries AWS's error code, message and HTTP status."""

    code: str
    message: str
    http_status: int

    def __init__(self, code: str, message: str, http_status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status


def _incomplete(message: str) -> SigV4Error:
    return SigV4Error(_INCOMPLETE_SIGNATURE, message, 400)


def _mismatch(message: str = _MSG_SIGNATURE_MISMATCH) -> SigV4Error:
    return SigV4Error(_SIGNATURE_DOES_NOT_MATCH, message, 403)


def derive_signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """Return the SigV4 signing key for ``secret`` scoped to ``date`` (YYYYMMDD), region, service."""
    key = hmac.digest(("AWS4" + secret).encode("utf-8"), date.encode("utf-8"), "sha256")
    key = hmac.digest(key, region.encode("utf-8"), "sha256")
    key = hmac.digest(key, service.encode("utf-8"), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


def _allow_any_region(region: str) -> bool:
    return True


@dataclass(slots=True)
class _AuthParams:
    """The signature parameters, from either the Authorization header or the query string."""

    credential: str
    signed_headers: str
    signature: str
    timestamp: str
    security_token: str | None
    expires: int | None  # presigned requests only; None means "use the clock-skew window"
    presigned: bool


class SigV4Verifier:
    """Verifies AWS SigV4 signatures (Authorization header or presigned query string).

    ``lookup_secret`` maps an access key id to its secret access key, or ``None`` if the key is
    unknown or disabled. ``is_region_allowed`` decides which credential-scope regions are
    accepted. Derived signing keys are kept in a bounded LRU keyed by (secret, date, region,
    service), so the four-HMAC derivation runs once per key per day, not once per request.
    """

    __slots__ = (
        "_is_region_allowed",
        "_lookup_secret",
        "_max_skew",
        "_service",
        "_services",
        "_signing_key",
    )

    def __init__(
        self,
        lookup_secret: Callable[[str], str | None],
        *,
        service: str = "ses",
        also_services: tuple[str, ...] = (),
        is_region_allowed: Callable[[str], bool] = _allow_any_region,
        max_skew_seconds: int = 300,
        signing_key_cache_size: int = 1024,
    ) -> None:
        if max_skew_seconds < 0:
            raise ValueError("max_skew_seconds must not be negative")
        self._lookup_secret = lookup_secret
        self._service = service
        self._services = frozenset((service, *also_services))
        self._is_region_allowed = is_region_allowed
        self._max_skew = max_skew_seconds
        self._signing_key = lru_cache(maxsize=signing_key_cache_size)(derive_signing_key)

    def verify(self, request: IncomingRequest, now: datetime) -> Caller:
        """Return the verified caller, or raise :class:`SigV4Error` as AWS would answer.

        ``now`` should be timezone-aware; a naive datetime is taken to be UTC. No exception other
        than :class:`SigV4Error` escapes for any request content.
        """
        try:
            return self._verify(request, now)
        except UnicodeError:
            # Text that has no UTF-8 form (a lone surrogate) cannot have been signed by any client.
            raise _mismatch() from None

    def _verify(self, request: IncomingRequest, now: datetime) -> Caller:
        headers = request.headers
        query_pairs, amz_params = _parse_query(request.query_string)
        authorization = headers.get("authorization")
        if authorization is not None:
            if "X-Amz-Algorithm" in amz_params:
                # Both forms of authentication at once: AWS refuses the request outright.
                raise _mismatch()
            auth = _params_from_header(authorization, headers)
        elif "X-Amz-Algorithm" in amz_params:
            auth = _params_from_query(amz_params)
        else:
            raise SigV4Error(_MISSING_AUTHENTICATION_TOKEN, _MSG_MISSING_AUTH, 403)

        signed_names = auth.signed_headers.split(";")
        if "host" not in signed_names and ":authority" not in signed_names:
            raise _mismatch(_MSG_HOST_NOT_SIGNED)
        canonical_headers = _canonical_headers(signed_names, headers)

        request_time, amz_date = _parse_timestamp(auth.timestamp)
        self._check_time(request_time, amz_date, auth.expires, _as_utc(now))

        parts = auth.credential.split("/")
        if len(parts) != 5:
            raise _incomplete(
                "Credential must have exactly 5 slash-delimited elements, "
                f"e.g. keyid/date/region/service/term, got '{auth.credential}'"
            )
        access_key_id, scope_date, region, service, terminator = parts
        self._check_scope(scope_date, region, service, terminator, amz_date)

        if auth.security_token is not None:
            # Postwarden issues no temporary credentials, so no session token can be valid.
            raise SigV4Error(_INVALID_CLIENT_TOKEN_ID, _MSG_INVALID_TOKEN, 403)
        secret = self._lookup_secret(access_key_id)
        if secret is None:
            raise SigV4Error(_INVALID_CLIENT_TOKEN_ID, _MSG_INVALID_TOKEN, 403)

        declared_hash = headers.get("x-amz-content-sha256")
        body_hash = hashlib.sha256(request.body).hexdigest() if request.body else _EMPTY_SHA256
        canonical_request = "\n".join(
            (
                request.method,
                _canonical_uri(request.raw_path),
                _canonical_query(query_pairs, drop_signature=auth.presigned),
                canonical_headers,
                auth.signed_headers,
                body_hash if declared_hash is None else declared_hash,
            )
        )
        string_to_sign = "\n".join(
            (
                ALGORITHM,
                amz_date,
                auth.credential[len(access_key_id) + 1 :],
                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
            )
        )
        key = self._signing_key(secret, scope_date, region, service)
        expected = hmac.digest(key, string_to_sign.encode("utf-8"), "sha256").hex()
        if not hmac.compare_digest(expected.encode("ascii"), auth.signature.encode("utf-8", "replace")):
            raise _mismatch()

        # The signature covers the declared hash, not the body: check the body against it.
        if (
            declared_hash is not None
            and declared_hash not in _UNSIGNED_BODY_HASHES
            and not hmac.compare_digest(declared_hash.encode("utf-8", "replace"), body_hash.encode("ascii"))
        ):
            raise SigV4Error(_CONTENT_SHA256_MISMATCH, _MSG_CONTENT_SHA256_MISMATCH, 400)
        return Caller(access_key_id=access_key_id, region=region, service=service)

    def _check_time(self, request_time: datetime, amz_date: str, expires: int | None, now: datetime) -> None:
        # Choice of error, researched against real AWS answers: for a SigV4 request whose
        # X-Amz-Date is outside the clock-skew window, SES (like SNS, SQS and STS) answers
        # 403 SignatureDoesNotMatch with "Signature expired: <req> is now earlier than <now-5min>
        # (<now> - 5 min.)" or "Signature not yet current: <req> is still later than <now+5min>
        # (<now> + 5 min.)" -- e.g. SES's own ErrorResponse quoted in aws/aws-sdk-php#1669. The
        # older "RequestExpired: Request timestamp: ... expired. It must be within 300 secs/ of
        # server time." belongs to Signature Version 3, which Postwarden does not accept.
        # RequestExpired / 400 / "Request has expired." is kept for a presigned URL used after
        # X-Amz-Date + X-Amz-Expires, the case AWS's common-errors list gives it.
        skew = timedelta(seconds=self._max_skew)
        latest = now + skew
        if request_time > latest:
            raise _mismatch(
                f"Signature not yet current: {amz_date} is still later than {_iso_basic(latest)} "
                f"({_iso_basic(now)} + {_describe_seconds(self._max_skew)}.)"
            )
        if expires is not None:
            if now > request_time + timedelta(seconds=expires):
                raise SigV4Error(_REQUEST_EXPIRED, _MSG_REQUEST_EXPIRED, 400)
            return
        earliest = now - skew
        if request_time < earliest:
            raise _mismatch(
                f"Signature expired: {amz_date} is now earlier than {_iso_basic(earliest)} "
                f"({_iso_basic(now)} - {_describe_seconds(self._max_skew)}.)"
            )

    def _check_scope(
        self, scope_date: str, region: str, service: str, terminator: str, amz_date: str
    ) -> None:
        # AWS reports every scope problem at once, each sentence followed by a space.
        problems: list[str] = []
        if not self._is_region_allowed(region):
            problems.append(f"Credential should be scoped to a valid region, not '{region}'. ")
        if service not in self._services:
            problems.append(f"Credential should be scoped to correct service: '{self._service}'. ")
        if terminator != _TERMINATOR:
            problems.append(
                f"Credential should be scoped with a valid terminator: '{_TERMINATOR}', not '{terminator}'. "
            )
        if scope_date != amz_date[:8]:
            problems.append(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{scope_date}' != '{amz_date[:8]}', from '{amz_date}'. "
            )
        if problems:
            raise _mismatch("".join(problems))


# --- Parsing the signature parameters -----------------------------------------------------------


def _params_from_header(authorization: str, headers: Mapping[str, str]) -> _AuthParams:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    fields: dict[str, str] = {}
    for token in _AUTH_SEPARATORS.split(rest):
        if not token:
            continue
        name, equals, value = token.partition("=")
        if not equals:
            raise _incomplete(
                f"'{token}' not a valid key=value pair (missing equal-sign) "
                f"in Authorization header: '{authorization}'."
            )
        fields[name] = value  # a repeated field: the last one wins, as at AWS

    timestamp = headers.get("x-amz-date")
    if timestamp is None:
        timestamp = headers.get("date")
    credential = fields.get("Credential")
    signature = fields.get("Signature")
    signed_headers = fields.get("SignedHeaders")
    if credential is None or signature is None or signed_headers is None or timestamp is None:
        missing = []
        if credential is None:
            missing.append(_MSG_HEADER_REQUIRES_CREDENTIAL)
        if signature is None:
            missing.append(_MSG_HEADER_REQUIRES_SIGNATURE)
        if signed_headers is None:
            missing.append(_MSG_HEADER_REQUIRES_SIGNED_HEADERS)
        if timestamp is None:
            missing.append(_MSG_HEADER_REQUIRES_DATE)
        raise _incomplete(f"{' '.join(missing)} Authorization={authorization}")
    return _AuthParams(
        credential=credential,
        signed_headers=signed_headers,
        signature=signature,
        timestamp=timestamp,
        security_token=headers.get("x-amz-security-token"),
        expires=None,
        presigned=False,
    )


def _params_from_query(params: Mapping[str, str]) -> _AuthParams:
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise SigV4Error(_MISSING_AUTHENTICATION_TOKEN, _MSG_MISSING_AUTH, 403)
    credential = params.get("X-Amz-Credential")
    signature = params.get("X-Amz-Signature")
    signed_headers = params.get("X-Amz-SignedHeaders")
    timestamp = params.get("X-Amz-Date")
    if credential is None or signature is None or signed_headers is None or timestamp is None:
        missing = [
            f"AWS query-string parameters must include '{name}'."
            for name, value in (
                ("X-Amz-Credential", credential),
                ("X-Amz-Signature", signature),
                ("X-Amz-SignedHeaders", signed_headers),
                ("X-Amz-Date", timestamp),
            )
            if value is None
        ]
        raise _incomplete(f"{' '.join(missing)} {_MSG_QUERY_REEXAMINE}")
    return _AuthParams(
        credential=credential,
        signed_headers=signed_headers,
        signature=signature,
        timestamp=timestamp,
        security_token=params.get("X-Amz-Security-Token"),
        expires=_parse_expires(params.get("X-Amz-Expires")),
        presigned=True,
    )


def _parse_expires(raw: str | None) -> int | None:
    # AWS's texts for a bad X-Amz-Expires (those of S3, the service that documents them).
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()):
        if raw.startswith("-") and raw[1:].isascii() and raw[1:].isdigit():
            raise _incomplete("X-Amz-Expires must be non-negative")
        raise _incomplete("X-Amz-Expires should be a number")
    expires = int(raw)
    if expires > _MAX_PRESIGN_EXPIRES:
        raise _incomplete(
            "X-Amz-Expires must be less than a week (in seconds); that is, "
            f"the given X-Amz-Expires must be less than {_MAX_PRESIGN_EXPIRES} seconds"
        )
    return expires


def _parse_timestamp(raw: str) -> tuple[datetime, str]:
    """Parse X-Amz-Date (ISO 8601 basic) or an HTTP Date header; return it and its basic form."""
    if len(raw) == 16 and raw[8] == "T" and raw[15] == "Z":
        digits = raw[:8] + raw[9:15]
        if digits.isascii() and digits.isdigit():
            try:
                parsed = datetime(
                    int(raw[0:4]),
                    int(raw[4:6]),
                    int(raw[6:8]),
                    int(raw[9:11]),
                    int(raw[11:13]),
                    int(raw[13:15]),
                    tzinfo=UTC,
                )
            except ValueError:
                pass
            else:
                return parsed, raw
    # Otherwise an HTTP Date header (RFC 7231 / RFC 2822 form, as botocore writes it).
    try:
        parsed = _as_utc(parsedate_to_datetime(raw))
    except (TypeError, ValueError, IndexError, OverflowError):
        raise _incomplete(
            f"Date must be in ISO-8601 'basic format'. Got '{raw}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ) from None
    return parsed, _iso_basic(parsed)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _iso_basic(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _describe_seconds(seconds: int) -> str:
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} sec"


# --- Canonical request ----------------------------------------------------------------------------


def _canonical_component(raw: str) -> tuple[str, bytes]:
    """Return (canonical encoding, decoded bytes) of one query-string name or value."""
    if _CANONICAL_COMPONENT.fullmatch(raw):
        return raw, raw.encode("ascii")
    # "+" is a space, as form decoding (and so the request handlers) read it: the signature then
    # covers the value the handler acts on, and "+" cannot be swapped for "%2B" unnoticed.
    decoded = unquote_to_bytes(raw.replace("+", " "))
    return quote(decoded, safe="-_.~"), decoded


def _parse_query(query_string: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Split the raw query into canonical (name, value) pairs, and decode the X-Amz-* parameters."""
    pairs: list[tuple[str, str]] = []
    amz: dict[str, str] = {}
    if not query_string:
        return pairs, amz
    for segment in query_string.split("&"):
        if not segment:
            continue
        raw_name, _, raw_value = segment.partition("=")
        name, _ = _canonical_component(raw_name)
        value, decoded_value = _canonical_component(raw_value)
        pairs.append((name, value))
        if name.startswith("X-Amz-") and name not in amz:  # the first occurrence wins
            amz[name] = decoded_value.decode("utf-8", "replace")
    return pairs, amz


def _canonical_query(pairs: list[tuple[str, str]], *, drop_signature: bool) -> str:
    if not pairs:
        return ""
    if drop_signature:
        pairs = [pair for pair in pairs if pair[0] != "X-Amz-Signature"]
    # Sorted by encoded name, then (for repeated names) by encoded value.
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _canonical_uri(raw_path: str) -> str:
    if not raw_path:
        return "/"
    if raw_path[0] != "/" or "//" in raw_path or "/." in raw_path:
        raw_path = _remove_dot_segments(raw_path)
    return quote(raw_path, safe="/~")


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 section 5.2.4, plus the collapsing of empty segments AWS services require.
    segments: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if segments:
                segments.pop()
        else:
            segments.append(segment)
    leading = "/" if path[0] == "/" else ""
    trailing = "/" if path[-1] == "/" and segments else ""
    return leading + "/".join(segments) + trailing


def _canonical_headers(signed_names: list[str], headers: Mapping[str, str]) -> str:
    lines = []
    for name in signed_names:
        lowered = name.lower()
        # An HTTP/2 client may sign the pseudo-header; the HTTP layer hands it over as Host.
        value = headers.get("host" if lowered == ":authority" else lowered)
        if value is None:
            raise _incomplete(
                f"'{name}' is named as a SignedHeader, but it does not exist in the HTTP request."
            )
        lines.append(f"{name}:{' '.join(value.split())}\n")
    return "".join(lines)
