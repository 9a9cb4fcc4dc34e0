"""Custom verification email templates (v2 and v1) and SendCustomVerificationEmail: the account's own
message arrives with a link; following it verifies the address and redirects to the template's URLs."""

from __future__ import annotations

import email
import email.policy
import html
import re
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from postwarden.services.custom_verification import ContextSigner, LinkContext
from postwarden.services.links import LinkClaims, LinkSigner
from tests.support.mta import RemoteMta
from tests.support.service import Account, Service

SENDER = "welcome@example.com"
SUCCESS = "https://app.example.com/verified?lang=en"
FAILURE = "https://app.example.com/verify-failed"
CONTENT = (
    "<html><head></head><body style='font-family:sans-serif'><h1>Welcome to Brand</h1>"
    "<p>One last step: confirm your address.</p></body></html>"
)
LINK = re.compile(r'href="(http://[^"]+/verify-email/custom\?[^"]+)"')


def template(name: str, **changes: Any) -> dict[str, Any]:
    return {
        "TemplateName": name,
        "FromEmailAddress": SENDER,
        "TemplateSubject": "Please confirm your email address",
        "TemplateContent": CONTENT,
        "SuccessRedirectionURL": SUCCESS,
        "FailureRedirectionURL": FAILURE,
        **changes,
    }


def account_with_sender(service: Service, *, production: bool) -> tuple[Account, Any, Any]:
    account = service.create_account()
    service.cli("identities", "verify", account.account_id, "example.com")
    if production:
        service.cli("accounts", "set-sending", account.account_id, "--production")
    return account, service.client(account), service.client(account, "ses")


def error_of(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def open_without_redirect(url: str) -> tuple[int, str, str]:
    """(status, Location header, body)."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", ""), error.read().decode()


def received_link(mta: RemoteMta, address: str) -> tuple[email.message.EmailMessage, str]:
    (received,) = mta.wait_for(address)
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    body = message.get_body(("html",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found, body.get_content()
    return message, html.unescape(found.group(1))


def test_v2_templates_can_be_created_read_listed_updated_and_deleted(service: Service) -> None:
    _, client, _ = account_with_sender(service, production=False)
    for name in ("beta", "alpha", "gamma"):
        client.create_custom_verification_email_template(
            **template(name), Tags=[{"Key": "team", "Value": name}]
        )
    got = client.get_custom_verification_email_template(TemplateName="alpha")
    assert got["FromEmailAddress"] == SENDER and got["TemplateContent"] == CONTENT
    assert got["SuccessRedirectionURL"] == SUCCESS and got["FailureRedirectionURL"] == FAILURE
    assert got["Tags"] == [{"Key": "team", "Value": "alpha"}]

    first = client.list_custom_verification_email_templates(PageSize=2)
    assert [t["TemplateName"] for t in first["CustomVerificationEmailTemplates"]] == ["alpha", "beta"]
    assert "TemplateContent" not in first["CustomVerificationEmailTemplates"][0]
    rest = client.list_custom_verification_email_templates(PageSize=2, NextToken=first["NextToken"])
    assert [t["TemplateName"] for t in rest["CustomVerificationEmailTemplates"]] == ["gamma"]
    assert "NextToken" not in rest

    client.update_custom_verification_email_template(**template("alpha", TemplateSubject="Confirm, please"))
    assert client.get_custom_verification_email_template(TemplateName="alpha")["TemplateSubject"] == (
        "Confirm, please"
    )

    with pytest.raises(ClientError) as exists:
        client.create_custom_verification_email_template(**template("alpha"))
    assert error_of(exists) == (
        "AlreadyExistsException",
        "Custom verification email template alpha already exists.",
        400,
    )
    client.delete_custom_verification_email_template(TemplateName="alpha")
    calls = (client.get_custom_verification_email_template, client.delete_custom_verification_email_template)
    for call in calls:
        with pytest.raises(ClientError) as missing:
            call(TemplateName="alpha")
        assert error_of(missing) == (
            "NotFoundException",
            "Custom verification email template alpha does not exist.",
            404,
        )
    with pytest.raises(ClientError) as page:
        client.list_custom_verification_email_templates(PageSize=51)
    assert error_of(page)[0] == "BadRequestException"


def test_v1_templates_and_their_error_codes(service: Service) -> None:
    _, _, ses = account_with_sender(service, production=False)
    ses.create_custom_verification_email_template(**template("v1"))
    got = ses.get_custom_verification_email_template(TemplateName="v1")
    assert got["TemplateContent"] == CONTENT and got["TemplateSubject"] == "Please confirm your email address"
    ses.update_custom_verification_email_template(TemplateName="v1", FailureRedirectionURL=FAILURE + "/v1")
    got = ses.get_custom_verification_email_template(TemplateName="v1")
    assert got["FailureRedirectionURL"] == FAILURE + "/v1" and got["SuccessRedirectionURL"] == SUCCESS
    listed = ses.list_custom_verification_email_templates(MaxResults=10)["CustomVerificationEmailTemplates"]
    assert [t["TemplateName"] for t in listed] == ["v1"]

    with pytest.raises(ClientError) as exists:
        ses.create_custom_verification_email_template(**template("v1"))
    assert error_of(exists)[::2] == ("CustomVerificationEmailTemplateAlreadyExists", 400)
    ses.delete_custom_verification_email_template(TemplateName="v1")
    ses.delete_custom_verification_email_template(TemplateName="v1")  # no error declared: succeeds
    with pytest.raises(ClientError) as missing:
        ses.get_custom_verification_email_template(TemplateName="v1")
    assert error_of(missing)[::2] == ("CustomVerificationEmailTemplateDoesNotExist", 400)


def test_the_sender_must_be_verified_and_the_content_within_the_rules(service: Service) -> None:
    _, client, ses = account_with_sender(service, production=False)
    unverified = template("t", FromEmailAddress="someone@unverified.example")
    with pytest.raises(ClientError) as v2:
        client.create_custom_verification_email_template(**unverified)
    assert error_of(v2)[0] == "BadRequestException" and "someone@unverified.example" in error_of(v2)[1]
    with pytest.raises(ClientError) as v1:
        ses.create_custom_verification_email_template(**unverified)
    assert error_of(v1)[0] == "FromEmailAddressNotVerified"

    client.create_custom_verification_email_template(**template("sub", FromEmailAddress="a@mail.example.com"))
    for content in ('<p><a href="https://x.example">here</a></p>', "<p>hi</p><!-- note -->"):
        with pytest.raises(ClientError) as bad:
            client.create_custom_verification_email_template(**template("bad", TemplateContent=content))
        assert error_of(bad)[0] == "BadRequestException"
        with pytest.raises(ClientError) as bad_v1:
            ses.create_custom_verification_email_template(**template("bad", TemplateContent=content))
        assert error_of(bad_v1)[0] == "CustomVerificationEmailInvalidContent"


def test_at_most_50_templates_per_account_and_region(service: Service) -> None:
    _, client, ses = account_with_sender(service, production=False)
    for index in range(50):
        client.create_custom_verification_email_template(**template(f"t{index:02d}"))
    with pytest.raises(ClientError) as v2:
        client.create_custom_verification_email_template(**template("one-more"))
    code, message, status = error_of(v2)
    assert (code, status) == ("LimitExceededException", 400) and "50" in message
    with pytest.raises(ClientError) as v1:
        ses.create_custom_verification_email_template(**template("one-more"))
    assert error_of(v1)[0] == "LimitExceeded"
    client.delete_custom_verification_email_template(TemplateName="t00")
    client.create_custom_verification_email_template(**template("one-more"))


def test_the_sandbox_cannot_send_custom_verification_emails(service: Service) -> None:
    account, client, ses = account_with_sender(service, production=False)
    client.create_custom_verification_email_template(**template("sandboxed"))
    to = f"new-{account.account_id}@example.net"
    with pytest.raises(ClientError) as v2:
        client.send_custom_verification_email(EmailAddress=to, TemplateName="sandboxed")
    code, message, status = error_of(v2)
    assert (code, status) == ("BadRequestException", 400) and "sandbox" in message
    with pytest.raises(ClientError) as v1:
        ses.send_custom_verification_email(EmailAddress=to, TemplateName="sandboxed")
    assert error_of(v1)[::2] == ("ProductionAccessNotGranted", 400)
    assert to not in ses.list_identities()["Identities"]


def test_the_custom_email_arrives_and_its_link_verifies_and_redirects(
    service: Service, mta: RemoteMta
) -> None:
    account, client, _ = account_with_sender(service, production=True)
    client.create_custom_verification_email_template(**template("welcome"))
    to = f"new-{account.account_id}@example.net"
    message_id = client.send_custom_verification_email(EmailAddress=to, TemplateName="welcome")["MessageId"]
    assert client.get_email_identity(EmailIdentity=to)["VerificationStatus"] == "PENDING"

    message, link = received_link(mta, to)
    assert message["Subject"] == "Please confirm your email address"
    assert message["From"] == SENDER and message["To"] == to
    assert message_id in message["Message-ID"]
    body = message.get_body(("html",))
    assert body is not None
    text = body.get_content()
    assert text.index("Welcome to Brand") < text.index("/verify-email/custom") < text.index("</body>")

    status, location, _ = open_without_redirect(link)
    assert (status, location) == (302, SUCCESS)
    identity = client.get_email_identity(EmailIdentity=to)
    assert identity["VerificationStatus"] == "SUCCESS" and identity["VerifiedForSendingStatus"] is True


def test_an_expired_or_forged_link_redirects_to_the_failure_url(service: Service, mta: RemoteMta) -> None:
    account, client, ses = account_with_sender(service, production=True)
    client.create_custom_verification_email_template(**template("late"))
    to = f"late-{account.account_id}@example.net"
    ses.send_custom_verification_email(EmailAddress=to, TemplateName="late")
    _, link = received_link(mta, to)

    key = (service.data_dir / "server.key").read_bytes().strip()
    expired = LinkSigner(key, "verify-email").token(
        LinkClaims(account.account_id, "us-east-1", to, time.time() - 1)
    )
    context = ContextSigner(key).sign(expired, LinkContext(account.account_id, "us-east-1", "late"))
    base = link.split("?", 1)[0]
    status, location, _ = open_without_redirect(f"{base}?token={expired}&context={context}")
    assert (status, location) == (302, FAILURE)
    assert client.get_email_identity(EmailIdentity=to)["VerificationStatus"] == "PENDING"

    forged = link.replace("token=", "token=x", 1)  # the context no longer matches: the plain page answers
    status, location, page = open_without_redirect(forged)
    assert (status, location) == (400, "") and "not valid" in page
    assert client.get_email_identity(EmailIdentity=to)["VerificationStatus"] == "PENDING"


def test_sending_needs_the_template_and_a_still_verified_sender(service: Service) -> None:
    account, client, ses = account_with_sender(service, production=True)
    to = f"x-{account.account_id}@example.net"
    with pytest.raises(ClientError) as v2:
        client.send_custom_verification_email(EmailAddress=to, TemplateName="nope")
    assert error_of(v2)[::2] == ("NotFoundException", 404)
    with pytest.raises(ClientError) as v1:
        ses.send_custom_verification_email(EmailAddress=to, TemplateName="nope")
    assert error_of(v1)[::2] == ("CustomVerificationEmailTemplateDoesNotExist", 400)

    client.create_custom_verification_email_template(**template("gone"))
    client.delete_email_identity(EmailIdentity="example.com")
    with pytest.raises(ClientError) as rejected:
        client.send_custom_verification_email(EmailAddress=to, TemplateName="gone")
    code, message, _ = error_of(rejected)
    assert code == "MessageRejected" and message.endswith(f"US-EAST-1: {SENDER}")
    with pytest.raises(ClientError) as v1_rejected:
        ses.send_custom_verification_email(EmailAddress=to, TemplateName="gone")
    assert error_of(v1_rejected)[0] == "FromEmailAddressNotVerified"
