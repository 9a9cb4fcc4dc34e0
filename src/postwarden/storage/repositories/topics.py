"""SNS topics and their HTTP(S) subscriptions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from postwarden.domain.notifications import Subscription, SubscriptionStatus, Topic
from postwarden.storage.tables import subscriptions, topics


class SqlTopicRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add_topic(self, topic: Topic) -> bool:
        savepoint = self._c.begin_nested()
        try:
            self._c.execute(
                insert(topics).values(
                    arn=topic.arn,
                    account_id=topic.account_id,
                    region=topic.region,
                    name=topic.name,
                    created_at=topic.created_at,
                    signature_version=topic.signature_version,
                    display_name=topic.display_name,
                )
            )
        except IntegrityError:
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

    def get_topic(self, arn: str) -> Topic | None:
        row = self._c.execute(select(topics).where(topics.c.arn == arn)).mappings().first()
        return None if row is None else _topic(row)

    def topics(self, account_id: str, region: str) -> list[Topic]:
        query = (
            select(topics)
            .where(topics.c.account_id == account_id, topics.c.region == region)
            .order_by(topics.c.name)
        )
        return [_topic(row) for row in self._c.execute(query).mappings()]

    def delete_topic(self, arn: str) -> bool:
        self._c.execute(delete(subscriptions).where(subscriptions.c.topic_arn == arn))
        return self._c.execute(delete(topics).where(topics.c.arn == arn)).rowcount > 0

    def add_subscription(self, subscription: Subscription) -> None:
        self._c.execute(
            insert(subscriptions).values(
                arn=subscription.arn,
                topic_arn=subscription.topic_arn,
                account_id=subscription.account_id,
                protocol=subscription.protocol,
                endpoint=subscription.endpoint,
                status=subscription.status.value,
                token=subscription.token,
                created_at=subscription.created_at,
                raw_message_delivery=subscription.raw_message_delivery,
            )
        )

    def get_subscription(self, arn: str) -> Subscription | None:
        row = self._c.execute(select(subscriptions).where(subscriptions.c.arn == arn)).mappings().first()
        return None if row is None else _subscription(row)

    def subscriptions(self, account_id: str, topic_arn: str | None = None) -> list[Subscription]:
        query = select(subscriptions).where(subscriptions.c.account_id == account_id)
        if topic_arn is not None:
            query = query.where(subscriptions.c.topic_arn == topic_arn)
        query = query.order_by(subscriptions.c.created_at, subscriptions.c.arn)
        return [_subscription(row) for row in self._c.execute(query).mappings()]

    def confirm(self, topic_arn: str, token: str) -> Subscription | None:
        query = select(subscriptions).where(
            subscriptions.c.topic_arn == topic_arn, subscriptions.c.token == token
        )
        row = self._c.execute(query).mappings().first()
        if row is None:
            return None
        self._c.execute(
            update(subscriptions)
            .where(subscriptions.c.arn == row["arn"])
            .values(status=SubscriptionStatus.CONFIRMED.value)
        )
        found = _subscription(row)
        return Subscription(
            found.arn,
            found.topic_arn,
            found.account_id,
            found.protocol,
            found.endpoint,
            SubscriptionStatus.CONFIRMED,
            found.token,
            found.created_at,
            found.raw_message_delivery,
        )

    def delete_subscription(self, arn: str) -> bool:
        return self._c.execute(delete(subscriptions).where(subscriptions.c.arn == arn)).rowcount > 0

    def set_raw_message_delivery(self, arn: str, raw: bool) -> bool:
        statement = update(subscriptions).where(subscriptions.c.arn == arn).values(raw_message_delivery=raw)
        return self._c.execute(statement).rowcount > 0

    def confirmed(self, topic_arns: Iterable[str]) -> dict[str, list[Subscription]]:
        wanted = list(set(topic_arns))
        if not wanted:
            return {}
        query = select(subscriptions).where(
            subscriptions.c.topic_arn.in_(wanted),
            subscriptions.c.status == SubscriptionStatus.CONFIRMED.value,
        )
        found: dict[str, list[Subscription]] = {}
        for row in self._c.execute(query).mappings():
            found.setdefault(row["topic_arn"], []).append(_subscription(row))
        return found


def _topic(row: Any) -> Topic:
    return Topic(
        arn=row["arn"],
        account_id=row["account_id"],
        region=row["region"],
        name=row["name"],
        created_at=row["created_at"],
        signature_version=row["signature_version"],
        display_name=row["display_name"],
    )


def _subscription(row: Any) -> Subscription:
    return Subscription(
        arn=row["arn"],
        topic_arn=row["topic_arn"],
        account_id=row["account_id"],
        protocol=row["protocol"],
        endpoint=row["endpoint"],
        status=SubscriptionStatus(row["status"]),
        token=row["token"],
        created_at=row["created_at"],
        raw_message_delivery=bool(row["raw_message_delivery"]),
    )
