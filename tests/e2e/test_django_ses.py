"""A Django project using django-ses sends through Postwarden with `send_mail` (v1 and v2 backends)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.mta import RemoteMta
from tests.support.service import Service

DJANGO_SCRIPT = """
import sys
import django
from django.conf import settings

endpoint, key, secret, to, use_v2 = sys.argv[1:6]
settings.configure(
    EMAIL_BACKEND="django_ses.SESBackend",
    AWS_SES_REGION_NAME="us-east-1",
    AWS_SES_REGION_ENDPOINT_URL=endpoint,
    AWS_ACCESS_KEY_ID=key,
    AWS_SECRET_ACCESS_KEY=secret,
    USE_SES_V2=use_v2 == "v2",
    DEFAULT_FROM_EMAIL="Django App <sender@example.com>",
)
django.setup()
from django.core.mail import send_mail

sent = send_mail("Welcome from Django", "Plain body from django-ses", None, [to])
print(sent)
"""


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_django_send_mail_through_django_ses(service: Service, mta: RemoteMta, api: str) -> None:
    account = service.create_account()
    service.cli("identities", "verify", account.account_id, "example.com")
    service.cli("accounts", "set-sending", account.account_id, "--production")
    to = f"django-{api}-{account.account_id}@example.net"
    result = subprocess.run(
        [
            sys.executable, "-c", DJANGO_SCRIPT, service.endpoint, account.access_key_id,
            account.secret_access_key, to, api,
        ],
        env={**os.environ, "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"},
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.strip() == b"1"
    (received,) = mta.wait_for(to)
    assert b"Welcome from Django" in received.data
    assert b"Plain body from django-ses" in received.data
    (send_event,) = service.events(account, type="Send")
    assert send_event["mail"]["destination"] == [to]
