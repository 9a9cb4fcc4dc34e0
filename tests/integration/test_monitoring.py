"""The Prometheus snapshot from the real database (SQLite and PostgreSQL): reputation standings read
without locks agree with the per-account report; every sending state is listed, zeros before any mail."""

from __future__ import annotations

from postwarden.domain.model import SendingLimits
from postwarden.domain.reputation import Metric
from postwarden.services.monitoring import MonitoringService
from postwarden.storage.store import SqlStore
from tests.integration.test_reputation_pipeline import Harness
from tests.support.fakes import FakeClock


def test_the_snapshot_reports_counters_rates_status_and_limits(store: SqlStore) -> None:
    clock = FakeClock()
    h = Harness(store, clock)
    h.outcomes("customers.example", 282, 18)  # 6 % hard bounces: PROBATION
    quiet = "999999999999"
    with store.transaction() as tx:
        tx.accounts.add_account(quiet, clock.now(), "")
        tx.sending.lock_states([(quiet, "eu-west-1")], SendingLimits(200, 1.0), clock.now())

    (standing,) = [s for s in h.service.standings() if s.account_id == h.account]
    report = h.service.report(h.account, "us-east-1")
    assert standing.totals == report.totals and standing.totals["sends"] == 300
    assert standing.assessment.reading(Metric.BOUNCE) == report.assessment.reading(Metric.BOUNCE)

    families = {f.name: f for f in MonitoringService(store, clock, h.service).collect()}

    def value(name: str, account: str, **labels: str) -> float:
        wanted = {"account_id": account, **labels}
        (found,) = [s.value for s in families[name].samples if wanted.items() <= dict(s.labels).items()]
        return found

    assert value("postwarden_sends_total", h.account) == 300
    assert value("postwarden_deliveries_total", h.account) == 282
    assert value("postwarden_bounces_total", h.account, type="permanent") == 18
    assert value("postwarden_bounces_total", h.account, type="transient") == 0
    assert value("postwarden_bounce_rate", h.account) == 0.06
    assert value("postwarden_enforcement_status", h.account, status="PROBATION") == 1
    assert value("postwarden_enforcement_status", h.account, status="HEALTHY") == 0
    assert value("postwarden_sends_total", quiet, region="eu-west-1") == 0
    assert value("postwarden_max_24_hour_send", quiet) == 200
    assert value("postwarden_enforcement_status", quiet, status="HEALTHY") == 1
    assert [s.value for s in families["postwarden_delivery_queue_depth"].samples] == [0]
    assert {dict(s.labels)["state"] for s in families["postwarden_notifications"].samples} >= {
        "pending",
        "delivered",
        "expired",
    }
