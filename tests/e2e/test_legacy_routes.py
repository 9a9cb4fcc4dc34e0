"""Routes of botocore releases before 1.43.105 (GET list operations): still served, signed as SDKs sign."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpsession import URLLib3Session

from tests.support.service import Service


def signed_get(service: Service, access_key: str, secret: str, path: str) -> tuple[int, dict[str, Any]]:
    request = AWSRequest("GET", f"{service.endpoint}{path}")
    SigV4Auth(Credentials(access_key, secret), "ses", "us-east-1").add_auth(request)
    response = URLLib3Session().send(request.prepare())
    assert response.status_code == 200, response.content
    return response.status_code, json.loads(response.content)


def test_the_old_get_routes_list_identities_and_configuration_sets(service: Service) -> None:
    account = service.create_account()
    client = service.client(account)
    for name in ("a.example", "b.example"):
        service.cli("identities", "verify", account.account_id, name)
    client.create_configuration_set(ConfigurationSetName="legacy")
    status, first = signed_get(
        service, account.access_key_id, account.secret_access_key, "/v2/email/identities?PageSize=1"
    )
    assert status == 200 and [i["IdentityName"] for i in first["EmailIdentities"]] == ["a.example"]
    token = first["NextToken"]
    _, second = signed_get(
        service,
        account.access_key_id,
        account.secret_access_key,
        # percent-encoded, as the SDK serializer sends it
        f"/v2/email/identities?PageSize=1&NextToken={quote(token, safe='')}",
    )
    assert [i["IdentityName"] for i in second["EmailIdentities"]] == ["b.example"]
    _, sets = signed_get(
        service, account.access_key_id, account.secret_access_key, "/v2/email/configuration-sets"
    )
    assert sets["ConfigurationSets"] == ["legacy"]
