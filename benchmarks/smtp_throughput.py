"""SMTP submission throughput: authenticated STARTTLS sessions sending to Postwarden's SMTP interface.

Run: ``python benchmarks/smtp_throughput.py [--messages N] [--sessions C]``. Starts the counting sink and
``postwarden serve`` (SMTP on free ports), creates a production account through the CLI, derives its SMTP
password, then C concurrent sessions (EHLO, STARTTLS, AUTH LOGIN once each) send N messages in total and
the sink counts deliveries. Reports durable accepts per second (a 250 reply means committed), accept
latency percentiles and end-to-end delivered messages per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiosmtplib

from postwarden.domain.credentials import smtp_password
from send_throughput import (
    SINK,
    Options,
    create_sender_account,
    free_port,
    http_ok,
    managed,
    postwarden_cli,
    postwarden_env,
    wait_for_delivery,
    wait_ready,
)

MESSAGE = (
    "From: sender@example.com\r\nTo: {to}\r\nSubject: smtp benchmark\r\n\r\n"
    + "A line of body text for the SMTP benchmark.\r\n" * 8
)


async def session(
    port: int, user: str, password: str, count: int, offset: int, latencies: list[float]
) -> int:
    context = ssl._create_unverified_context()  # the service's certificate is self-signed
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=True, tls_context=context, timeout=60)
    await client.connect()
    await client.login(user, password)
    accepted = 0
    for i in range(offset, offset + count):
        to = f"rcpt{i}@example.net"
        started = time.perf_counter()
        _, reply = await client.sendmail("sender@example.com", [to], MESSAGE.format(to=to).encode())
        latencies.append(time.perf_counter() - started)
        accepted += reply.startswith("Ok ")
    await client.quit()
    return accepted


async def load(port: int, user: str, password: str, messages: int, sessions: int) -> dict[str, Any]:
    latencies: list[float] = []
    per_session = messages // sessions
    started = time.time()
    counts = await asyncio.gather(
        *(session(port, user, password, per_session, i * per_session, latencies) for i in range(sessions))
    )
    finished = time.time()
    latencies.sort()

    def percentile(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    accepted = sum(counts)
    return {
        "accepted": accepted,
        "started_at": started,
        "finished_at": finished,
        "accepted_per_second": round(accepted / (finished - started), 1),
        "p50_ms": percentile(0.5),
        "p99_ms": percentile(0.99),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    options = Options(None, 16, "v2", 300, 120, 30, "", "", "", False, 0)
    with tempfile.TemporaryDirectory(prefix="pw-smtp-bench-") as tmp:
        workdir = Path(tmp)
        sink_port, http_port, smtp_port = free_port(), free_port(), free_port()
        report = workdir / "sink.json"
        env = postwarden_env(workdir / "data", http_port, sink_port, options)
        env["POSTWARDEN_SMTP_PORT"] = str(smtp_port)
        sink_cmd = [sys.executable, str(SINK), "--port", str(sink_port), "--report-file", str(report)]
        with (
            managed("sink", sink_cmd, os.environ, workdir / "sink.log") as sink,
            managed(
                "postwarden", [sys.executable, "-m", "postwarden", "serve"], env, workdir / "s.log"
            ) as server,
        ):
            wait_ready(sink, report.exists, 30)
            wait_ready(server, lambda: http_ok(http_port, "/health"), 30)
            target = create_sender_account(env)
            password = smtp_password(target.secret_key, "us-east-1")
            assert (
                postwarden_cli(env, "accounts", "smtp-credentials", target.access_key)["password"] == password
            )
            result = asyncio.run(load(smtp_port, target.access_key, password, args.messages, args.sessions))
            sink_report = wait_for_delivery(report, result["accepted"], 120, server)
        last = sink_report.get("last_message_at") or result["finished_at"]
        result["delivered"] = sink_report.get("messages", 0)
        result["end_to_end_per_second"] = round(result["delivered"] / (last - result["started_at"]), 1)
        result["sessions"] = args.sessions
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            if not key.endswith("_at"):
                print(f"{key:<24} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
