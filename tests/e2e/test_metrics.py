"""Statistics end to end: real mail through the test MTA (one recipient answered 550), then SES v2
BatchGetMetricData with boto3 (per day, per identity, configuration set and ISP, with SES's per-query
errors), and a Prometheus scrape of /metrics behind the admin token, parsed with prometheus_client."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import BACKENDS, require_postgres, start_service
from tests.support.mta import RemoteMta
from tests.support.service import Account, Service, drop_postgres_database

TOKEN = "metrics-admin-token"
DAY = 86_400


@pytest.fixture(scope="module", params=BACKENDS)
def metered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mta: RemoteMta
) -> Iterator[Service]:
    if request.param == "postgres":
        require_postgres()
    running, url = start_service(
        request.param, tmp_path_factory.mktemp(f"pw-metrics-{request.param}"), mta.relay, admin_token=TOKEN
    )
    yield running
    running.stop()
    if url:
        drop_postgres_database(url)


def send(client: Any, to: str, configuration_set: str | None = None) -> None:
    extra = {"ConfigurationSetName": configuration_set} if configuration_set else {}
    client.send_email(
        FromEmailAddress="News <news@example.com>",
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "x"}}}},
        **extra,
    )


def scrape(service: Service, token: str | None = TOKEN) -> tuple[int, str]:
    request = urllib.request.Request(f"{service.endpoint}/metrics")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def samples(text: str, account: Account) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The account's samples (and the process-wide ones), keyed by name and the other labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.labels.get("account_id", account.account_id) != account.account_id:
                continue
            others = tuple(sorted((k, v) for k, v in s.labels.items() if k not in {"account_id", "region"}))
            found[(s.name, others)] = s.value
    return found


def test_batch_get_metric_data_and_the_prometheus_scrape(metered: Service, mta: RemoteMta) -> None:
    account = metered.create_account()
    metered.cli("identities", "verify", account.account_id, "example.com")
    metered.cli("accounts", "set-sending", account.account_id, "--production", "--max-send-rate", "1000")
    client = metered.client(account)
    client.create_configuration_set(ConfigurationSetName="weekly")
    tag = account.account_id
    gone = f"gone-{tag}@gmail.com"
    mta.always(gone, "550 5.1.1 User unknown")

    day_before = int(time.time() // DAY)
    for to in (f"a-{tag}@gmail.com", f"b-{tag}@gmail.com", gone, f"c-{tag}@yahoo.co.uk"):
        send(client, to)
    send(client, f"d-{tag}@hotmail.com", configuration_set="weekly")
    metered.wait_for_events(account, "Delivery", 4)
    metered.wait_for_events(account, "Bounce", 1)
    today = int(time.time() // DAY)

    start = datetime.fromtimestamp((today - 1) * DAY + 3600, UTC)
    end = datetime.now(UTC)

    def q(query_id: str, metric: str, **dimensions: str) -> dict[str, Any]:
        query = {"Id": query_id, "Namespace": "VDM", "Metric": metric, "StartDate": start, "EndDate": end}
        return {**query, "Dimensions": dimensions} if dimensions else query

    answer = client.batch_get_metric_data(
        Queries=[
            q("send", "SEND"),
            q("delivery", "DELIVERY"),
            q("bounce", "PERMANENT_BOUNCE"),
            q("gmail-bounce", "PERMANENT_BOUNCE", ISP="Gmail"),
            q("yahoo-bounce", "PERMANENT_BOUNCE", ISP="Yahoo"),
            q("gmail-delivery", "DELIVERY", ISP="Gmail", EMAIL_IDENTITY="*"),
            q("identity", "SEND", EMAIL_IDENTITY="example.com"),
            q("stranger", "SEND", EMAIL_IDENTITY="example.org"),
            q("weekly", "SEND", CONFIGURATION_SET="weekly"),
            q("opens", "DELIVERY_OPEN"),
        ]
    )
    results = {r["Id"]: r for r in answer["Results"]}
    midnights = [datetime.fromtimestamp(d * DAY, UTC) for d in (today - 1, today)]
    assert all(r["Timestamps"] == midnights for r in results.values())
    totals = {query_id: sum(r["Values"]) for query_id, r in results.items()}
    assert totals == {
        "send": 5,
        "delivery": 4,
        "bounce": 1,
        "gmail-bounce": 1,
        "yahoo-bounce": 0,
        "gmail-delivery": 2,
        "identity": 5,
        "stranger": 0,
        "weekly": 1,
    }
    if day_before == today:  # not sent across midnight: everything is on today's point
        assert results["send"]["Values"] == [0, 5] and results["bounce"]["Values"] == [0, 1]
    assert [(e["Id"], e["Code"]) for e in answer["Errors"]] == [("opens", "INTERNAL_FAILURE")]
    assert "open tracker" in answer["Errors"][0]["Message"]

    with pytest.raises(ClientError) as backwards:
        client.batch_get_metric_data(Queries=[{**q("x", "SEND"), "StartDate": end, "EndDate": start}])
    assert backwards.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as unknown:
        client.batch_get_metric_data(Queries=[q("x", "SEND", COLOR="blue")])
    assert "unknown dimension" in unknown.value.response["Error"]["Message"]

    assert scrape(metered, token=None)[0] == 401
    assert scrape(metered, token="wrong")[0] == 401
    wanted = {
        ("postwarden_sends_total", ()): 5.0,
        ("postwarden_deliveries_total", ()): 4.0,
        ("postwarden_bounces_total", (("type", "permanent"),)): 1.0,
        ("postwarden_bounces_total", (("type", "transient"),)): 0.0,
        ("postwarden_complaints_total", ()): 0.0,
        ("postwarden_enforcement_status", (("status", "HEALTHY"),)): 1.0,
        ("postwarden_enforcement_status", (("status", "SHUTDOWN"),)): 0.0,
        ("postwarden_max_24_hour_send", ()): 50_000.0,
        ("postwarden_max_send_rate", ()): 1000.0,
        ("postwarden_sent_last_24_hours", ()): 5.0,
    }
    deadline = time.monotonic() + 20
    while True:  # the counters follow the event fan-out, a moment after the events are written
        status, text = scrape(metered)
        assert status == 200
        found = samples(text, account)
        if {key: found.get(key) for key in wanted} == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert {key: found.get(key) for key in wanted} == wanted
    assert found[("postwarden_bounce_rate", ())] == pytest.approx(0.2)  # 1 hard bounce of 5 messages
    assert found[("postwarden_complaint_rate", ())] == 0.0
    assert ("postwarden_delivery_queue_depth", ()) in found
    assert ("postwarden_notifications", (("state", "pending"),)) in found
    assert "@" not in text  # no addresses in any label


def test_metrics_can_be_turned_off(tmp_path_factory: pytest.TempPathFactory, mta: RemoteMta) -> None:
    running, _ = start_service(
        "sqlite", tmp_path_factory.mktemp("pw-metrics-off"), mta.relay, metrics_enabled=False
    )
    try:
        assert scrape(running, token=None)[0] == 404
    finally:
        running.stop()
