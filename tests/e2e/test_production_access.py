"""Production access end to end, as a sender (boto3 only) and an operator (the CLI and the admin API) live
it: from the sandbox, through a denied and a granted request, to production in one region only."""

from __future__ import annotations

import email
import email.policy
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import BACKENDS, dns_checked_service
from tests.support.dns_server import TestDnsServer
from tests.support.mta import RemoteMta
from tests.support.service import Account, Service
from tests.support.webhook import WebhookReceiver

ZONE = "dkim.postwarden.test"
MX_HOST = "feedback-smtp.postwarden.test"
SPF_INCLUDE = "spf.postwarden.test"
TOKEN = "admin-e2e-token"
WEBSITE = "https://www.acme-shop.com"
SHORT_USE_CASE = "We send receipts."
USE_CASE = (
    "Acme Shop sends order confirmations and shipping notices to customers who bought from us. Addresses "
    "come from registered customers only, confirmed with double opt-in; we never buy or rent lists. Bounce "
    "and complaint notifications go to our webhook, which removes the address at once, and the account "
    "suppression list is on. Every message has an unsubscribe link for the optional notices. We send about "
    "2,000 emails per day."
)


@pytest.fixture(scope="module", params=BACKENDS)
def service(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    mta: RemoteMta,
    dns_server: TestDnsServer,
) -> Iterator[Service]:
    dns_server.add(SPF_INCLUDE, "TXT", '"v=spf1 ip4:127.0.0.1 -all"')  # the operator's fleet record
    yield from dns_checked_service(
        request,
        tmp_path_factory,
        mta,
        dns_server,
        dkim_zone=ZONE,
        mail_from_mx_host=MX_HOST,
        spf_include=SPF_INCLUDE,
        webhook_allow_private="true",
        admin_token=TOKEN,
    )


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


def wait_until(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"condition not met; last value {last!r}")


def send(client: Any, source: str, to: str) -> str:
    return str(
        client.send_email(
            FromEmailAddress=source,
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": "hello"}, "Body": {"Text": {"Data": "body"}}}},
        )["MessageId"]
    )


def verified_domain(client: Any, dns_server: TestDnsServer, domain: str) -> None:
    """Easy DKIM, a custom MAIL FROM domain and DMARC, published in DNS and checked by Postwarden."""
    tokens = client.create_email_identity(EmailIdentity=domain)["DkimAttributes"]["Tokens"]
    for token in tokens:
        dns_server.add(f"{token}._domainkey.{domain}", "CNAME", f"{token}.{ZONE}.")
    mail_from = f"bounce.{domain}"
    client.put_email_identity_mail_from_attributes(EmailIdentity=domain, MailFromDomain=mail_from)
    dns_server.add(mail_from, "MX", f"10 {MX_HOST}.")
    dns_server.add(mail_from, "TXT", f'"v=spf1 include:{SPF_INCLUDE} -all"')
    dns_server.add(f"_dmarc.{domain}", "TXT", f'"v=DMARC1; p=quarantine; rua=mailto:dmarc@{domain}"')

    def verified() -> bool:
        identity = client.get_email_identity(EmailIdentity=domain)
        return bool(
            identity["VerificationStatus"] == "SUCCESS"
            and identity["DkimAttributes"]["Status"] == "SUCCESS"
            and identity["MailFromAttributes"]["MailFromDomainStatus"] == "SUCCESS"
        )

    wait_until(verified)


def webhook_destination(service: Service, account: Account, receiver: WebhookReceiver) -> None:
    """A configuration set sending bounces and complaints to an SNS topic with a confirmed webhook."""
    sns = service.client(account, "sns")
    arn = sns.create_topic(Name="feedback")["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=receiver.url)
    wait_until(
        lambda: (
            sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"][0]["SubscriptionArn"]
            != "PendingConfirmation"
        )
    )
    client = service.client(account)
    client.create_configuration_set(ConfigurationSetName="news")
    client.create_configuration_set_event_destination(
        ConfigurationSetName="news",
        EventDestinationName="feedback-hook",
        EventDestination={
            "Enabled": True,
            "MatchingEventTypes": ["BOUNCE", "COMPLAINT"],
            "SnsDestination": {"TopicArn": arn},
        },
    )


def request_access(client: Any, contact: str, use_case: str) -> None:
    client.put_account_details(
        MailType="TRANSACTIONAL",
        WebsiteURL=WEBSITE,
        ContactLanguage="EN",
        UseCaseDescription=use_case,
        AdditionalContactEmailAddresses=[contact],
        ProductionAccessEnabled=True,
    )


def mail_text(mta: RemoteMta, to: str, count: int) -> str:
    """Subject and text of the `count`th message that reached `to`."""
    received = mta.wait_for(to, count)[count - 1]
    parsed = email.message_from_bytes(received.data, policy=email.policy.default)
    body = parsed.get_body(("plain",))
    assert body is not None
    return f"{parsed['Subject']}\n{body.get_content()}"


def items(case: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {item["key"]: item for item in case["checklist"]["items"]}


def test_from_the_sandbox_through_a_denial_to_production_in_one_region(
    service: Service, dns_server: TestDnsServer, mta: RemoteMta, receiver: WebhookReceiver
) -> None:
    account = service.create_account()
    client = service.client(account)
    domain = f"acme{account.account_id}.example"
    contact = f"ops-{account.account_id}@example.net"
    stranger = f"customer-{account.account_id}@example.net"
    sandbox = client.get_account()
    assert sandbox["ProductionAccessEnabled"] is False and "Details" not in sandbox
    assert sandbox["SendQuota"]["Max24HourSend"] == 200.0 and sandbox["SendQuota"]["MaxSendRate"] == 1.0

    verified_domain(client, dns_server, domain)
    with pytest.raises(ClientError) as refused:  # the sandbox: unverified recipients are refused
        send(client, f"news@{domain}", stranger)
    assert refused.value.response["Error"]["Code"] == "MessageRejected"
    webhook_destination(service, account, receiver)

    # 1. a request whose use case says nothing: pending, with a checklist, mailed to the contact
    request_access(client, contact, SHORT_USE_CASE)
    details = client.get_account()["Details"]
    assert details["MailType"] == "TRANSACTIONAL" and details["WebsiteURL"] == WEBSITE
    assert details["ContactLanguage"] == "EN" and details["AdditionalContactEmailAddresses"] == [contact]
    assert details["UseCaseDescription"] == SHORT_USE_CASE
    case_id = details["ReviewDetails"]["CaseId"]
    assert details["ReviewDetails"]["Status"] == "PENDING"
    with pytest.raises(ClientError) as conflict:
        request_access(client, contact, USE_CASE)
    assert conflict.value.response["Error"]["Code"] == "ConflictException"
    assert conflict.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    received = mail_text(mta, contact, 1)
    assert f"request in us-east-1 (case {case_id}) was received" in received
    assert "[FAIL] Use case answers SES's four questions" in received

    listed = service.cli("review", "list")
    assert [c["caseId"] for c in listed if c["accountId"] == account.account_id] == [case_id]
    (mine,) = [c for c in listed if c["caseId"] == case_id]
    assert mine["checklistSummary"] == "6 pass, 1 warn, 1 fail" and mine["overdue"] is False
    shown = service.cli("review", "show", case_id)
    checks = items(shown)
    assert checks["domain-dkim"]["status"] == "PASS", checks["domain-dkim"]
    assert checks["spf-dmarc"]["status"] == "PASS", checks["spf-dmarc"]
    assert checks["bounce-complaint-handling"]["status"] == "PASS"
    assert (
        "configuration set news, event destination feedback-hook"
        in checks["bounce-complaint-handling"]["evidence"]
    )
    assert "subscription confirmed, reachable" in checks["bounce-complaint-handling"]["evidence"]
    assert checks["use-case"]["status"] == "FAIL"
    assert checks["website"]["status"] == "PASS"  # well-formed; fetching it is off by default
    assert checks["sandbox-history"]["status"] == "WARN"  # too little mail to judge

    # 2. the operator denies it, with a reason the sender reads
    denied = service.cli("review", "deny", case_id, "--reason", "Tell us how you build your list.")
    assert denied["status"] == "DENIED" and denied["decidedBy"].startswith("cli:")
    assert client.get_account()["Details"]["ReviewDetails"] == {"Status": "DENIED", "CaseId": case_id}
    denial = mail_text(mta, contact, 2)
    assert f"production access denied in us-east-1 (case {case_id})" in denial
    assert "Use case answers SES's four questions" in denial and "To fix: answer" in denial
    assert "Reviewer's note: Tell us how you build your list." in denial
    assert client.get_account()["ProductionAccessEnabled"] is False

    # 3. fixed and asked again; the operator grants the recommended limits
    request_access(client, contact, USE_CASE)
    again = client.get_account()["Details"]["ReviewDetails"]
    assert again["Status"] == "PENDING" and again["CaseId"] != case_id
    assert items(service.cli("review", "show", again["CaseId"]))["use-case"]["status"] == "PASS"
    granted = service.cli("review", "grant", again["CaseId"], "--note", "welcome")
    assert (granted["status"], granted["grantedQuota"], granted["grantedRate"]) == ("GRANTED", 50_000, 14.0)
    assert "production access granted in us-east-1" in mail_text(mta, contact, 4)

    # 4. production in us-east-1: any recipient, the production quota
    send(client, f"news@{domain}", stranger)
    assert mta.wait_for(stranger)[0].rcpt_to == stranger
    production = client.get_account()
    assert production["ProductionAccessEnabled"] is True
    assert (
        production["SendQuota"]["Max24HourSend"] == 50_000.0
        and production["SendQuota"]["MaxSendRate"] == 14.0
    )
    assert production["Details"]["ReviewDetails"]["Status"] == "GRANTED"

    # 5. eu-west-1 is still in the sandbox, with no request of its own
    europe = service.client(account, region="eu-west-1").get_account()
    assert europe["ProductionAccessEnabled"] is False and "Details" not in europe
    assert europe["SendQuota"]["Max24HourSend"] == 200.0 and europe["SendQuota"]["MaxSendRate"] == 1.0


def test_put_account_details_validation_uses_ses_error_shapes(service: Service) -> None:
    client = service.client(service.create_account())
    with pytest.raises(ClientError) as invalid:
        client.put_account_details(MailType="PROMOTIONAL", WebsiteURL=WEBSITE)
    error = invalid.value.response["Error"]
    assert error["Code"] == "BadRequestException"
    assert "Member must satisfy enum value set: [MARKETING, TRANSACTIONAL]" in error["Message"]
    with pytest.raises(ClientError) as sandbox:
        client.put_account_details(MailType="MARKETING", WebsiteURL=WEBSITE, ProductionAccessEnabled=False)
    assert sandbox.value.response["Error"]["Code"] == "BadRequestException"
    assert "Details" not in client.get_account()


def admin(service: Service, method: str, path: str, body: Any = None, token: str | None = TOKEN) -> Any:
    request = urllib.request.Request(
        service.endpoint + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Postwarden-Actor": "carol"}
        | ({"Authorization": f"Bearer {token}"} if token is not None else {}),
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_admin_api_lists_and_decides_with_a_token_only(service: Service) -> None:
    account = service.create_account()
    client = service.client(account)
    client.put_account_details(MailType="MARKETING", WebsiteURL=WEBSITE, UseCaseDescription=USE_CASE)
    case_id = client.get_account()["Details"]["ReviewDetails"]["CaseId"]

    assert admin(service, "GET", "/admin/v1/reviews", token=None)[0] == 401
    assert admin(service, "GET", "/admin/v1/reviews", token="wrong")[0] == 401
    status, listed = admin(service, "GET", "/admin/v1/reviews")
    assert status == 200
    (mine,) = [r for r in listed["reviews"] if r["accountId"] == account.account_id]
    assert mine["caseId"] == case_id and mine["status"] == "PENDING" and mine["ageSeconds"] >= 0
    status, shown = admin(service, "GET", f"/admin/v1/reviews/{case_id}")
    assert status == 200 and shown["details"]["useCaseDescription"] == USE_CASE
    assert admin(service, "GET", "/admin/v1/reviews/0")[0] == 404

    status, granted = admin(
        service, "POST", f"/admin/v1/reviews/{case_id}/grant", {"quota": 80_000, "rate": 20}
    )
    assert status == 200, granted
    assert (granted["status"], granted["decidedBy"], granted["grantedQuota"]) == (
        "GRANTED",
        "admin-api:carol",
        80_000,
    )
    assert admin(service, "POST", f"/admin/v1/reviews/{case_id}/deny", {"reason": "late"})[0] == 409
    quota = client.get_account()["SendQuota"]
    assert (quota["Max24HourSend"], quota["MaxSendRate"]) == (80_000.0, 20.0)

    path = f"/admin/v1/accounts/{account.account_id}/regions/us-east-1/return-to-sandbox"
    assert admin(service, "POST", path, {})[0] == 400  # a reason is required
    status, returned = admin(service, "POST", path, {"reason": "complaints from recipients"})
    assert status == 200 and returned["productionAccessEnabled"] is False
    sandboxed = client.get_account()
    assert sandboxed["ProductionAccessEnabled"] is False and sandboxed["SendQuota"]["Max24HourSend"] == 200.0
