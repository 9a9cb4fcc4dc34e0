"""AWS's own SNS message validator (the `sns-validator` npm package, run by Node.js) accepts Postwarden's
notifications: it fetches the signing certificate over HTTPS from the SigningCertURL and checks the
SignatureVersion 2 (SHA256withRSA) and version 1 (SHA1withRSA) signatures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mta import RemoteMta
from tests.support.service import Service, free_port
from tests.support.webhook import Delivery, WebhookReceiver

VERIFIER = Path(__file__).parent.parent / "support" / "sns_verify"


@pytest.fixture(scope="module")
def node_verifier() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js is not installed")
    if not (VERIFIER / "node_modules" / "sns-validator").exists():
        subprocess.run(
            [npm, "ci", "--silent", "--no-audit", "--no-fund"], cwd=VERIFIER, check=True, timeout=300
        )
    return VERIFIER / "verify.js"


@pytest.fixture(scope="module")
def https_service(tmp_path_factory: pytest.TempPathFactory, mta: RemoteMta) -> Iterator[Service]:
    https_port = free_port()
    service = Service(
        tmp_path_factory.mktemp("pw-https"),
        relay=mta.relay,
        https_port=https_port,
        public_url=f"https://localhost:{https_port}",
        webhook_allow_private="true",
    )
    service.start()
    yield service
    service.stop()


def validate(verifier: Path, service: Service, delivery: Delivery) -> str:
    result = subprocess.run(
        ["node", str(verifier), r"^localhost:\d+$"],
        input=delivery.body,
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(service.data_dir / "smtp-cert.pem")},
    )
    return (result.stdout + result.stderr).decode().strip()


@pytest.mark.parametrize("version", ["2", "1"])
def test_the_stock_validator_accepts_confirmations_and_notifications(
    node_verifier: Path, https_service: Service, version: str
) -> None:
    account = https_service.create_account()
    sns = https_service.client(account, "sns")
    with WebhookReceiver(confirm=False) as receiver:
        arn = sns.create_topic(Name=f"checked-v{version}", Attributes={"SignatureVersion": version})[
            "TopicArn"
        ]
        sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=receiver.url)
        confirmation = receiver.wait_for_type("SubscriptionConfirmation")
        sns.confirm_subscription(TopicArn=arn, Token=confirmation.document["Token"])
        assert confirmation.document["SigningCertURL"].startswith("https://localhost:")
        assert validate(node_verifier, https_service, confirmation) == "valid"

        sns.publish(TopicArn=arn, Message=json.dumps({"notificationType": "Test"}), Subject="hello")
        (notification,) = receiver.wait_for(1)
        assert notification.document["SignatureVersion"] == version
        assert validate(node_verifier, https_service, notification) == "valid"

        forged = json.loads(notification.body)
        forged["Message"] = json.dumps({"notificationType": "Forged"})
        tampered = Delivery(notification.path, notification.headers, json.dumps(forged).encode())
        assert validate(node_verifier, https_service, tampered).startswith("invalid")
