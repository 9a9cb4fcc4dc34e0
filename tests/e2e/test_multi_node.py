"""Two nodes on one PostgreSQL database: the daily quota is exact across them under concurrent load, and
they share one delivery queue without delivering anything twice."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from botocore.exceptions import ClientError
from cryptography.fernet import Fernet

from tests.conftest import require_postgres
from tests.support.mta import RemoteMta
from tests.support.service import Service, create_postgres_database, drop_postgres_database

QUOTA = 40
ATTEMPTS = 100


def test_two_nodes_share_one_exact_quota(tmp_path: Path, mta: RemoteMta) -> None:
    require_postgres()
    url = create_postgres_database()
    key = Fernet.generate_key().decode()  # both nodes must read the secrets the other wrote
    nodes = [
        Service(tmp_path / f"node{i}", relay=mta.relay, database_url=url, secret_key=key) for i in range(2)
    ]
    try:
        for node in nodes:
            node.data_dir.mkdir()
            node.start()
        account = nodes[0].create_account()
        nodes[0].cli("identities", "verify", account.account_id, "example.com")
        nodes[0].cli(
            "accounts", "set-sending", account.account_id, "--production",
            "--max-24h-send", str(QUOTA), "--max-send-rate", "100000",
        )  # fmt: skip
        clients = [node.client(account) for node in nodes]

        def attempt(i: int) -> str:
            try:
                clients[i % 2].send_email(
                    FromEmailAddress="sender@example.com",
                    Destination={"ToAddresses": [f"multi{i}@example.net"]},
                    Content={"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}}},
                )
            except ClientError as error:
                return str(error.response["Error"]["Message"])
            return "accepted"

        with ThreadPoolExecutor(16) as pool:
            outcomes = list(pool.map(attempt, range(ATTEMPTS)))
        assert outcomes.count("accepted") == QUOTA
        assert outcomes.count("Daily message quota exceeded.") == ATTEMPTS - QUOTA
        for client in clients:
            assert client.get_account()["SendQuota"]["SentLast24Hours"] == QUOTA
        # both nodes deliver from the same queue (SKIP LOCKED): every accepted message arrives once
        accepted = [f"multi{i}@example.net" for i, outcome in enumerate(outcomes) if outcome == "accepted"]
        for address in accepted:
            mta.wait_for(address)
        time.sleep(1.0)
        assert sorted(m.rcpt_to for m in mta.received if m.rcpt_to in accepted) == sorted(accepted)
    finally:
        for node in nodes:
            node.stop()
        drop_postgres_database(url)
