"""Configuration-set event destinations and identity notification topics."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from postwarden.domain.events import EventType
from postwarden.domain.notifications import EventDestination, IdentityTopics
from postwarden.storage.tables import event_destinations as table
from postwarden.storage.tables import identity_topics


class SqlEventDestinationRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, destination: EventDestination) -> bool:
        savepoint = self._c.begin_nested()
        try:
            self._c.execute(insert(table).values(**_values(destination)))
        except IntegrityError:
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

    def for_set(self, account_id: str, region: str, configuration_set: str) -> list[EventDestination]:
        query = (
            select(table)
            .where(
                table.c.account_id == account_id,
                table.c.region == region,
                table.c.configuration_set == configuration_set,
            )
            .order_by(table.c.name)
        )
        return [_destination(row) for row in self._c.execute(query).mappings()]

    def for_sets(
        self, keys: Iterable[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], list[EventDestination]]:
        wanted = list(set(keys))
        if not wanted:
            return {}
        columns = tuple_(table.c.account_id, table.c.region, table.c.configuration_set)
        found: dict[tuple[str, str, str], list[EventDestination]] = {}
        for row in self._c.execute(select(table).where(columns.in_(wanted))).mappings():
            key = (row["account_id"], row["region"], row["configuration_set"])
            found.setdefault(key, []).append(_destination(row))
        return found

    def replace(self, destination: EventDestination) -> bool:
        statement = (
            update(table)
            .where(
                table.c.account_id == destination.account_id,
                table.c.region == destination.region,
                table.c.configuration_set == destination.configuration_set,
                table.c.name == destination.name,
            )
            .values(**_values(destination))
        )
        return self._c.execute(statement).rowcount > 0

    def delete(self, account_id: str, region: str, configuration_set: str, name: str) -> bool:
        statement = delete(table).where(
            table.c.account_id == account_id,
            table.c.region == region,
            table.c.configuration_set == configuration_set,
            table.c.name == name,
        )
        return self._c.execute(statement).rowcount > 0

    def delete_for_set(self, account_id: str, region: str, configuration_set: str) -> None:
        self._c.execute(
            delete(table).where(
                table.c.account_id == account_id,
                table.c.region == region,
                table.c.configuration_set == configuration_set,
            )
        )

    def identity_topics(
        self, account_id: str, region: str, identities: Iterable[str]
    ) -> dict[str, IdentityTopics]:
        wanted = list({name.lower() for name in identities})
        if not wanted:
            return {}
        query = select(identity_topics).where(
            identity_topics.c.account_id == account_id,
            identity_topics.c.region == region,
            identity_topics.c.identity.in_(wanted),
        )
        return {row["identity"]: _identity_topics(row) for row in self._c.execute(query).mappings()}

    def put_identity_topics(self, settings: IdentityTopics) -> None:
        self.delete_identity_topics(settings.account_id, settings.region, settings.identity)
        self._c.execute(
            insert(identity_topics).values(
                account_id=settings.account_id,
                region=settings.region,
                identity=settings.identity.lower(),
                topics=json.dumps({kind.value: arn for kind, arn in settings.topics.items()}),
                forwarding_enabled=settings.forwarding_enabled,
                headers_included=json.dumps(sorted(kind.value for kind in settings.headers_included)),
            )
        )

    def delete_identity_topics(self, account_id: str, region: str, identity: str) -> None:
        self._c.execute(
            delete(identity_topics).where(
                identity_topics.c.account_id == account_id,
                identity_topics.c.region == region,
                identity_topics.c.identity == identity.lower(),
            )
        )


def _values(destination: EventDestination) -> dict[str, Any]:
    return {
        "account_id": destination.account_id,
        "region": destination.region,
        "configuration_set": destination.configuration_set,
        "name": destination.name,
        "enabled": destination.enabled,
        "matching_event_types": json.dumps(sorted(kind.value for kind in destination.matching_event_types)),
        "topic_arn": destination.topic_arn,
    }


def _destination(row: Any) -> EventDestination:
    return EventDestination(
        account_id=row["account_id"],
        region=row["region"],
        configuration_set=row["configuration_set"],
        name=row["name"],
        enabled=bool(row["enabled"]),
        matching_event_types=frozenset(EventType(v) for v in json.loads(row["matching_event_types"])),
        topic_arn=row["topic_arn"],
    )


def _identity_topics(row: Any) -> IdentityTopics:
    return IdentityTopics(
        account_id=row["account_id"],
        region=row["region"],
        identity=row["identity"],
        topics={EventType(kind): arn for kind, arn in json.loads(row["topics"]).items()},
        forwarding_enabled=bool(row["forwarding_enabled"]),
        headers_included=frozenset(EventType(kind) for kind in json.loads(row["headers_included"])),
    )
