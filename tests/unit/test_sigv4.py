"""SigV4 verification against requests signed by botocore itself, and AWS's published vectors."""

from __future__ import annotations

import contextlib
import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch
from urllib.parse import urlsplit

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.credentials import Credentials

from postwarden.api.sigv4 import (
    Caller,
    IncomingRequest,
    SigV4Error,
    SigV4Verifier,
    derive_signing_key,
)

AKID = "AKIAPOSTWARDEN000001"
SECRET = "pw/Secret+Access/KeyForPostwardenTests00"
ENDPOINT = "https://email.us-east-1.amazonaws.com"
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
ENCODED_IDENTITY_PATH = "/v2/email/identities/user%2Btag%40example.com"

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."


# --- Helpers: sign with botocore, hand the verifier what the wire carried -------------------------


def incoming(prepared: AWSPreparedRequest) -> IncomingRequest:
    """The request as Postwarden's HTTP layer would hand it over."""
    url = urlsplit(prepared.url)
    headers: dict[str, str] = {}
    for name, value in prepared.headers.items():
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        key = name.lower()
        headers[key] = f"{headers[key]},{text}" if key in headers else text
    headers.setdefault("host", url.netloc)  # urllib3 sends Host from the URL
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    return IncomingRequest(
        method=prepared.method,
        raw_path=url.path,
        query_string=url.query,
        headers=headers,
        body=body,
    )


def sign(
    method: str,
    path: str,
    *,
    data: bytes | str | dict[str, str] = b"",
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    at: datetime = NOW,
    secret: str = SECRET,
    token: str | None = None,
    service: str = "ses",
    region: str = "us-east-1",
    presign_expires: int | None = None,
) -> IncomingRequest:
    """Sign a request with botocore's own signer, its clock frozen at ``at``."""
    request = AWSRequest(
        method=method, url=ENDPOINT + path, data=data, headers=dict(headers or {}), params=params
    )
    credentials = Credentials(AKID, secret, token)
    signer: SigV4Auth
    if presign_expires is None:
        signer = SigV4Auth(credentials, service, region)
    else:
        signer = SigV4QueryAuth(credentials, service, region, expires=presign_expires)
    with patch.object(botocore.auth, "get_current_datetime", return_value=at.replace(tzinfo=None)):
        signer.add_auth(request)
    return incoming(request.prepare())


class _Sent(Exception):
    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


@pytest.fixture
def isolated_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))


def client(service_name: str) -> Any:
    return boto3.client(
        service_name,
        region_name="us-east-1",
        endpoint_url=ENDPOINT,
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
    )


def sent_by_boto3(service_name: str, operation: str, **params: Any) -> IncomingRequest:
    """Run a real boto3 call and capture the request at the moment it would go on the wire."""
    aws = client(service_name)

    def stop(request: AWSPreparedRequest, **_: Any) -> None:
        raise _Sent(request)

    aws.meta.events.register("before-send", stop)
    with (
        patch.object(botocore.auth, "get_current_datetime", return_value=NOW.replace(tzinfo=None)),
        pytest.raises(_Sent) as sent,
    ):
        getattr(aws, operation)(**params)
    return incoming(sent.value.request)


def presigned_by_boto3(service_name: str, operation: str, expires: int, **params: Any) -> IncomingRequest:
    """A URL from ``generate_presigned_url``; it is signed for the operation's own HTTP method."""
    aws = client(service_name)
    with patch.object(botocore.auth, "get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        url = urlsplit(aws.generate_presigned_url(operation, Params=params, ExpiresIn=expires))
    method = aws.meta.service_model.operation_model(aws.meta.method_to_api_mapping[operation]).http["method"]
    return IncomingRequest(method, url.path, url.query, {"host": url.netloc}, b"")


def verifier(secrets: Mapping[str, str] | None = None, **options: Any) -> SigV4Verifier:
    known = {AKID: SECRET} if secrets is None else dict(secrets)
    return SigV4Verifier(known.get, **options)


def with_headers(request: IncomingRequest, **changes: str | None) -> IncomingRequest:
    headers = dict(request.headers)
    for name, value in changes.items():
        key = name.replace("_", "-")
        if value is None:
            headers.pop(key, None)
        else:
            headers[key] = value
    return replace(request, headers=headers)


def refusal(request: IncomingRequest, now: datetime = NOW, **options: Any) -> SigV4Error:
    with pytest.raises(SigV4Error) as refused:
        verifier(**options).verify(request, now)
    return refused.value


def assert_refused(
    request: IncomingRequest, code: str, status: int, message: str, now: datetime = NOW, **options: Any
) -> None:
    error = refusal(request, now, **options)
    assert (error.code, error.http_status, error.message) == (code, status, message)


CALLER = Caller(access_key_id=AKID, region="us-east-1", service="ses")


# --- Requests that verify ------------------------------------------------------------------------


def test_v2_get_with_an_encoded_path_segment() -> None:
    request = sign("GET", ENCODED_IDENTITY_PATH)
    assert request.raw_path == ENCODED_IDENTITY_PATH
    assert verifier().verify(request, NOW) == CALLER


def test_v2_post_json_body() -> None:
    body = b'{"FromEmailAddress":"sender@example.com","Content":{"Simple":{"Subject":{"Data":"Hi"}}}}'
    request = sign(
        "POST", "/v2/email/outbound-emails", data=body, headers={"Content-Type": "application/json"}
    )
    assert "content-type" in request.headers["authorization"]
    assert verifier().verify(request, NOW) == CALLER


def test_v2_get_with_repeated_query_keys_and_values_needing_encoding() -> None:
    query = "Reason=BOUNCE&Reason=COMPLAINT&NextToken=a%20b%2Fc%2Bd%3D%C3%A9&PageSize=10"
    request = sign("GET", "/v2/email/suppression/addresses?" + query)
    assert request.query_string == query
    assert verifier().verify(request, NOW) == CALLER


def test_query_params_botocore_sends_with_plus_for_space() -> None:
    # AWSRequest.params go on the wire form-encoded ("+" for a space) and are signed as "%20".
    request = sign(
        "GET", "/v2/email/suppression/addresses", params={"NextToken": "a b+c", "Reason": "BOUNCE"}
    )
    assert "NextToken=a+b%2Bc" in request.query_string
    assert verifier().verify(request, NOW) == CALLER


def test_v1_form_post() -> None:
    form = {"Action": "GetSendQuota", "Version": "2010-12-01"}
    request = sign("POST", "/", data=form)
    assert request.body == b"Action=GetSendQuota&Version=2010-12-01"
    assert verifier().verify(request, NOW) == CALLER


def test_request_dated_by_the_date_header_instead_of_x_amz_date() -> None:
    request = sign("GET", "/v2/email/account", headers={"Date": "placeholder"})
    assert "x-amz-date" not in request.headers
    assert request.headers["date"] == "Thu, 26 Nov 2026 12:00:00 -0000"
    assert verifier().verify(request, NOW) == CALLER


def test_declared_payload_hash_matching_the_body() -> None:
    body = b'{"EmailIdentity":"example.com"}'
    declared = hashlib.sha256(body).hexdigest()
    request = sign("POST", "/v2/email/identities", data=body, headers={"X-Amz-Content-SHA256": declared})
    assert verifier().verify(request, NOW) == CALLER


def test_unsigned_payload() -> None:
    request = sign(
        "POST", "/v2/email/identities", data=b"{}", headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    )
    assert verifier().verify(replace(request, body=b'{"anything": 1}'), NOW) == CALLER


def test_presigned_url() -> None:
    request = sign("GET", "/v2/email/account", presign_expires=300)
    assert "authorization" not in request.headers
    assert "X-Amz-Signature=" in request.query_string
    assert verifier().verify(request, NOW) == CALLER
    assert verifier().verify(request, NOW + timedelta(seconds=300)) == CALLER


def test_presigned_url_is_good_for_its_whole_lifetime_not_just_the_skew_window() -> None:
    request = sign("GET", "/v2/email/account", presign_expires=3600)
    assert verifier().verify(request, NOW + timedelta(minutes=59)) == CALLER


def test_presigned_v1_url_keeps_the_operation_in_the_query() -> None:
    request = sign("GET", "/", data={"Action": "GetSendQuota", "Version": "2010-12-01"}, presign_expires=60)
    assert request.query_string.startswith("Action=GetSendQuota&Version=2010-12-01&X-Amz-Algorithm=")
    assert verifier().verify(request, NOW) == CALLER


def test_clock_skew_boundaries_are_inclusive() -> None:
    assert verifier().verify(sign("GET", "/v2/email/account", at=NOW - timedelta(minutes=5)), NOW) == CALLER
    assert verifier().verify(sign("GET", "/v2/email/account", at=NOW + timedelta(minutes=5)), NOW) == CALLER


def test_naive_now_is_taken_as_utc() -> None:
    assert verifier().verify(sign("GET", "/v2/email/account"), NOW.replace(tzinfo=None)) == CALLER


def test_signing_keys_are_derived_once_per_scope() -> None:
    calls: list[str] = []

    def lookup(access_key_id: str) -> str | None:
        calls.append(access_key_id)
        return SECRET if access_key_id == AKID else None

    checker = SigV4Verifier(lookup, signing_key_cache_size=2)
    for _ in range(3):
        checker.verify(sign("GET", "/v2/email/account"), NOW)
    info = checker._signing_key.cache_info()
    assert (info.misses, info.hits, info.maxsize) == (1, 2, 2)
    assert calls == [AKID] * 3  # the secret is still looked up every time: revocation is immediate


# --- Requests made by real boto3 clients ---------------------------------------------------------


@pytest.mark.usefixtures("isolated_aws_env")
class TestRealClients:
    def test_sesv2_get_email_identity_with_plus_and_at(self) -> None:
        request = sent_by_boto3("sesv2", "get_email_identity", EmailIdentity="user+tag@example.com")
        assert request.raw_path == ENCODED_IDENTITY_PATH
        assert verifier().verify(request, NOW) == CALLER

    def test_sesv2_list_suppressed_destinations_with_repeated_reasons(self) -> None:
        request = sent_by_boto3(
            "sesv2", "list_suppressed_destinations", Reasons=["BOUNCE", "COMPLAINT"], NextToken="a b/c+d=é"
        )
        assert request.query_string.startswith("Reason=BOUNCE&Reason=COMPLAINT&NextToken=")
        assert verifier().verify(request, NOW) == CALLER

    def test_sesv2_send_email(self) -> None:
        request = sent_by_boto3(
            "sesv2",
            "send_email",
            FromEmailAddress="sender@example.com",
            Destination={"ToAddresses": ["rcpt@example.com"]},
            Content={"Simple": {"Subject": {"Data": "Hello"}, "Body": {"Text": {"Data": "Body"}}}},
        )
        assert request.method == "POST"
        assert verifier().verify(request, NOW) == CALLER

    def test_ses_v1_send_email_form_post(self) -> None:
        request = sent_by_boto3(
            "ses",
            "send_email",
            Source="sender@example.com",
            Destination={"ToAddresses": ["rcpt@example.com"]},
            Message={"Subject": {"Data": "Hello there"}, "Body": {"Text": {"Data": "x+y"}}},
        )
        assert request.raw_path == "/"
        assert request.body.startswith(b"Action=SendEmail&Version=2010-12-01&")
        assert verifier().verify(request, NOW) == CALLER

    def test_sesv2_presigned_url(self) -> None:
        request = presigned_by_boto3("sesv2", "get_account", 300)
        assert verifier().verify(request, NOW) == CALLER

    def test_ses_v1_presigned_url(self) -> None:
        request = presigned_by_boto3("ses", "get_send_quota", 300)
        assert (request.method, request.raw_path) == ("POST", "/")
        assert request.query_string.startswith("Action=GetSendQuota&Version=2010-12-01&")
        assert verifier().verify(request, NOW) == CALLER


# --- AWS's published SigV4 test suite: proof that the verifier does not lean on botocore ----------

SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_NOW = datetime(2015, 8, 30, 12, 36, 0, tzinfo=UTC)


def suite_request(
    signature: str,
    *,
    method: str = "GET",
    path: str = "/",
    query: str = "",
    extra_headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> IncomingRequest:
    headers = {"host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z", **(extra_headers or {})}
    signed = ";".join(sorted(headers))
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        f"SignedHeaders={signed}, Signature={signature}"
    )
    return IncomingRequest(method, path, query, headers, body)


SUITE_VECTORS: dict[str, IncomingRequest] = {
    "get-vanilla": suite_request("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    "post-vanilla": suite_request(
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", method="POST"
    ),
    "get-unreserved": suite_request(
        "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
        path="/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    ),
    "get-slashes": suite_request(
        "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84", path="//example//"
    ),
    "get-vanilla-query-order-key-case": suite_request(
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        query="Param2=value2&Param1=value1",
    ),
    "get-vanilla-query-order-value": suite_request(
        "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
        query="Param1=value2&Param1=value1",
    ),
    "get-vanilla-utf8-query": suite_request(
        "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04", query="%E1%88%B4=bar"
    ),
    "get-header-value-trim": suite_request(
        "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        extra_headers={"my-header1": "value1", "my-header2": '"a   b   c"'},
    ),
    "get-header-key-duplicate": suite_request(
        "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
        extra_headers={"my-header1": "value2,value2,value1"},
    ),
    "get-header-value-order": suite_request(
        "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
        extra_headers={"my-header1": "value4,value1,value3,value2"},
    ),
    "post-x-www-form-urlencoded": suite_request(
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
        method="POST",
        extra_headers={"content-type": "application/x-www-form-urlencoded"},
        body=b"Param1=value1",
    ),
}


@pytest.mark.parametrize("name", sorted(SUITE_VECTORS))
def test_aws_sigv4_test_suite_vector(name: str) -> None:
    checker = SigV4Verifier({"AKIDEXAMPLE": SUITE_SECRET}.get, service="service")
    assert checker.verify(SUITE_VECTORS[name], SUITE_NOW) == Caller("AKIDEXAMPLE", "us-east-1", "service")


def test_aws_sigv4_test_suite_vector_with_one_byte_changed_fails() -> None:
    request = SUITE_VECTORS["get-vanilla-query-order-key-case"]
    checker = SigV4Verifier({"AKIDEXAMPLE": SUITE_SECRET}.get, service="service")
    with pytest.raises(SigV4Error) as refused:
        checker.verify(replace(request, query_string="Param2=value2&Param1=value2"), SUITE_NOW)
    assert refused.value.code == "SignatureDoesNotMatch"


def test_aws_session_token_vector_is_refused_although_its_signature_is_right() -> None:
    token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
    request = suite_request(
        "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
        extra_headers={"x-amz-security-token": token},
    )
    checker = SigV4Verifier({"AKIDEXAMPLE": SUITE_SECRET}.get, service="service")
    with pytest.raises(SigV4Error) as refused:
        checker.verify(request, SUITE_NOW)
    assert (refused.value.code, refused.value.http_status) == ("InvalidClientTokenId", 403)


def test_derive_signing_key_matches_the_aws_documentation_example() -> None:
    # "Deriving the signing key" example of the AWS General Reference (IAM, 2012-02-15).
    key = derive_signing_key(SUITE_SECRET, "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


# --- Tampering and wrong keys ---------------------------------------------------------------------


def json_post() -> IncomingRequest:
    return sign(
        "POST",
        "/v2/email/outbound-emails",
        data=b'{"FromEmailAddress":"sender@example.com"}',
        headers={"Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda r: replace(r, body=b'{"FromEmailAddress":"attacker@example.com"}'), id="body"),
        pytest.param(lambda r: replace(r, raw_path="/v2/email/outbound-emails/"), id="path"),
        pytest.param(lambda r: replace(r, method="PUT"), id="method"),
        pytest.param(lambda r: replace(r, query_string="dryRun=true"), id="query"),
        pytest.param(lambda r: with_headers(r, content_type="text/plain"), id="signed-header"),
        pytest.param(lambda r: with_headers(r, host="evil.example.com"), id="host"),
        pytest.param(lambda r: with_headers(r, x_amz_date="20261126T120001Z"), id="timestamp"),
    ],
)
def test_tampered_request(tamper: Callable[[IncomingRequest], IncomingRequest]) -> None:
    assert_refused(tamper(json_post()), "SignatureDoesNotMatch", 403, SIGNATURE_MISMATCH)


def test_unsigned_header_may_change() -> None:
    request = with_headers(json_post(), user_agent="something else")
    assert verifier().verify(request, NOW) == CALLER


def test_tampered_encoded_path_segment() -> None:
    request = sign("GET", ENCODED_IDENTITY_PATH)
    assert_refused(
        replace(request, raw_path="/v2/email/identities/user%2Btag%40example.org"),
        "SignatureDoesNotMatch",
        403,
        SIGNATURE_MISMATCH,
    )


def test_decoded_path_does_not_verify_because_the_path_is_signed_double_encoded() -> None:
    request = sign("GET", ENCODED_IDENTITY_PATH)
    assert_refused(
        replace(request, raw_path="/v2/email/identities/user+tag@example.com"),
        "SignatureDoesNotMatch",
        403,
        SIGNATURE_MISMATCH,
    )


def test_tampered_repeated_query_values() -> None:
    request = sign("GET", "/v2/email/suppression/addresses?Reason=BOUNCE&Reason=COMPLAINT")
    assert_refused(
        replace(request, query_string="Reason=BOUNCE"), "SignatureDoesNotMatch", 403, SIGNATURE_MISMATCH
    )


def test_literal_plus_cannot_stand_in_for_a_signed_space() -> None:
    request = sign("GET", "/v2/email/suppression/addresses?NextToken=a%2Bb")
    assert_refused(
        replace(request, query_string="NextToken=a+b"), "SignatureDoesNotMatch", 403, SIGNATURE_MISMATCH
    )


def test_tampered_presigned_url() -> None:
    request = sign("GET", "/v2/email/account", presign_expires=300)
    assert_refused(
        replace(request, raw_path="/v2/email/identities"), "SignatureDoesNotMatch", 403, SIGNATURE_MISMATCH
    )


def test_wrong_secret() -> None:
    assert_refused(
        json_post(), "SignatureDoesNotMatch", 403, SIGNATURE_MISMATCH, secrets={AKID: SECRET + "x"}
    )


def test_unknown_access_key() -> None:
    assert_refused(json_post(), "InvalidClientTokenId", 403, INVALID_TOKEN, secrets={"AKIAOTHER": SECRET})


# --- Missing or malformed authentication ---------------------------------------------------------


def test_missing_authorization() -> None:
    request = with_headers(json_post(), authorization=None)
    assert_refused(request, "MissingAuthenticationToken", 403, "Request is missing Authentication Token")


def test_unsupported_algorithm() -> None:
    request = with_headers(json_post(), authorization="AWS AKIAPOSTWARDEN000001:c2lnbmF0dXJl")
    assert_refused(request, "IncompleteSignature", 400, "Unsupported AWS 'algorithm': 'AWS'.")


def authorization_without(request: IncomingRequest, field: str) -> str:
    parts = request.headers["authorization"].removeprefix("AWS4-HMAC-SHA256 ").split(", ")
    return "AWS4-HMAC-SHA256 " + ", ".join(part for part in parts if not part.startswith(field + "="))


@pytest.mark.parametrize("field", ["Credential", "SignedHeaders", "Signature"])
def test_authorization_missing_a_part(field: str) -> None:
    header = authorization_without(json_post(), field)
    assert_refused(
        with_headers(json_post(), authorization=header),
        "IncompleteSignature",
        400,
        f"Authorization header requires '{field}' parameter. Authorization={header}",
    )


def test_authorization_missing_everything_and_no_date() -> None:
    request = with_headers(json_post(), authorization="AWS4-HMAC-SHA256", x_amz_date=None)
    assert_refused(
        request,
        "IncompleteSignature",
        400,
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256",
    )


def test_authorization_part_without_equal_sign() -> None:
    header = json_post().headers["authorization"].replace("Credential=", "Credential= ")
    credential_scope = f"{AKID}/20261126/us-east-1/ses/aws4_request"
    assert_refused(
        with_headers(json_post(), authorization=header),
        "IncompleteSignature",
        400,
        f"'{credential_scope}' not a valid key=value pair (missing equal-sign) "
        f"in Authorization header: '{header}'.",
    )


def test_missing_date() -> None:
    request = with_headers(json_post(), x_amz_date=None)
    assert_refused(
        request,
        "IncompleteSignature",
        400,
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={request.headers['authorization']}",
    )


@pytest.mark.parametrize("value", ["yesterday", "2026-11-26T12:00:00Z", "20261326T120000Z"])
def test_unparseable_date(value: str) -> None:
    assert_refused(
        with_headers(json_post(), x_amz_date=value),
        "IncompleteSignature",
        400,
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601",
    )


def test_credential_without_five_parts() -> None:
    header = json_post().headers["authorization"].replace("/aws4_request", "")
    assert_refused(
        with_headers(json_post(), authorization=header),
        "IncompleteSignature",
        400,
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
        f"got '{AKID}/20261126/us-east-1/ses'",
    )


def test_host_must_be_signed() -> None:
    header = json_post().headers["authorization"].replace("content-type;host;x-amz-date", "x-amz-date")
    assert_refused(
        with_headers(json_post(), authorization=header),
        "SignatureDoesNotMatch",
        403,
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    )


def test_signed_header_absent_from_the_request() -> None:
    assert_refused(
        with_headers(json_post(), content_type=None),
        "IncompleteSignature",
        400,
        "'content-type' is named as a SignedHeader, but it does not exist in the HTTP request.",
    )


def test_header_and_query_authentication_together() -> None:
    request = json_post()
    request = replace(request, query_string="X-Amz-Algorithm=AWS4-HMAC-SHA256")
    assert_refused(request, "SignatureDoesNotMatch", 403, SIGNATURE_MISMATCH)


# --- Credential scope ---------------------------------------------------------------------------


def test_wrong_service() -> None:
    assert_refused(
        sign("GET", "/v2/email/account", service="email"),
        "SignatureDoesNotMatch",
        403,
        "Credential should be scoped to correct service: 'ses'. ",
    )


def test_disallowed_region() -> None:
    assert_refused(
        sign("GET", "/v2/email/account", region="eu-west-1"),
        "SignatureDoesNotMatch",
        403,
        "Credential should be scoped to a valid region, not 'eu-west-1'. ",
        is_region_allowed={"us-east-1"}.__contains__,
    )


def test_allowed_other_region() -> None:
    request = sign("GET", "/v2/email/account", region="eu-west-1")
    checker = verifier(is_region_allowed={"us-east-1", "eu-west-1"}.__contains__)
    assert checker.verify(request, NOW) == Caller(AKID, "eu-west-1", "ses")


def test_scope_date_not_matching_x_amz_date() -> None:
    request = sign("GET", "/v2/email/account", at=NOW.replace(hour=0, minute=1))
    request = with_headers(request, x_amz_date="20261125T235959Z")
    assert_refused(
        request,
        "SignatureDoesNotMatch",
        403,
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'20261126' != '20261125', from '20261125T235959Z'. ",
        now=NOW.replace(hour=0, minute=1),
    )


def test_every_scope_problem_is_reported_at_once() -> None:
    header = (
        json_post().headers["authorization"].replace("/us-east-1/ses/aws4_request", "/mars-1/s3/aws5_request")
    )
    assert_refused(
        with_headers(json_post(), authorization=header),
        "SignatureDoesNotMatch",
        403,
        "Credential should be scoped to a valid region, not 'mars-1'. "
        "Credential should be scoped to correct service: 'ses'. "
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
        is_region_allowed=lambda region: region.startswith(("us-", "eu-")),
    )


# --- Time -----------------------------------------------------------------------------------------


def test_request_six_minutes_old() -> None:
    assert_refused(
        sign("GET", "/v2/email/account", at=NOW - timedelta(minutes=6)),
        "SignatureDoesNotMatch",
        403,
        "Signature expired: 20261126T115400Z is now earlier than 20261126T115500Z "
        "(20261126T120000Z - 5 min.)",
    )


def test_request_six_minutes_in_the_future() -> None:
    assert_refused(
        sign("GET", "/v2/email/account", at=NOW + timedelta(minutes=6)),
        "SignatureDoesNotMatch",
        403,
        "Signature not yet current: 20261126T120600Z is still later than 20261126T120500Z "
        "(20261126T120000Z + 5 min.)",
    )


def test_skew_window_in_seconds_is_described_in_seconds() -> None:
    assert_refused(
        sign("GET", "/v2/email/account", at=NOW - timedelta(seconds=91)),
        "SignatureDoesNotMatch",
        403,
        "Signature expired: 20261126T115829Z is now earlier than 20261126T115830Z "
        "(20261126T120000Z - 90 sec.)",
        max_skew_seconds=90,
    )


def test_presigned_url_expired() -> None:
    request = sign("GET", "/v2/email/account", presign_expires=300)
    assert_refused(request, "RequestExpired", 400, "Request has expired.", now=NOW + timedelta(seconds=301))


def test_presigned_url_from_the_future() -> None:
    request = sign("GET", "/v2/email/account", presign_expires=300, at=NOW + timedelta(minutes=6))
    assert_refused(
        request,
        "SignatureDoesNotMatch",
        403,
        "Signature not yet current: 20261126T120600Z is still later than 20261126T120500Z "
        "(20261126T120000Z + 5 min.)",
    )


def presigned_query(**changes: str | None) -> str:
    params = dict(
        pair.split("=", 1) for pair in sign("GET", "/", presign_expires=300).query_string.split("&")
    )
    for name, value in changes.items():
        key = name.replace("_", "-")
        if value is None:
            params.pop(key)
        else:
            params[key] = value
    return "&".join(f"{name}={value}" for name, value in params.items())


def test_presigned_url_missing_parameters() -> None:
    query = presigned_query(X_Amz_Credential=None, X_Amz_Date=None)
    assert_refused(
        IncomingRequest("GET", "/", query, {"host": "email.us-east-1.amazonaws.com"}, b""),
        "IncompleteSignature",
        400,
        "AWS query-string parameters must include 'X-Amz-Credential'. "
        "AWS query-string parameters must include 'X-Amz-Date'. "
        "Re-examine the query-string parameters.",
    )


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("soon", "X-Amz-Expires should be a number"),
        ("-5", "X-Amz-Expires must be non-negative"),
        (
            "604801",
            "X-Amz-Expires must be less than a week (in seconds); that is, "
            "the given X-Amz-Expires must be less than 604800 seconds",
        ),
    ],
)
def test_presigned_url_with_bad_expires(expires: str, message: str) -> None:
    query = presigned_query(X_Amz_Expires=expires)
    request = IncomingRequest("GET", "/", query, {"host": "email.us-east-1.amazonaws.com"}, b"")
    assert_refused(request, "IncompleteSignature", 400, message)


def test_presigned_url_with_another_algorithm_is_not_authentication() -> None:
    query = presigned_query(X_Amz_Algorithm="AWS4-HMAC-SHA512")
    request = IncomingRequest("GET", "/", query, {"host": "email.us-east-1.amazonaws.com"}, b"")
    assert_refused(request, "MissingAuthenticationToken", 403, "Request is missing Authentication Token")


# --- Payload hash and session tokens --------------------------------------------------------------


def test_x_amz_content_sha256_not_matching_the_body() -> None:
    body = b'{"EmailIdentity":"example.com"}'
    declared = hashlib.sha256(body).hexdigest()
    request = sign("POST", "/v2/email/identities", data=body, headers={"X-Amz-Content-SHA256": declared})
    assert_refused(
        replace(request, body=b'{"EmailIdentity":"attacker.example"}'),
        "XAmzContentSHA256Mismatch",
        400,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    )


def test_security_token_in_header() -> None:
    request = sign("GET", "/v2/email/account", token="IQoJb3JpZ2luX2VjEXAMPLETOKEN")
    assert request.headers["x-amz-security-token"] == "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
    assert_refused(request, "InvalidClientTokenId", 403, INVALID_TOKEN)


def test_security_token_in_presigned_url() -> None:
    request = sign("GET", "/v2/email/account", token="IQoJb3JpZ2luX2VjEXAMPLETOKEN", presign_expires=300)
    assert "X-Amz-Security-Token=" in request.query_string
    assert_refused(request, "InvalidClientTokenId", 403, INVALID_TOKEN)


# --- Robustness: hostile input yields SigV4Error, never another exception ------------------------


def test_text_without_a_utf8_form_is_a_signature_mismatch() -> None:
    request = replace(json_post(), raw_path="/v2/email/outbound-emails\udcff")
    assert_refused(request, "SignatureDoesNotMatch", 403, SIGNATURE_MISMATCH)


def test_mangled_requests_only_ever_raise_sigv4_error() -> None:
    rng = random.Random(20261126)
    pieces = [
        *"aZ09 %+=&/;,.:-_~\t\x00\xe9\u1234\ud800",
        "%zz",
        "..",
        "//",
        "Credential=",
        "Signature=",
        "X-Amz-",
    ]
    originals = [json_post(), sign("GET", "/v2/email/account?a=b&c", presign_expires=300)]

    def mangle(text: str) -> str:
        chars = list(text)
        for _ in range(rng.randint(1, 4)):
            at = rng.randint(0, len(chars))
            if rng.random() < 0.5 and chars:
                del chars[min(at, len(chars) - 1)]
            else:
                chars[at:at] = rng.choice(pieces)
        return "".join(chars)

    checker = verifier()
    for _ in range(3000):
        request = rng.choice(originals)
        field = rng.choice(
            ["raw_path", "query_string", "authorization", "x-amz-date", "host", "x-amz-content-sha256"]
        )
        if field in ("raw_path", "query_string"):
            request = replace(request, **{field: mangle(getattr(request, field))})
        else:
            request = with_headers(
                request, **{field.replace("-", "_"): mangle(request.headers.get(field, ""))}
            )
        with contextlib.suppress(SigV4Error):
            checker.verify(request, NOW)


# --- The error type -------------------------------------------------------------------------------


def test_error_carries_code_message_and_status() -> None:
    error = SigV4Error("SignatureDoesNotMatch", "nope", 403)
    assert (error.code, error.message, error.http_status) == ("SignatureDoesNotMatch", "nope", 403)
    assert str(error) == "SignatureDoesNotMatch: nope"
