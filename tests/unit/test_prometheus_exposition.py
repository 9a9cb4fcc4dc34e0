"""The Prometheus text exposition (format 0.0.4): HELP and TYPE lines, escaping, values, checked with
prometheus_client's own parser; and /metrics answering 404 when off, 401 without the token, 405 to POST."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from postwarden.api.prometheus import (
    CONTENT_TYPE,
    MetricsEndpoint,
    escape_help,
    escape_label_value,
    exposition,
    format_value,
)
from postwarden.services.monitoring import Family, Kind


def families() -> list[Family]:
    sends = Family("postwarden_sends_total", Kind.COUNTER, "Recipients sent.\nSecond line \\ slash.")
    sends.add(12, account_id="111111111111", region="us-east-1")
    sends.add(3, account_id="222222222222", region="eu-west-1")
    odd = Family("postwarden_odd", Kind.GAUGE, "Labels that need escaping.")
    odd.add(0.25, state='quote " backslash \\ newline \n end')
    depth = Family("postwarden_delivery_queue_depth", Kind.GAUGE, "Queued recipients.")
    depth.add(7)
    return [sends, odd, depth]


def test_values_and_escapes() -> None:
    assert [format_value(v) for v in (3.0, 0.0, 0.125, -2.0, 1e20)] == ["3", "0", "0.125", "-2", "1e+20"]
    assert format_value(math.inf) == "+Inf" and format_value(-math.inf) == "-Inf"
    assert format_value(math.nan) == "NaN"
    assert escape_label_value('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert escape_help('say "hi"\\\n') == 'say "hi"\\\\\\n'


def test_the_text_has_help_and_type_before_the_samples() -> None:
    text = exposition(families())
    lines = text.splitlines()
    assert lines[:4] == [
        "# HELP postwarden_sends_total Recipients sent.\\nSecond line \\\\ slash.",
        "# TYPE postwarden_sends_total counter",
        'postwarden_sends_total{account_id="111111111111",region="us-east-1"} 12',
        'postwarden_sends_total{account_id="222222222222",region="eu-west-1"} 3',
    ]
    assert lines[-1] == "postwarden_delivery_queue_depth 7"
    assert text.endswith("\n")
    assert exposition([]) == ""


def test_prometheus_client_parses_it_back() -> None:
    parsed = {f.name: f for f in text_string_to_metric_families(exposition(families()))}
    sends = parsed["postwarden_sends"]
    assert sends.type == "counter"
    assert sends.documentation == "Recipients sent.\nSecond line \\ slash."
    assert [(s.name, s.labels, s.value) for s in sends.samples] == [
        ("postwarden_sends_total", {"account_id": "111111111111", "region": "us-east-1"}, 12.0),
        ("postwarden_sends_total", {"account_id": "222222222222", "region": "eu-west-1"}, 3.0),
    ]
    (odd,) = parsed["postwarden_odd"].samples
    assert odd.labels == {"state": 'quote " backslash \\ newline \n end'} and odd.value == 0.25
    assert parsed["postwarden_delivery_queue_depth"].samples[0].value == 7.0


def scrape(
    endpoint: MetricsEndpoint, method: str = "GET", token: str | None = None
) -> tuple[int, dict[bytes, bytes], bytes]:
    headers = [(b"authorization", f"Bearer {token}".encode())] if token is not None else []
    scope = {"type": "http", "method": method, "path": "/metrics", "headers": headers}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(endpoint(scope, receive, send))
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


def test_the_endpoint_is_off_guarded_or_open() -> None:
    assert scrape(MetricsEndpoint(families, enabled=False, token=""))[0] == 404
    guarded = MetricsEndpoint(families, enabled=True, token="s3cret")
    status, headers, _ = scrape(guarded)
    assert status == 401 and headers[b"www-authenticate"] == b"Bearer"
    assert scrape(guarded, token="wrong")[0] == 401
    status, headers, body = scrape(guarded, token="s3cret")
    assert status == 200 and headers[b"content-type"] == CONTENT_TYPE
    assert body.decode() == exposition(families())
    assert scrape(guarded, "POST", token="s3cret")[0] == 405
    assert scrape(MetricsEndpoint(families, enabled=True, token=""))[0] == 200


def test_a_failing_collection_answers_500() -> None:
    def broken() -> list[Family]:
        raise RuntimeError("database is gone")

    assert scrape(MetricsEndpoint(broken, enabled=True, token=""))[0] == 500
