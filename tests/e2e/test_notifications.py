"""Events reach the sender's own HTTP endpoint as signed SNS notifications: topics and subscriptions through
an unmodified boto3 `sns` client, the SubscriptionConfirmation handshake, configuration-set event
destinations (v2 and v1), identity notification topics, raw delivery, and retries while the endpoint is
down."""

from __future__ import annotations

import base64
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.conftest import BACKENDS, backend_service
from tests.support.mta import RemoteMta
from tests.support.sending import production_account
from tests.support.sending import send_simple as send
from tests.support.service import Account, Service
from tests.support.webhook import Delivery, WebhookReceiver

ADMIN_TOKEN = "notifications-admin-token"


@pytest.fixture(scope="module", params=BACKENDS)
def notifying(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mta: RemoteMta
) -> Iterator[Service]:
    yield from backend_service(
        request,
        tmp_path_factory,
        mta,
        "notify",
        webhook_allow_private="true",
        notification_retry_initial_seconds="0.5",
        notification_retry_max_interval_seconds="1",
        max_delivery_seconds="4",
        admin_token=ADMIN_TOKEN,
    )


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


def production(service: Service) -> Account:
    return production_account(service)[0]


def subscribed_topic(
    service: Service, account: Account, receiver: WebhookReceiver, name: str = "events"
) -> str:
    sns = service.client(account, "sns")
    arn: str = sns.create_topic(Name=name)["TopicArn"]
    pending = sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=receiver.url)
    assert pending["SubscriptionArn"] == "pending confirmation"
    receiver.wait_for_type("SubscriptionConfirmation")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        listed = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        if listed and listed[0]["SubscriptionArn"] != "PendingConfirmation":
            return arn
        time.sleep(0.1)
    raise AssertionError("the subscription was not confirmed")


def destination_set(
    service: Service, account: Account, receiver: WebhookReceiver, name: str, kinds: list[str]
) -> Any:
    """A configuration set `name` whose event destination sends `kinds` to a topic the receiver is
    subscribed to (confirmed); returns the account's sesv2 client."""
    arn = subscribed_topic(service, account, receiver, name)
    client = service.client(account)
    client.create_configuration_set(ConfigurationSetName=name)
    client.create_configuration_set_event_destination(
        ConfigurationSetName=name,
        EventDestinationName="hook",
        EventDestination={"Enabled": True, "MatchingEventTypes": kinds, "SnsDestination": {"TopicArn": arn}},
    )
    return client


def verify_signature(delivery: Delivery) -> None:
    """Check the envelope as the SNS developer guide says a receiver must, with the published certificate."""
    document = delivery.document
    if document["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = "".join(f"{name}\n{document[name]}\n" for name in names if name in document)
    with urllib.request.urlopen(document["SigningCertURL"], timeout=10) as response:
        certificate = x509.load_pem_x509_certificate(response.read())
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    algorithm = hashes.SHA256() if document["SignatureVersion"] == "2" else hashes.SHA1()
    key.verify(base64.b64decode(document["Signature"]), text.encode(), padding.PKCS1v15(), algorithm)


def test_subscription_handshake_and_signed_confirmation(
    notifying: Service, receiver: WebhookReceiver
) -> None:
    account = production(notifying)
    arn = subscribed_topic(notifying, account, receiver)
    confirmation = receiver.wait_for_type("SubscriptionConfirmation")
    assert confirmation.document["TopicArn"] == arn
    assert confirmation.document["SignatureVersion"] == "2"
    assert confirmation.headers["x-amz-sns-topic-arn"] == arn
    verify_signature(confirmation)
    sns = notifying.client(account, "sns")
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [arn]


def test_event_destination_delivers_signed_send_delivery_and_bounce_events(
    notifying: Service, receiver: WebhookReceiver, mta: RemoteMta
) -> None:
    account = production(notifying)
    arn = subscribed_topic(notifying, account, receiver)
    client = notifying.client(account)
    client.create_configuration_set(ConfigurationSetName="tracked")
    client.create_configuration_set_event_destination(
        ConfigurationSetName="tracked",
        EventDestinationName="hook",
        EventDestination={
            "Enabled": True,
            "MatchingEventTypes": ["SEND", "DELIVERY", "BOUNCE"],
            "SnsDestination": {"TopicArn": arn},
        },
    )
    validated = receiver.wait_for(1)[0]
    assert (
        validated.document["Message"] == "Successfully validated SNS topic for Amazon SES event publishing."
    )
    listed = client.get_configuration_set_event_destinations(ConfigurationSetName="tracked")
    assert listed["EventDestinations"][0]["SnsDestination"] == {"TopicArn": arn}

    good, gone = f"ok-{account.account_id}@example.net", f"gone-{account.account_id}@example.net"
    mta.always(gone, "550 5.1.1 <gone>: Recipient address rejected: User unknown")
    delivered_id = send(client, good, "tracked")
    bounced_id = send(client, gone, "tracked")

    def event(kind: str, message_id: str) -> Any:
        return lambda d: (
            "eventType" in d.message
            and (d.message["eventType"] == kind and d.message["mail"]["messageId"] == message_id)
        )

    (delivery,) = receiver.wait_for(1, event("Delivery", delivered_id))
    (bounce,) = receiver.wait_for(1, event("Bounce", bounced_id))
    receiver.wait_for(1, event("Send", delivered_id))
    for notification in (delivery, bounce):
        verify_signature(notification)
        assert notification.document["Subject"] == "Amazon SES Email Event Notification"
        assert notification.message["mail"]["tags"]["ses:configuration-set"] == ["tracked"]
    assert bounce.message["bounce"]["bounceType"] == "Permanent"
    assert bounce.message["bounce"]["bouncedRecipients"][0]["emailAddress"] == gone
    assert bounce.headers["x-amz-sns-subscription-arn"].startswith(arn + ":")

    # The bounce suppressed the address: the next send is accepted and bounces OnAccountSuppressionList.
    again = send(client, gone, "tracked")
    (suppressed,) = receiver.wait_for(1, event("Bounce", again))
    assert suppressed.message["bounce"]["bounceSubType"] == "OnAccountSuppressionList"


def test_v1_identity_notification_topic_gets_bounces_in_the_notification_format(
    notifying: Service, receiver: WebhookReceiver, mta: RemoteMta
) -> None:
    account = production(notifying)
    arn = subscribed_topic(notifying, account, receiver, "identity-bounces")
    v1 = notifying.client(account, "ses")
    v1.set_identity_notification_topic(Identity="example.com", NotificationType="Bounce", SnsTopic=arn)
    attributes = v1.get_identity_notification_attributes(Identities=["example.com"])["NotificationAttributes"]
    assert attributes["example.com"]["BounceTopic"] == arn
    assert attributes["example.com"]["ComplaintTopic"] == ""
    subscribed = receiver.wait_for(1)[0].message
    assert subscribed["notificationType"] == "AmazonSnsSubscriptionSucceeded"

    gone = f"v1-gone-{account.account_id}@example.net"
    mta.always(gone, "550 5.1.1 User unknown")
    message_id = v1.send_email(
        Source="sender@example.com",
        Destination={"ToAddresses": [gone]},
        Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "x"}}},
    )["MessageId"]
    (bounce,) = receiver.wait_for(1, lambda d: d.message.get("notificationType") == "Bounce")
    assert bounce.message["mail"]["messageId"] == message_id
    assert "tags" not in bounce.message["mail"] and "eventType" not in bounce.message
    verify_signature(bounce)


def test_v1_event_destination_and_errors(notifying: Service, receiver: WebhookReceiver) -> None:
    account = production(notifying)
    arn = subscribed_topic(notifying, account, receiver, "v1-events")
    v1 = notifying.client(account, "ses")
    v1.create_configuration_set(ConfigurationSet={"Name": "legacy"})
    destination = {
        "Name": "hook",
        "Enabled": True,
        "MatchingEventTypes": ["send", "bounce"],
        "SNSDestination": {"TopicARN": arn},
    }
    v1.create_configuration_set_event_destination(ConfigurationSetName="legacy", EventDestination=destination)
    with pytest.raises(ClientError) as exists:
        v1.create_configuration_set_event_destination(
            ConfigurationSetName="legacy", EventDestination=destination
        )
    assert exists.value.response["Error"]["Code"] == "EventDestinationAlreadyExists"
    described = v1.describe_configuration_set(
        ConfigurationSetName="legacy", ConfigurationSetAttributeNames=["eventDestinations"]
    )
    assert described["EventDestinations"][0]["SNSDestination"]["TopicARN"] == arn
    missing = {**destination, "Name": "other", "SNSDestination": {"TopicARN": arn + "-nope"}}
    with pytest.raises(ClientError) as bad_topic:
        v1.create_configuration_set_event_destination(ConfigurationSetName="legacy", EventDestination=missing)
    assert bad_topic.value.response["Error"]["Code"] == "InvalidSNSDestination"
    v1.delete_configuration_set_event_destination(ConfigurationSetName="legacy", EventDestinationName="hook")
    with pytest.raises(ClientError) as gone:
        v1.delete_configuration_set_event_destination(
            ConfigurationSetName="legacy", EventDestinationName="hook"
        )
    assert gone.value.response["Error"]["Code"] == "EventDestinationDoesNotExist"


def test_notifications_wait_out_a_failing_endpoint_and_arrive_once_each(
    notifying: Service, receiver: WebhookReceiver
) -> None:
    account = production(notifying)
    arn = subscribed_topic(notifying, account, receiver, "flaky")
    client = notifying.client(account)
    client.create_configuration_set(ConfigurationSetName="flaky")
    receiver.status = 503
    client.create_configuration_set_event_destination(
        ConfigurationSetName="flaky",
        EventDestinationName="hook",
        EventDestination={
            "Enabled": True,
            "MatchingEventTypes": ["SEND"],
            "SnsDestination": {"TopicArn": arn},
        },
    )
    sent = [send(client, f"r{i}-{account.account_id}@example.net", "flaky") for i in range(5)]
    deadline = time.monotonic() + 20
    while receiver.refused < 6 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert receiver.refused >= 6, "the endpoint was not tried while it was failing"
    receiver.status = 200
    arrived = receiver.wait_for(6)
    time.sleep(2)  # any duplicate would be a retry of one that was already acknowledged
    final = receiver.notifications()
    ids = [d.document["MessageId"] for d in final]
    assert len(ids) == len(set(ids)) == 6
    assert sorted(d.message["mail"]["messageId"] for d in final if "eventType" in d.message) == sorted(sent)
    assert len(arrived) == 6


def test_raw_message_delivery_posts_the_bare_event(notifying: Service, receiver: WebhookReceiver) -> None:
    account = production(notifying)
    sns = notifying.client(account, "sns")
    arn = subscribed_topic(notifying, account, receiver, "raw")
    (subscription,) = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    sns.set_subscription_attributes(
        SubscriptionArn=subscription["SubscriptionArn"],
        AttributeName="RawMessageDelivery",
        AttributeValue="true",
    )
    sns.publish(TopicArn=arn, Message='{"hello":"world"}')
    (raw,) = receiver.wait_for(1)
    assert raw.body == b'{"hello":"world"}'
    assert raw.headers["x-amz-sns-rawdelivery"] == "true"


def test_private_endpoints_are_refused_unless_allowed(service: Service) -> None:
    account = service.create_account()
    sns = service.client(account, "sns")
    arn = sns.create_topic(Name="guarded")["TopicArn"]
    with pytest.raises(ClientError) as refused:
        sns.subscribe(TopicArn=arn, Protocol="http", Endpoint="http://127.0.0.1:9/hook")
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"
    assert "non-public address 127.0.0.1" in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as missing:
        sns.subscribe(TopicArn=arn + "x", Protocol="http", Endpoint="http://example.com/")
    assert missing.value.response["Error"]["Code"] == "NotFound"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_opened_pixel_and_clicked_link_become_open_and_click_events(
    notifying: Service, receiver: WebhookReceiver, mta: RemoteMta
) -> None:
    import email
    import re
    import urllib.error

    account = production(notifying)
    client = destination_set(notifying, account, receiver, "engagement", ["OPEN", "CLICK"])
    reader = f"reader-{account.account_id}@example.net"
    html = (
        '<html><body><p>Hi</p><a href="https://shop.example.com/sale?x=1&amp;y=2" ses:tags="campaign:fall;">'
        "Sale</a></body></html>"
    )
    message_id = client.send_email(
        FromEmailAddress="sender@example.com",
        Destination={"ToAddresses": [reader]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Html": {"Data": html}}}},
        ConfigurationSetName="engagement",
    )["MessageId"]
    (received,) = mta.wait_for(reader)
    parsed = email.message_from_bytes(received.data)
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/html")
    body = part.get_payload(decode=True).decode()
    pixel = re.search(r'<img src="([^"]+/track/open\?t=[^"]+)"', body)
    link = re.search(r'href="([^"]+/track/click\?t=[^"]+)"', body)
    assert pixel and link and "shop.example.com" not in link.group(1)
    assert "ses:tags" not in body

    request = urllib.request.Request(pixel.group(1), headers={"User-Agent": "TestMail/1.0"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.headers["content-type"] == "image/gif"
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(urllib.request.Request(link.group(1), headers={"User-Agent": "TestMail/1.0"}), timeout=10)
    assert redirected.value.code == 302
    assert redirected.value.headers["location"] == "https://shop.example.com/sale?x=1&y=2"
    with pytest.raises(urllib.error.HTTPError) as forged:
        opener.open(link.group(1)[:-4] + "AAAA", timeout=10)
    assert forged.value.code == 404

    def event(kind: str) -> Any:
        return lambda d: d.message.get("eventType") == kind and d.message["mail"]["messageId"] == message_id

    (opened,) = receiver.wait_for(1, event("Open"))
    (clicked,) = receiver.wait_for(1, event("Click"))
    assert opened.message["open"]["userAgent"] == "TestMail/1.0"
    assert opened.message["open"]["ipAddress"] == "127.0.0.1"
    assert clicked.message["click"]["link"] == "https://shop.example.com/sale?x=1&y=2"
    assert clicked.message["click"]["linkTags"] == {"campaign": ["fall"]}


def test_a_recipient_that_keeps_answering_4xx_gets_delay_notifications_then_a_transient_bounce(
    notifying: Service, receiver: WebhookReceiver, mta: RemoteMta
) -> None:
    account = production(notifying)
    client = destination_set(notifying, account, receiver, "delays", ["DELIVERY_DELAY", "BOUNCE"])
    busy = f"busy-{account.account_id}@example.net"
    mta.always(busy, "451 4.2.0 Mailbox busy, try again later")
    message_id = send(client, busy, "delays")

    def event(kind: str) -> Any:
        return lambda d: d.message.get("eventType") == kind and d.message["mail"]["messageId"] == message_id

    (bounce,) = receiver.wait_for(1, event("Bounce"))
    delays = receiver.notifications(event("DeliveryDelay"))
    assert delays, "no DeliveryDelay notification before the bounce"
    delayed = delays[0].message["deliveryDelay"]
    assert delayed["delayedRecipients"][0]["emailAddress"] == busy
    assert delayed["delayedRecipients"][0]["status"] == "4.2.0"
    assert (bounce.message["bounce"]["bounceType"], bounce.message["bounce"]["bounceSubType"]) == (
        "Transient",
        "General",
    )


def test_the_operator_cli_creates_topics_and_subscribes_endpoints(
    notifying: Service, receiver: WebhookReceiver
) -> None:
    account = production(notifying)
    created = notifying.cli("topics", "create", account.account_id, "ops-feed", "--signature-version", "1")
    arn = created["topic_arn"]
    assert arn == f"arn:aws:sns:us-east-1:{account.account_id}:ops-feed"
    subscribed = notifying.cli("topics", "subscribe", account.account_id, arn, receiver.url)
    assert subscribed["status"] == "PendingConfirmation"
    confirmation = receiver.wait_for_type("SubscriptionConfirmation")
    assert confirmation.document["SignatureVersion"] == "1"
    verify_signature(confirmation)
    deadline = time.monotonic() + 10
    listed: Any = []
    while time.monotonic() < deadline:
        listed = notifying.cli("topics", "list", account.account_id)
        if listed[0]["subscriptions"][0]["status"] == "Confirmed":
            break
        time.sleep(0.2)
    assert listed[0]["subscriptions"][0]["status"] == "Confirmed"
    notifying.cli("topics", "unsubscribe", account.account_id, subscribed["subscription_arn"])
    assert notifying.cli("topics", "list", account.account_id)[0]["subscriptions"] == []


def test_the_admin_api_creates_topics_and_subscribes_endpoints(
    notifying: Service, receiver: WebhookReceiver
) -> None:
    import json
    import urllib.error

    account = production(notifying)

    def admin(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            notifying.endpoint + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    base = f"/admin/v1/accounts/{account.account_id}/regions/us-east-1/topics"
    status, created = admin("POST", base, {"name": "admin-feed"})
    assert status == 200 and created["topic_arn"].endswith(":admin-feed")
    assert (
        admin(
            "POST", f"{base}/subscriptions", {"topic_arn": created["topic_arn"] + "x", "url": receiver.url}
        )[0]
        == 404
    )
    status, subscribed = admin(
        "POST", f"{base}/subscriptions", {"topic_arn": created["topic_arn"], "url": receiver.url}
    )
    assert status == 200 and subscribed["status"] == "PendingConfirmation"
    receiver.wait_for_type("SubscriptionConfirmation")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status, listed = admin("GET", base)
        if listed["topics"][0]["subscriptions"][0]["status"] == "Confirmed":
            break
        time.sleep(0.2)
    assert listed["topics"][0]["subscriptions"][0]["status"] == "Confirmed"
