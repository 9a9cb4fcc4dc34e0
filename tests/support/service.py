"""Run the assembled service as a real process, and talk to it as users do (boto3, the CLI)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import psycopg
from botocore.config import Config

POSTGRES_ADMIN_URL = os.environ.get("POSTWARDEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_available() -> bool:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def create_postgres_database() -> str:
    """A fresh database for one service; returns its SQLAlchemy URL."""
    name = f"pw_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Account:
    account_id: str
    access_key_id: str
    secret_access_key: str


class Service:
    """`postwarden serve` in a subprocess with its own data directory (and database)."""

    def __init__(self, data_dir: Path, *, relay: str, database_url: str = "", **settings: Any) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {
            **os.environ,
            "POSTWARDEN_DATA_DIR": str(data_dir),
            "POSTWARDEN_HTTP_PORT": str(self.port),
            "POSTWARDEN_RELAY": relay,
            "POSTWARDEN_DATABASE_URL": database_url,
            "POSTWARDEN_RETRY_INITIAL_SECONDS": "1",
            "POSTWARDEN_RETRY_MAX_INTERVAL_SECONDS": "2",
            "POSTWARDEN_LOG_LEVEL": "WARNING",
        }
        # Every service gets its own SMTP ports, so several can run at once on one machine.
        self.smtp_port = int(str(settings.pop("smtp_port", free_port())))
        self.smtps_port = int(str(settings.pop("smtps_port", free_port())))
        self.dns_port = int(str(settings.pop("dns_server_port", free_port())))
        self.env["POSTWARDEN_DNS_SERVER_PORT"] = str(self.dns_port)
        self.feedback_port = int(str(settings.pop("feedback_smtp_port", free_port())))
        self.env["POSTWARDEN_FEEDBACK_SMTP_PORT"] = str(self.feedback_port)
        self.env["POSTWARDEN_SMTP_PORT"] = str(self.smtp_port)
        self.env["POSTWARDEN_SMTPS_PORT"] = str(self.smtps_port)
        for key, value in settings.items():
            self.env[f"POSTWARDEN_{key.upper()}"] = str(value)
        self.process: subprocess.Popen[bytes] | None = None
        self._store: Any = None
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Service:
        log = (self.data_dir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "postwarden", "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postwarden exited: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"postwarden did not start: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        if self._store is not None:
            self._store.dispose()
            self._store = None
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None

    def log_tail(self, lines: int = 40) -> str:
        path = self.data_dir / "server.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def cli(self, *args: str) -> Any:
        """Run `postwarden ARGS --json` against this service's settings; returns the parsed JSON."""
        result = subprocess.run(
            [sys.executable, "-m", "postwarden", *args, "--json"],
            env=self.env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"postwarden {' '.join(args)} failed: {result.stderr.decode()}")
        return json.loads(result.stdout)

    def create_account(self, region: str = "us-east-1") -> Account:
        data = self.cli("accounts", "create", "--region", region)
        return Account(data["account_id"], data["access_key_id"], data["secret_access_key"])

    def client(self, account: Account, service: str = "sesv2", region: str = "us-east-1", **kw: Any) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id=kw.pop("access_key_id", account.access_key_id),
            aws_secret_access_key=kw.pop("secret_access_key", account.secret_access_key),
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
            **kw,
        )

    def events(self, account: Account, **filters: str) -> list[dict[str, Any]]:
        """The account's events as SES documents, read from the service's database (the CLI's view)."""
        from postwarden.domain.events import EventType, render

        kind = EventType(filters["type"]) if "type" in filters else None
        with self.store().read() as tx:
            found = tx.events.find(account.account_id, None, filters.get("message_id"), kind, 1000)
        return [
            render(e.event_type, e.mail, e.detail)
            if e.mail
            else {"eventType": e.event_type.value, **e.detail}
            for e in found
        ]

    def store(self) -> Any:
        if self._store is None:
            from postwarden.storage.engine import make_engine
            from postwarden.storage.store import SqlStore

            url = self.env["POSTWARDEN_DATABASE_URL"] or f"sqlite:///{self.data_dir / 'postwarden.db'}"
            self._store = SqlStore(make_engine(url, pool_size=2))
        return self._store

    def wait_for_events(
        self, account: Account, event_type: str, count: int, timeout: float = 20.0, **filters: str
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        found: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            found = self.events(account, type=event_type, **filters)
            if len(found) >= count:
                return found
            time.sleep(0.2)
        raise AssertionError(f"{len(found)} of {count} {event_type} events; log:\n{self.log_tail()}")
