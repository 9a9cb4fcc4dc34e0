"""The grouped daily counts behind BatchGetMetricData, on SQLite and PostgreSQL: what each kind counts,
what it leaves out (the simulator, other accounts and regions, suppression-list bounces), the split by
Source and recipient domain, the configuration-set filter, and unique opens; then the service on top."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from postwarden.domain.events import EventType
from postwarden.domain.identities import IdentityType, VerificationStatus
from postwarden.domain.simulator import SimulatorScenario
from postwarden.domain.vdm import Dimension, MetricQuery, QueryErrorCode, VdmMetric
from postwarden.ports import Identity, NewEvent, NewMessage, NewRecipient
from postwarden.ports.metrics import CountKind, DailyCount, DailyCountQuery
from postwarden.services.metrics import MetricFailure, MetricSeries, MetricsService
from postwarden.storage.store import SqlStore

DAY = 86_400
D0 = 20_000  # 2024-10-04, in days since the epoch
T0 = D0 * DAY
ACCOUNT, OTHER = "111111111111", "222222222222"
REGION = "us-east-1"
PERMANENT = {"bounceType": "Permanent", "bounceSubType": "General"}
SUPPRESSED = {"bounceType": "Permanent", "bounceSubType": "OnAccountSuppressionList"}
TRANSIENT = {"bounceType": "Transient", "bounceSubType": "MailboxFull"}


def _message(
    message_id: str, source: str, at: float, config: str | None, account: str = ACCOUNT
) -> NewMessage:
    return NewMessage(
        message_id,
        account,
        REGION,
        at,
        source,
        "bounces.pw",
        [],
        b"x",
        "root",
        "",
        "SendEmail",
        config,
        {},
        {},
    )


def _recipients(message_id: str, at: float, *addresses: str, account: str = ACCOUNT) -> list[NewRecipient]:
    return [
        NewRecipient(
            message_id,
            account,
            REGION,
            address,
            address.rpartition("@")[2].lower(),
            at,
            SimulatorScenario.SUCCESS if address.endswith("@simulator.amazonses.com") else None,
        )
        for address in addresses
    ]


def _event(
    message_id: str, recipient: str, kind: EventType, at: float, detail: Any = None, account: str = ACCOUNT
) -> NewEvent:
    return NewEvent(str(uuid.uuid4()), account, REGION, message_id, recipient, kind, at, detail or {})


@pytest.fixture
def traffic(store: SqlStore) -> SqlStore:
    """Day 0: m1 from news@example.com (set cs-a) to Gmail, Yahoo UK and the simulator; day 1: m2 from
    ops@mail.example.org (no set) to Gmail. Plus noise: another account, another region."""
    with store.transaction() as tx:
        tx.messages.add_messages(
            [
                _message("m1", '"News" <news@example.com>', T0 + 100, "cs-a"),
                _message("m2", "ops@mail.example.org", T0 + DAY + 50, None),
                _message("x1", "x@example.com", T0 + 100, "cs-a", account=OTHER),
            ]
        )
        tx.messages.add_recipients(
            [
                *_recipients(
                    "m1", T0 + 100, "a@gmail.com", "b@yahoo.co.uk", "success@simulator.amazonses.com"
                ),
                *_recipients("m2", T0 + DAY + 50, "d@gmail.com"),
                *_recipients("x1", T0 + 100, "z@gmail.com", account=OTHER),
            ]
        )
        tx.events.add(
            [
                _event("m1", "a@GMAIL.com", EventType.DELIVERY, T0 + 200),
                _event("m1", "success@simulator.amazonses.com", EventType.DELIVERY, T0 + 200),
                _event("m1", "b@yahoo.co.uk", EventType.BOUNCE, T0 + 300, PERMANENT),
                _event("m2", "d@gmail.com", EventType.BOUNCE, T0 + DAY + 60, SUPPRESSED),
                _event("m2", "d@gmail.com", EventType.BOUNCE, T0 + DAY + 70, TRANSIENT),
                _event("m1", "a@gmail.com", EventType.COMPLAINT, T0 + DAY + 10),
                _event("m1", "a@gmail.com", EventType.OPEN, T0 + 400),
                _event("m1", "a@gmail.com", EventType.OPEN, T0 + 500),
                _event("m1", "a@gmail.com", EventType.OPEN, T0 + DAY + 500),
                _event("m2", "d@gmail.com", EventType.CLICK, T0 + DAY + 80),
                _event("x1", "z@gmail.com", EventType.DELIVERY, T0 + 200, account=OTHER),
            ]
        )
        noise = NewEvent("n1", ACCOUNT, "eu-west-1", "m1", "a@gmail.com", EventType.DELIVERY, T0 + 200, {})
        tx.events.add([noise])
    return store


def counts(store: SqlStore, kind: CountKind, days: int = 2, **options: Any) -> list[DailyCount]:
    query = DailyCountQuery(ACCOUNT, REGION, kind, T0, T0 + days * DAY, **options)
    with store.read() as tx:
        found = tx.events.daily_counts(query)
    return sorted(found, key=lambda c: (c.day, c.source or "", c.domain or ""))


def test_sends_count_recipients_per_day_without_the_simulator_or_other_accounts(traffic: SqlStore) -> None:
    assert counts(traffic, CountKind.SENDS) == [DailyCount(D0, 2), DailyCount(D0 + 1, 1)]


def test_sends_split_by_source_and_domain_and_filtered_by_configuration_set(traffic: SqlStore) -> None:
    assert counts(traffic, CountKind.SENDS, by_source=True) == [
        DailyCount(D0, 2, source='"News" <news@example.com>'),
        DailyCount(D0 + 1, 1, source="ops@mail.example.org"),
    ]
    assert counts(traffic, CountKind.SENDS, by_domain=True) == [
        DailyCount(D0, 1, domain="gmail.com"),
        DailyCount(D0, 1, domain="yahoo.co.uk"),
        DailyCount(D0 + 1, 1, domain="gmail.com"),
    ]
    assert counts(traffic, CountKind.SENDS, configuration_sets=frozenset({"cs-a"})) == [DailyCount(D0, 2)]
    assert counts(traffic, CountKind.SENDS, configuration_sets=frozenset({"cs-b"})) == []


def test_event_kinds_and_what_they_leave_out(traffic: SqlStore) -> None:
    assert counts(traffic, CountKind.DELIVERIES) == [DailyCount(D0, 1)]  # not the simulator, not eu-west-1
    assert counts(traffic, CountKind.PERMANENT_BOUNCES) == [DailyCount(D0, 1)]  # not OnAccountSuppressionList
    assert counts(traffic, CountKind.TRANSIENT_BOUNCES) == [DailyCount(D0 + 1, 1)]
    assert counts(traffic, CountKind.COMPLAINTS) == [DailyCount(D0 + 1, 1)]
    assert counts(traffic, CountKind.UNIQUE_CLICKS) == [DailyCount(D0 + 1, 1)]


def test_event_counts_split_by_lowercased_domain_and_source(traffic: SqlStore) -> None:
    assert counts(traffic, CountKind.DELIVERIES, by_domain=True, by_source=True) == [
        DailyCount(D0, 1, source='"News" <news@example.com>', domain="gmail.com")
    ]
    assert counts(traffic, CountKind.PERMANENT_BOUNCES, configuration_sets=frozenset({"cs-a"})) == [
        DailyCount(D0, 1)
    ]


def test_unique_opens_count_each_recipient_once_on_the_day_of_the_first_open(traffic: SqlStore) -> None:
    assert counts(traffic, CountKind.UNIQUE_OPENS) == [DailyCount(D0, 1)]
    assert counts(traffic, CountKind.UNIQUE_OPENS, by_domain=True, by_source=True) == [
        DailyCount(D0, 1, source='"News" <news@example.com>', domain="gmail.com")
    ]
    later = DailyCountQuery(ACCOUNT, REGION, CountKind.UNIQUE_OPENS, T0 + DAY, T0 + 2 * DAY)
    with traffic.read() as tx:
        assert tx.events.daily_counts(later) == [DailyCount(D0 + 1, 1)]  # first open within the interval


def query(metric: VdmMetric, days: int = 2, **filters: frozenset[str] | None) -> MetricQuery:
    return MetricQuery(metric.value, metric, {Dimension(k): v for k, v in filters.items()}, D0, D0 + days - 1)


def test_the_service_answers_daily_series_filtered_by_identity_isp_and_set(traffic: SqlStore) -> None:
    with traffic.transaction() as tx:
        tx.identities.add(
            Identity(ACCOUNT, REGION, "example.org", IdentityType.DOMAIN, VerificationStatus.SUCCESS, T0)
        )
    service = MetricsService(traffic, frozenset({"gmail.com"}))
    answers = service.batch(
        ACCOUNT,
        REGION,
        [
            query(VdmMetric.SEND, days=3),
            MetricQuery("by-isp", VdmMetric.SEND, {Dimension.ISP: frozenset({"gmail"})}, D0, D0 + 1),
            MetricQuery(
                "org", VdmMetric.SEND, {Dimension.EMAIL_IDENTITY: frozenset({"example.org"})}, D0, D0 + 1
            ),
            MetricQuery(
                "com", VdmMetric.SEND, {Dimension.EMAIL_IDENTITY: frozenset({"example.com"})}, D0, D0 + 1
            ),
            MetricQuery("set", VdmMetric.DELIVERY, {Dimension.CONFIGURATION_SET: None}, D0, D0 + 1),
            query(VdmMetric.DELIVERY_COMPLAINT),
            query(
                VdmMetric.PERMANENT_BOUNCE, ISP=frozenset({"yahoo"}), CONFIGURATION_SET=frozenset({"cs-a"})
            ),
            query(VdmMetric.DELIVERY_OPEN),
            MetricQuery("tenant", VdmMetric.SEND, {Dimension.TENANT_NAME: None}, D0, D0 + 1),
        ],
    )
    series = {a.query_id: a.values for a in answers if isinstance(a, MetricSeries)}
    assert series == {
        "SEND": (2, 1, 0),
        "by-isp": (1, 1),
        "org": (0, 1),  # ops@mail.example.org is covered by the parent domain identity
        "com": (2, 0),  # no identity: the Source's domain
        "set": (1, 0),
        "DELIVERY_COMPLAINT": (1, 0),  # a@GMAIL.com is at a feedback-loop domain
        "PERMANENT_BOUNCE": (1, 0),
    }
    first = next(a for a in answers if isinstance(a, MetricSeries))
    assert first.timestamps == (float(T0), float(T0 + DAY), float(T0 + 2 * DAY))
    failures = {a.query_id: a.code for a in answers if isinstance(a, MetricFailure)}
    assert failures == {
        "DELIVERY_OPEN": QueryErrorCode.INTERNAL_FAILURE,
        "tenant": QueryErrorCode.ACCESS_DENIED,
    }
