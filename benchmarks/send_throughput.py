"""Send throughput of Postwarden (accept rate, accept latency, end-to-end delivery rate, peak RSS) and moto.

Run: ``python benchmarks/send_throughput.py [--target postwarden|moto|both] [--messages N]``.

``--target postwarden`` starts a counting SMTP sink (benchmarks/sink.py) and ``python -m postwarden serve``
on free ports with a fresh data directory and the sink as relay, creates a production account with a huge
quota and a verified example.com through the CLI, fires N signed SES v2 SendEmail requests with
benchmarks/loadgen.py, waits until the sink has counted every accepted message, and reports. ``--target
moto`` fires the same requests at ``moto_server`` (accept numbers only: moto delivers nothing). ``both``
runs one after the other and prints the two side by side. Every subprocess is stopped on the way out.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psutil

from sink import read_report

BENCH_DIR = Path(__file__).resolve().parent
LOADGEN = BENCH_DIR / "loadgen.py"
SINK = BENCH_DIR / "sink.py"
DEFAULT_MESSAGES = {"postwarden": 20_000, "moto": 5_000}
REGION = "us-east-1"
SENDER_DOMAIN = "example.com"
SENDER = f"sender@{SENDER_DOMAIN}"
RECIPIENT = "rcpt{i}@example.net"
RSS_INTERVAL = 0.1
QUIET_CORES = 0.25  # the machine counts as quiet when other processes keep less than this busy
LOG_PROBLEM_MARKERS = ("ERROR", "CRITICAL", "Traceback", "Exception")
MAX_LOG_SAMPLES = 5


@dataclass(frozen=True)
class Options:
    messages: int | None
    concurrency: int
    api: str
    duration_limit: float
    delivery_timeout: float
    startup_timeout: float
    database_url: str
    sqlite_synchronous: str
    moto_command: str
    keep_temp: bool
    quiet_wait: float
    sink_pipelining: bool = False


# --- processes -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_ready(process: ManagedProcess, ready: Callable[[], bool], timeout: float) -> None:
    """Poll `ready` until it holds; fail early if the process exits, and after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.require_alive()
        if ready():
            return
        time.sleep(0.05)
    raise BenchmarkError(f"{process.name} was not ready after {timeout:.0f} s:\n{process.log_tail()}")


class BenchmarkError(Exception):
    pass


class ManagedProcess:
    """A subprocess whose output goes to a log file and that is always stopped (TERM, then KILL)."""

    def __init__(self, name: str, command: Sequence[str], env: Mapping[str, str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        self.popen = subprocess.Popen(
            list(command), env=dict(env), stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def require_alive(self) -> None:
        if not self.alive():
            raise BenchmarkError(f"{self.name} exited with {self.popen.returncode}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, grace: float = 10.0) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=grace)
        self._log.close()


@contextlib.contextmanager
def managed(
    name: str, command: Sequence[str], env: Mapping[str, str], log_path: Path
) -> Iterator[ManagedProcess]:
    process = ManagedProcess(name, command, env, log_path)
    try:
        yield process
    finally:
        process.stop()


def log_problems(path: Path) -> list[str]:
    """The first few lines of a server log that look like errors."""
    found: list[str] = []
    with path.open(errors="replace") as log:
        for line in log:
            if any(marker in line for marker in LOG_PROBLEM_MARKERS):
                found.append(line.rstrip()[:300])
                if len(found) >= MAX_LOG_SAMPLES:
                    break
    return found


def count_log_lines(path: Path) -> int:
    with path.open(errors="replace") as log:
        return sum(1 for _ in log)


def machine_busy_seconds() -> float:
    """CPU seconds all cores of the machine have spent not idle since boot."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def process_cpu_seconds(process: psutil.Process) -> float:
    with contextlib.suppress(psutil.Error):
        return float(sum(process.cpu_times()[:2]))
    return 0.0


def background_cores(seconds: float = 1.0) -> float:
    """How many cores the machine kept busy, on average, over the next `seconds`."""
    before = machine_busy_seconds()
    time.sleep(seconds)
    return (machine_busy_seconds() - before) / seconds


def wait_for_quiet_machine(max_wait: float, threshold: float = QUIET_CORES) -> float:
    """Wait (at most `max_wait` seconds) until other processes use less than `threshold` cores; returns
    the last measurement, so the report can say how busy the machine was when the run started."""
    deadline = time.monotonic() + max_wait
    busy = background_cores()
    while busy > threshold and time.monotonic() < deadline:
        busy = background_cores()
    return round(busy, 2)


class ResourceSampler:
    """Every RSS_INTERVAL seconds on a thread: the server's RSS (peak kept), and the CPU time used so far by
    the server, by the other watched processes and by the whole machine (kept with a timestamp)."""

    def __init__(self, server_pid: int, others: Mapping[str, int] | None = None) -> None:
        self._server = psutil.Process(server_pid)
        self._watched = {"server": self._server, **{n: psutil.Process(p) for n, p in (others or {}).items()}}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="resource-sampler", daemon=True)
        self.idle_rss_bytes = self._rss()
        self.peak_rss_bytes = self.idle_rss_bytes
        self.samples: list[tuple[float, dict[str, float]]] = []

    def _rss(self) -> int:
        with contextlib.suppress(psutil.Error):
            tree = [self._server, *self._server.children(recursive=True)]
            return sum(p.memory_info().rss for p in tree)
        return 0

    def _sample(self) -> None:
        self.peak_rss_bytes = max(self.peak_rss_bytes, self._rss())
        cpu = {name: process_cpu_seconds(process) for name, process in self._watched.items()}
        self.samples.append((time.time(), {**cpu, "machine": machine_busy_seconds()}))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(RSS_INTERVAL)

    def __enter__(self) -> ResourceSampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sample()

    def cpu_seconds(self, start: float | None = None, end: float | None = None) -> dict[str, float]:
        """CPU seconds per watched name and "machine" between the samples nearest inside [start, end]."""
        inside = [
            s for s in self.samples if (start is None or s[0] >= start) and (end is None or s[0] <= end)
        ]
        if len(inside) < 2:
            return {}
        first, last = inside[0][1], inside[-1][1]
        return {name: last[name] - first[name] for name in first} | {"seconds": inside[-1][0] - inside[0][0]}


def megabytes(count: int) -> float:
    return round(count / (1024 * 1024), 1)


# --- the load ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadTarget:
    endpoint: str
    access_key: str
    secret_key: str


def run_loadgen(target: LoadTarget, messages: int, options: Options) -> dict[str, Any]:
    command = [
        sys.executable, str(LOADGEN), "--json",
        "--endpoint", target.endpoint, "--region", REGION,
        "--access-key", target.access_key, "--secret-key", target.secret_key,
        "--from", SENDER, "--to", RECIPIENT, "--api", options.api,
        "--requests", str(messages), "--concurrency", str(options.concurrency),
        "--duration-limit", str(options.duration_limit),
    ]  # fmt: skip
    timeout = options.duration_limit + 60 + messages / 1000  # signing, start-up and the hard stop
    finished = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if finished.returncode != 0:
        raise BenchmarkError(f"loadgen failed ({finished.returncode}): {finished.stderr.strip()}")
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


def http_ok(port: int, path: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status < 500
    except OSError:
        return False
    finally:
        connection.close()


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def accept_summary(load: dict[str, Any], messages: int) -> dict[str, Any]:
    return {
        "messages": messages,
        "concurrency": load["concurrency"],
        "accepted": load["accepted"],
        "accepted_per_second": load["accepted_per_second"],
        "accept_wall_seconds": load["wall_seconds"],
        "latency_ms": load["latency_ms"],
        "errors": load["errors"],
        "not_completed": load["not_completed"],
        "loadgen_cpu_seconds": load["run_cpu_seconds"],
    }


def resource_summary(sampler: ResourceSampler, load: dict[str, Any]) -> dict[str, Any]:
    """Memory, and CPU use while the requests were being sent: the server's, and that of processes outside
    the benchmark (machine busy time minus server, sink and load generator), which skews the numbers."""
    window = sampler.cpu_seconds(load["started_at"], load["finished_at"])
    ours = window.get("server", 0.0) + window.get("sink", 0.0) + load["run_cpu_seconds"]
    server_cpu = sampler.cpu_seconds().get("server", 0.0)
    return {
        "server_idle_rss_mb": megabytes(sampler.idle_rss_bytes),
        "server_peak_rss_mb": megabytes(sampler.peak_rss_bytes),
        "server_cpu_seconds": round(server_cpu, 2),
        "server_cpu_ms_per_message": round(1000 * server_cpu / load["accepted"], 2)
        if load["accepted"]
        else None,
        "send_window_server_cpu_seconds": round(window.get("server", 0.0), 2),
        "send_window_sink_cpu_seconds": round(window.get("sink", 0.0), 2),
        "send_window_background_cpu_seconds": round(max(0.0, window.get("machine", 0.0) - ours), 2),
    }


# --- Postwarden ----------------------------------------------------------------------------------------


def postwarden_env(data_dir: Path, http_port: int, sink_port: int, options: Options) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        POSTWARDEN_DATA_DIR=str(data_dir),
        POSTWARDEN_HTTP_PORT=str(http_port),
        POSTWARDEN_RELAY=f"127.0.0.1:{sink_port}",
        POSTWARDEN_LOG_LEVEL="WARNING",
        # The SMTP listeners and the DNS server are not under test; off, so that their fixed ports never
        # collide with another instance.
        POSTWARDEN_SMTP_PORT="0",
        POSTWARDEN_SMTPS_PORT="0",
        POSTWARDEN_FEEDBACK_SMTP_PORT="0",
        POSTWARDEN_DNS_SERVER_PORT="0",
    )
    if options.database_url:
        env["POSTWARDEN_DATABASE_URL"] = options.database_url
    if options.sqlite_synchronous:
        env["POSTWARDEN_SQLITE_SYNCHRONOUS"] = options.sqlite_synchronous
    return env


def postwarden_cli(env: Mapping[str, str], *args: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "postwarden", *args, "--json"]
    finished = subprocess.run(command, env=dict(env), capture_output=True, text=True, timeout=60, check=False)
    if finished.returncode != 0:
        raise BenchmarkError(
            f"`postwarden {' '.join(args)}` failed: {finished.stderr.strip() or finished.stdout}"
        )
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


def create_sender_account(env: Mapping[str, str]) -> LoadTarget:
    """A production account with a quota and rate that never throttle the benchmark, example.com verified."""
    created = postwarden_cli(env, "accounts", "create", "--region", REGION)
    account = created["account_id"]
    postwarden_cli(
        env, "accounts", "set-sending", account, "--region", REGION, "--production",
        "--max-24h-send", "100000000", "--max-send-rate", "1000000",
    )  # fmt: skip
    postwarden_cli(env, "identities", "verify", account, SENDER_DOMAIN, "--region", REGION)
    port = int(env["POSTWARDEN_HTTP_PORT"])
    return LoadTarget(f"http://127.0.0.1:{port}", created["access_key_id"], created["secret_access_key"])


def wait_for_delivery(
    report_file: Path, expected: int, timeout: float, server: ManagedProcess
) -> dict[str, Any]:
    """The sink's report once it has counted `expected` messages, or its last report after `timeout`."""
    deadline = time.monotonic() + timeout
    report = read_report(report_file) or {}
    while report.get("messages", 0) < expected and time.monotonic() < deadline and server.alive():
        time.sleep(0.1)
        report = read_report(report_file) or report
    time.sleep(0.6)  # one more report, to see duplicates that arrive after the last expected message
    return read_report(report_file) or report


def delivery_summary(sink: dict[str, Any], load: dict[str, Any]) -> dict[str, Any]:
    delivered = int(sink.get("messages", 0))
    accepted = int(load["accepted"])
    last = sink.get("last_message_at")
    span = (last - load["started_at"]) if last else 0.0
    complete = delivered >= accepted
    counted = accepted if complete else delivered
    return {
        "delivered": delivered,
        "delivery_complete": complete,
        "delivered_per_second": round(counted / span, 1) if span > 0 else 0.0,
        "end_to_end_seconds": round(span, 3),
        "delivery_lag_seconds": round(last - load["finished_at"], 3) if last else None,
        "sink_connections": sink.get("connections", 0),
    }


def run_postwarden(options: Options, workdir: Path) -> dict[str, Any]:
    messages = options.messages or DEFAULT_MESSAGES["postwarden"]
    sink_port, http_port = free_port(), free_port()
    report_file = workdir / "sink.json"
    sink_command = [
        sys.executable, str(SINK), "--port", str(sink_port), "--report-file", str(report_file),
        "--duration-limit", str(options.duration_limit + options.delivery_timeout + 300),
        *(["--pipelining"] if options.sink_pipelining else []),
    ]  # fmt: skip
    env = postwarden_env(workdir / "data", http_port, sink_port, options)
    with (
        managed("sink", sink_command, os.environ, workdir / "sink.log") as sink,
        managed(
            "postwarden", [sys.executable, "-m", "postwarden", "serve"], env, workdir / "server.log"
        ) as server,
    ):
        wait_ready(sink, report_file.exists, options.startup_timeout)
        wait_ready(server, lambda: http_ok(http_port, "/health"), options.startup_timeout)
        target = create_sender_account(env)
        busy_before = wait_for_quiet_machine(options.quiet_wait)
        with ResourceSampler(server.pid, {"sink": sink.pid}) as sampler:
            load = run_loadgen(target, messages, options)
            sink_report = wait_for_delivery(report_file, load["accepted"], options.delivery_timeout, server)
        server_alive = server.alive()
    return {
        "target": "postwarden",
        "api": options.api,
        "database": options.database_url or "sqlite (data dir)",
        "sqlite_synchronous": options.sqlite_synchronous or "default",
        **accept_summary(load, messages),
        **delivery_summary(sink_report, load),
        **resource_summary(sampler, load),
        "busy_cores_before_run": busy_before,
        "server_alive_after_run": server_alive,
        "server_log_lines": count_log_lines(workdir / "server.log"),
        "server_log_problems": log_problems(workdir / "server.log"),
    }


# --- moto ----------------------------------------------------------------------------------------------


def moto_command(options: Options, port: int) -> list[str]:
    if options.moto_command:
        base = shlex.split(options.moto_command)
    elif shutil.which("moto_server"):
        base = ["moto_server"]
    else:
        base = [sys.executable, "-m", "moto.server"]
    return [*base, "-H", "127.0.0.1", "-p", str(port)]


def verify_moto_sender(endpoint: str, target: LoadTarget) -> None:
    """moto verifies identities immediately; SES v1 and v2 share its identity store."""
    import botocore.session

    session = botocore.session.get_session()
    common = {
        "region_name": REGION,
        "endpoint_url": endpoint,
        "aws_access_key_id": target.access_key,
        "aws_secret_access_key": target.secret_key,
    }
    session.create_client("ses", **common).verify_email_identity(EmailAddress=SENDER)
    session.create_client("sesv2", **common).create_email_identity(EmailIdentity=SENDER_DOMAIN)


def run_moto(options: Options, workdir: Path) -> dict[str, Any]:
    messages = options.messages or DEFAULT_MESSAGES["moto"]
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    target = LoadTarget(endpoint, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    with managed("moto", moto_command(options, port), os.environ, workdir / "moto.log") as server:
        wait_ready(server, lambda: port_open(port), options.startup_timeout)
        verify_moto_sender(endpoint, target)
        busy_before = wait_for_quiet_machine(options.quiet_wait)
        with ResourceSampler(server.pid) as sampler:
            load = run_loadgen(target, messages, options)
    return {
        "target": "moto",
        "api": options.api,
        **accept_summary(load, messages),
        **resource_summary(sampler, load),
        "busy_cores_before_run": busy_before,
    }


# --- reporting -----------------------------------------------------------------------------------------

ROWS: tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...] = (
    ("messages sent", lambda r: r["messages"]),
    ("concurrency", lambda r: r["concurrency"]),
    ("accepted (HTTP 200)", lambda r: r["accepted"]),
    ("sending time s", lambda r: r["accept_wall_seconds"]),
    ("accepted/s", lambda r: r["accepted_per_second"]),
    ("accept p50 ms", lambda r: r["latency_ms"]["p50"]),
    ("accept p90 ms", lambda r: r["latency_ms"]["p90"]),
    ("accept p99 ms", lambda r: r["latency_ms"]["p99"]),
    ("accept max ms", lambda r: r["latency_ms"]["max"]),
    ("delivered at sink", lambda r: r.get("delivered", "-")),
    ("end-to-end delivered/s", lambda r: r.get("delivered_per_second", "-")),
    ("delivery lag after last accept s", lambda r: r.get("delivery_lag_seconds", "-")),
    ("server idle RSS MB", lambda r: r["server_idle_rss_mb"]),
    ("server peak RSS MB", lambda r: r["server_peak_rss_mb"]),
    ("server CPU s (whole run)", lambda r: r["server_cpu_seconds"]),
    ("server CPU ms per accepted message", lambda r: r["server_cpu_ms_per_message"]),
    ("while sending: server CPU s", lambda r: r["send_window_server_cpu_seconds"]),
    ("while sending: sink CPU s", lambda r: r["send_window_sink_cpu_seconds"]),
    ("while sending: loadgen CPU s", lambda r: r["loadgen_cpu_seconds"]),
    ("while sending: other processes CPU s", lambda r: r["send_window_background_cpu_seconds"]),
    ("busy cores just before sending", lambda r: r["busy_cores_before_run"]),
)


def format_table(results: Sequence[dict[str, Any]]) -> str:
    label_width = max(len(label) for label, _ in ROWS)
    header = f"{'':<{label_width}}" + "".join(f"  {r['target']:>12}" for r in results)
    lines = [header]
    for label, value in ROWS:
        cells = ("-" if value(r) is None else str(value(r)) for r in results)
        lines.append(f"{label:<{label_width}}" + "".join(f"  {cell:>12}" for cell in cells))
    for result in results:
        lines.append(_setup(result))
    for result in results:
        lines += _problems(result)
    return "\n".join(lines)


def _setup(result: dict[str, Any]) -> str:
    text = f"{result['target']}: SES {result['api']} SendEmail (Simple content)"
    if "database" in result:
        text += f", database {result['database']}, sqlite synchronous {result['sqlite_synchronous']}"
    return text


def _problems(result: dict[str, Any]) -> list[str]:
    target = result["target"]
    lines = [
        f"{target}: {error['count']} x status {status}: {error['sample_body']}"
        for status, error in result["errors"].items()
    ]
    if result["not_completed"]:
        lines.append(f"{target}: {result['not_completed']} requests not completed (duration limit)")
    if result.get("delivery_complete") is False:
        lines.append(
            f"{target}: delivery incomplete: {result['delivered']} of {result['accepted']} at the sink"
        )
    if result.get("delivered", 0) > result["accepted"]:
        lines.append(f"{target}: the sink counted more messages than were accepted (duplicates)")
    if result.get("server_alive_after_run") is False:
        lines.append(f"{target}: the server process died during the run")
    lines += [f"{target} log: {line}" for line in result.get("server_log_problems", [])]
    return lines


# --- main ----------------------------------------------------------------------------------------------

RUNNERS: dict[str, Callable[[Options, Path], dict[str, Any]]] = {
    "postwarden": run_postwarden,
    "moto": run_moto,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=("postwarden", "moto", "both"), default="postwarden")
    parser.add_argument(
        "--messages", type=int, help="requests per target (default 20000 postwarden, 5000 moto)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="keep-alive connections of the load generator"
    )
    parser.add_argument("--api", choices=("v1", "v2"), default="v2", help="SES API the load generator speaks")
    parser.add_argument("--duration-limit", type=float, default=100.0, help="hard stop of the load, seconds")
    parser.add_argument("--delivery-timeout", type=float, default=60.0, help="wait for the sink, seconds")
    parser.add_argument("--startup-timeout", type=float, default=30.0, help="wait for each server, seconds")
    parser.add_argument("--database-url", default="", help="POSTWARDEN_DATABASE_URL for the server and CLI")
    parser.add_argument(
        "--sqlite-synchronous", default="", help="POSTWARDEN_SQLITE_SYNCHRONOUS (FULL, NORMAL)"
    )
    parser.add_argument("--moto-command", default="", help="command that starts moto (default: moto_server)")
    parser.add_argument("--keep-temp", action="store_true", help="keep the data directory and logs")
    parser.add_argument(
        "--quiet-wait", type=float, default=20.0, help="wait up to this long for other processes to go quiet"
    )
    parser.add_argument(
        "--sink-pipelining", action="store_true", help="the sink advertises PIPELINING, as real MTAs do"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser


def run_target(name: str, options: Options) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"send-throughput-{name}-"))
    try:
        return RUNNERS[name](options, workdir)
    finally:
        if options.keep_temp:
            print(f"{name}: data and logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    options = Options(
        args.messages, args.concurrency, args.api, args.duration_limit, args.delivery_timeout,
        args.startup_timeout, args.database_url, args.sqlite_synchronous, args.moto_command, args.keep_temp,
        args.quiet_wait, args.sink_pipelining,
    )  # fmt: skip
    targets = ["postwarden", "moto"] if args.target == "both" else [args.target]
    results: list[dict[str, Any]] = []
    for name in targets:
        print(f"running {name} ...", file=sys.stderr)
        try:
            results.append(run_target(name, options))
        except (BenchmarkError, subprocess.SubprocessError, OSError) as error:
            print(f"{name}: benchmark failed: {error}", file=sys.stderr)
            return 1
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
