"""A fixed-size HTTP load generator for any SES-compatible endpoint.

Run: ``python benchmarks/loadgen.py --endpoint http://127.0.0.1:8787 --access-key AK --secret-key SK``.

It pre-builds N SigV4-signed ``SendEmail`` requests (SES v2 REST-JSON by default, SES v1 Query API with
``--api v1``) exactly as a botocore client would send them, then sends them over C persistent HTTP/1.1
keep-alive connections (one request in flight per connection) with raw asyncio streams, and prints the
accepted count, accepted/s over the wall time, latency percentiles and every non-200 status with a sample
body. ``--json`` prints the same as JSON. Signatures are valid for 5 minutes, so the requests are signed
immediately before the run and a run is capped by ``--duration-limit``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.credentials import Credentials
from botocore.serialize import create_serializer

CONNECTION_ERROR = 0  # the status recorded when no HTTP response was read
SAMPLE_BODY_CHARS = 300
MAX_HEADER_BYTES = 64 * 1024
# Headers of the captured template that the signer recomputes for every request.
SIGNER_HEADERS = frozenset({"authorization", "x-amz-date", "content-length"})
# Headers botocore adds after signing (so they are not signed); the invocation id is new per request.
UNSIGNED_HEADERS = ("amz-sdk-invocation-id", "amz-sdk-request")

SUBJECT = "Benchmark message"
TEXT_BODY = (
    "Hello,\n\nthis is a benchmark message sent by benchmarks/loadgen.py. It carries a short plain-text\n"
    "body of a few hundred bytes, about the size of a typical transactional notification.\n\n"
    "Regards,\nThe benchmark\n"
)


@dataclass(frozen=True, slots=True)
class LoadConfig:
    endpoint: str
    region: str
    access_key: str
    secret_key: str
    sender: str
    recipient: str
    api: str


# --- building the signed requests -------------------------------------------------------------------


class _Captured(Exception):
    """Raised from the client's before-send hook to stop it after signing, carrying the request."""

    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


def recipient_for(template: str, index: int) -> str:
    return template.replace("{i}", str(index))


def send_email_params(api: str, sender: str, recipient: str) -> dict[str, Any]:
    """The SendEmail parameters with Simple content, as a boto3 caller would pass them."""
    if api == "v1":
        return {
            "Source": sender,
            "Destination": {"ToAddresses": [recipient]},
            "Message": {"Subject": {"Data": SUBJECT}, "Body": {"Text": {"Data": TEXT_BODY}}},
        }
    return {
        "FromEmailAddress": sender,
        "Destination": {"ToAddresses": [recipient]},
        "Content": {"Simple": {"Subject": {"Data": SUBJECT}, "Body": {"Text": {"Data": TEXT_BODY}}}},
    }


def service_name(api: str) -> str:
    return "ses" if api == "v1" else "sesv2"


def make_client(config: LoadConfig) -> Any:
    session = botocore.session.get_session()
    return session.create_client(
        service_name(config.api),
        region_name=config.region,
        endpoint_url=config.endpoint,
        aws_access_key_id=config.access_key,
        aws_secret_access_key=config.secret_key,
    )


def capture_request(client: Any, params: dict[str, Any]) -> AWSPreparedRequest:
    """The exact request the client would put on the wire for SendEmail(**params)."""

    def stop(request: AWSPreparedRequest, **_: Any) -> None:
        raise _Captured(request)

    event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.SendEmail"
    client.meta.events.register(event, stop)
    try:
        client.send_email(**params)
    except _Captured as captured:
        return captured.request
    finally:
        client.meta.events.unregister(event, stop)
    raise RuntimeError("the client sent SendEmail without passing through before-send")


class RequestBuilder:
    """Serialises and signs one SendEmail request per index, from a template captured from a real client."""

    def __init__(self, config: LoadConfig) -> None:
        self._config = config
        client = make_client(config)
        model = client.meta.service_model
        self._operation = model.operation_model("SendEmail")
        self._serializer = create_serializer(model.metadata["protocol"], include_validation=False)
        template = capture_request(client, self._params(0))
        self._method = template.method
        self._url = template.url
        self._host = _host_header(template.url)
        self._target = _request_target(template.url)
        headers = {name: _text(value) for name, value in template.headers.items()}
        self._signed_headers = {
            name: value
            for name, value in headers.items()
            if name.lower() not in SIGNER_HEADERS and name.lower() not in UNSIGNED_HEADERS
        }
        self._sdk_request = headers.get("amz-sdk-request", "attempt=1; max=3")
        self._signer = SigV4Auth(
            Credentials(config.access_key, config.secret_key), model.signing_name, config.region
        )
        if _encoded(self.body(0)) != _encoded(template.body):
            raise RuntimeError("botocore's serializer and client disagree on the SendEmail body")

    def _params(self, index: int) -> dict[str, Any]:
        recipient = recipient_for(self._config.recipient, index)
        return send_email_params(self._config.api, self._config.sender, recipient)

    def body(self, index: int) -> bytes | dict[str, str]:
        """The serialised body: JSON bytes (v2), or the form fields (v1) that AWSRequest url-encodes."""
        body: bytes | dict[str, str] = self._serializer.serialize_to_request(
            self._params(index), self._operation
        )["body"]
        return body

    def build(self, index: int) -> bytes:
        request = AWSRequest(
            method=self._method, url=self._url, data=self.body(index), headers=dict(self._signed_headers)
        )
        self._signer.add_auth(request)
        request.headers["amz-sdk-invocation-id"] = str(uuid.uuid4())
        request.headers["amz-sdk-request"] = self._sdk_request
        prepared = request.prepare()
        return _wire_bytes(prepared.method, self._target, self._host, prepared.headers.items(), prepared.body)


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _encoded(body: bytes | str | dict[str, str] | None) -> bytes:
    """A request body as bytes; form fields are url-encoded the way AWSRequest does it."""
    if isinstance(body, dict):
        return _encoded(AWSRequest(method="POST", url="http://localhost/", data=body).prepare().body)
    if isinstance(body, str):
        return body.encode()
    return body or b""


def _host_header(url: str) -> str:
    """The Host header SigV4 signs (botocore leaves out a default port, as HTTP clients do)."""
    parts = urlsplit(url)
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    host = parts.hostname or ""
    return host if parts.port in (None, default_port) else f"{host}:{parts.port}"


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _wire_bytes(method: str, target: str, host: str, headers: Any, body: bytes | str | None) -> bytes:
    payload = _encoded(body)
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Accept-Encoding: identity"]
    lines += [f"{name}: {_text(value)}" for name, value in headers]
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1") + payload


def build_requests(config: LoadConfig, count: int) -> list[bytes]:
    builder = RequestBuilder(config)
    return [builder.build(index) for index in range(count)]


# --- HTTP/1.1 over raw asyncio streams ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    keep_alive: bool


async def read_response(reader: asyncio.StreamReader) -> HttpResponse:
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > MAX_HEADER_BYTES:
        raise ValueError("response header too large")
    status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
    version, status = _parse_status_line(status_line)
    headers = _parse_headers(header_lines)
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
    if status < 200 or status in (204, 304):
        return HttpResponse(status, b"", keep_alive)
    if "content-length" in headers:
        return HttpResponse(status, await reader.readexactly(int(headers["content-length"])), keep_alive)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return HttpResponse(status, await _read_chunked(reader), keep_alive)
    return HttpResponse(status, await reader.read(), False)  # delimited by the end of the connection


def _parse_status_line(line: str) -> tuple[str, int]:
    version, _, rest = line.partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/") or not code.isdigit():
        raise ValueError(f"bad status line {line!r}")
    return version, int(code)


def _parse_headers(lines: Sequence[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            await _skip_trailers(reader)
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def _skip_trailers(reader: asyncio.StreamReader) -> None:
    while await reader.readuntil(b"\r\n") != b"\r\n":
        pass


class Connection:
    """One keep-alive connection with at most one request in flight; reopened after a close or an error."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)

    async def exchange(self, request: bytes) -> HttpResponse:
        await self.open()
        assert self._reader is not None and self._writer is not None
        try:
            self._writer.write(request)
            await self._writer.drain()
            response = await read_response(self._reader)
        except BaseException:
            self.close()
            raise
        if not response.keep_alive:
            self.close()
        return response

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


# --- the run ------------------------------------------------------------------------------------------


@dataclass
class RunRecord:
    """Raw measurements; latencies and statuses are in completion order."""

    requests: int
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    samples: dict[int, str] = field(default_factory=dict)
    started_at: float = 0.0  # wall clock (time.time) when the first request was written
    wall_seconds: float = 0.0
    stopped_by_limit: bool = False

    def record(self, status: int, latency: float, body: bytes) -> None:
        self.latencies.append(latency)
        self.statuses.append(status)
        if status != 200 and status not in self.samples:
            self.samples[status] = body[:SAMPLE_BODY_CHARS].decode("utf-8", "replace")


async def _worker(
    connection: Connection, requests: list[bytes], next_index: Callable[[], int], run: RunRecord
) -> None:
    while (index := next_index()) >= 0:
        started = time.perf_counter()
        try:
            response = await connection.exchange(requests[index])
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            run.record(CONNECTION_ERROR, time.perf_counter() - started, repr(error).encode())
            continue
        run.record(response.status, time.perf_counter() - started, response.body)


def _index_counter(count: int) -> Callable[[], int]:
    iterator = iter(range(count))
    return lambda: next(iterator, -1)


async def run_load(
    requests: list[bytes], host: str, port: int, concurrency: int, duration_limit: float
) -> RunRecord:
    run = RunRecord(len(requests), concurrency)
    connections = [Connection(host, port) for _ in range(max(1, min(concurrency, len(requests))))]
    await asyncio.wait_for(asyncio.gather(*(c.open() for c in connections)), timeout=30)
    next_index = _index_counter(len(requests))
    run.started_at = time.time()
    started = time.perf_counter()
    try:
        async with asyncio.timeout(duration_limit):
            await asyncio.gather(*(_worker(c, requests, next_index, run) for c in connections))
    except TimeoutError:
        run.stopped_by_limit = True
    run.wall_seconds = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return run


# --- reporting ----------------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence; 0.0 when it is empty."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(run: RunRecord, build_seconds: float, run_cpu_seconds: float) -> dict[str, Any]:
    latencies_ms = sorted(latency * 1000.0 for latency in run.latencies)
    accepted = run.statuses.count(200)
    errors = {status: run.statuses.count(status) for status in sorted(set(run.statuses)) if status != 200}
    return {
        "requests": run.requests,
        "completed": len(run.statuses),
        "not_completed": run.requests - len(run.statuses),
        "accepted": accepted,
        "concurrency": run.concurrency,
        "wall_seconds": round(run.wall_seconds, 3),
        "accepted_per_second": round(accepted / run.wall_seconds, 1) if run.wall_seconds > 0 else 0.0,
        "latency_ms": {
            "p50": round(percentile(latencies_ms, 0.50), 2),
            "p90": round(percentile(latencies_ms, 0.90), 2),
            "p99": round(percentile(latencies_ms, 0.99), 2),
            "max": round(latencies_ms[-1], 2) if latencies_ms else 0.0,
        },
        "errors": {
            str(status): {"count": count, "sample_body": run.samples[status]}
            for status, count in errors.items()
        },
        "stopped_by_duration_limit": run.stopped_by_limit,
        "started_at": run.started_at,
        "finished_at": run.started_at + run.wall_seconds,
        "build_seconds": round(build_seconds, 3),
        "run_cpu_seconds": round(run_cpu_seconds, 3),
    }


def format_summary(summary: dict[str, Any]) -> str:
    latency = summary["latency_ms"]
    lines = [
        f"requests:      {summary['requests']} (completed {summary['completed']}, "
        f"concurrency {summary['concurrency']})",
        f"accepted:      {summary['accepted']} (HTTP 200)",
        f"accepted/s:    {summary['accepted_per_second']} over {summary['wall_seconds']} s",
        "latency ms:    " + "  ".join(f"{name} {value}" for name, value in latency.items()),
        f"client:        signing {summary['build_seconds']} s, {summary['run_cpu_seconds']} CPU-s sending",
    ]
    if summary["stopped_by_duration_limit"]:
        lines.append("stopped by --duration-limit before all requests completed")
    for status, error in summary["errors"].items():
        label = "connection error" if status == str(CONNECTION_ERROR) else f"HTTP {status}"
        lines.append(f"{label}: {error['count']}  sample: {error['sample_body']}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:8787", help="http://host:port of the SES API")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--access-key", default="AKIAIOSFODNN7EXAMPLE")
    parser.add_argument("--secret-key", default="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    parser.add_argument("--from", dest="sender", default="sender@example.com", help="the verified sender")
    parser.add_argument(
        "--to", dest="recipient", default="rcpt{i}@example.net", help="recipient; {i} varies it"
    )
    parser.add_argument("--requests", type=int, default=1000, help="how many requests to send (N)")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections (C)")
    parser.add_argument(
        "--api", choices=("v1", "v2"), default="v2", help="SES v1 Query API or SES v2 REST-JSON"
    )
    parser.add_argument(
        "--duration-limit", type=float, default=120.0, help="hard stop after this many seconds"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def _endpoint_address(endpoint: str) -> tuple[str, int]:
    parts = urlsplit(endpoint)
    if parts.scheme != "http" or not parts.hostname:
        raise SystemExit(f"loadgen: --endpoint must be http://host:port, not {endpoint!r}")
    return parts.hostname, parts.port or 80


def _run(coroutine: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def run_benchmark(
    config: LoadConfig, requests: int, concurrency: int, duration_limit: float
) -> dict[str, Any]:
    host, port = _endpoint_address(config.endpoint)
    build_started = time.perf_counter()
    prepared = build_requests(config, requests)
    build_seconds = time.perf_counter() - build_started
    cpu_before = time.process_time()
    run = _run(run_load(prepared, host, port, concurrency, duration_limit))
    return summarize(run, build_seconds, time.process_time() - cpu_before)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.duration_limit <= 0:
        raise SystemExit("loadgen: --requests, --concurrency and --duration-limit must be positive")
    if args.duration_limit > 270:
        print("loadgen: warning: signatures expire 5 minutes after signing", file=sys.stderr)
    config = LoadConfig(
        args.endpoint, args.region, args.access_key, args.secret_key, args.sender, args.recipient, args.api
    )
    try:
        summary = run_benchmark(config, args.requests, args.concurrency, args.duration_limit)
    except (OSError, TimeoutError) as error:
        print(f"loadgen: cannot connect to {args.endpoint}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
