"""SIGKILL with accepted mail in flight: after a restart every accepted message is delivered."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, require_postgres
from tests.support.mta import RemoteMta
from tests.support.service import Service, create_postgres_database, drop_postgres_database

MESSAGES = 1000


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_loses_nothing_that_was_accepted(backend: str, tmp_path: Path) -> None:
    if backend == "postgres":
        require_postgres()
    url = create_postgres_database() if backend == "postgres" else ""
    # The remote MTA takes 0.2 s per message, so most of the 1,000 are still queued when the kill comes.
    with RemoteMta(data_delay=0.2) as mta:
        service = Service(tmp_path, relay=mta.relay, database_url=url, delivery_lease_seconds=5).start()
        try:
            account = service.create_account()
            service.cli("identities", "verify", account.account_id, "example.com")
            service.cli(
                "accounts", "set-sending", account.account_id, "--production", "--max-send-rate", "100000"
            )
            recipients = [f"crash{i}@example.net" for i in range(MESSAGES)]

            def send(chunk: list[str]) -> list[str]:
                client = service.client(account)
                return [
                    client.send_email(
                        FromEmailAddress="sender@example.com",
                        Destination={"ToAddresses": [to]},
                        Content={"Simple": {"Subject": {"Data": "crash"}, "Body": {"Text": {"Data": to}}}},
                    )["MessageId"]
                    for to in chunk
                ]

            with ThreadPoolExecutor(8) as pool:
                accepted = [
                    mid for ids in pool.map(send, [recipients[i::8] for i in range(8)]) for mid in ids
                ]
            assert len(accepted) == MESSAGES
            delivered_before_kill = len({m.rcpt_to for m in mta.received})
            service.kill()
            assert delivered_before_kill < MESSAGES, "the kill came too late to prove anything"

            service.start()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and len({m.rcpt_to for m in mta.received}) < MESSAGES:
                time.sleep(0.2)
            arrived = {m.rcpt_to for m in mta.received}
            assert arrived == set(recipients), f"{MESSAGES - len(arrived)} accepted messages were lost"
        finally:
            service.stop()
            if url:
                drop_postgres_database(url)
