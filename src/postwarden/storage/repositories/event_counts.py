"""Counts per UTC day for the VDM metrics: recipients accepted (from `recipients`) and events of one kind
(from `events`), joined to `messages` only when the query filters or splits by the message.

One statement per query, grouped in the database, on SQLite and PostgreSQL alike; the recipient's domain
is cut from the address in SQL so that rows never leave the database one per recipient.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Connection, Integer, Select, cast, func, null, or_, select

from postwarden.domain.events import EventType
from postwarden.domain.simulator import SIMULATOR_DOMAIN
from postwarden.ports.metrics import DAY_SECONDS, CountKind, DailyCount, DailyCountQuery
from postwarden.storage.tables import events, messages, recipients

_EVENT_TYPES = {
    CountKind.DELIVERIES: EventType.DELIVERY,
    CountKind.PERMANENT_BOUNCES: EventType.BOUNCE,
    CountKind.TRANSIENT_BOUNCES: EventType.BOUNCE,
    CountKind.COMPLAINTS: EventType.COMPLAINT,
    CountKind.UNIQUE_OPENS: EventType.OPEN,
    CountKind.UNIQUE_CLICKS: EventType.CLICK,
}


def daily_counts(connection: Connection, query: DailyCountQuery) -> list[DailyCount]:
    if query.kind is CountKind.SENDS:
        statement = _sends(connection, query)
    elif query.kind in (CountKind.UNIQUE_OPENS, CountKind.UNIQUE_CLICKS):
        statement = _unique(connection, query)
    else:
        statement = _events(connection, query)
    return [
        DailyCount(int(day), int(count), source, domain)
        for day, count, source, domain in connection.execute(statement)
    ]


def _sends(c: Connection, q: DailyCountQuery) -> Select[Any]:
    day = _day(c, recipients.c.accepted_at)
    source = messages.c.source if q.by_source else null()
    domain = recipients.c.domain if q.by_domain else null()
    statement = select(
        day.label("day"), func.count().label("count"), source.label("source"), domain.label("domain")
    ).where(
        recipients.c.account_id == q.account_id,
        recipients.c.region == q.region,
        recipients.c.accepted_at >= q.since,
        recipients.c.accepted_at < q.until,
        recipients.c.simulator.is_(None),
    )
    if q.by_source or q.configuration_sets is not None:
        statement = statement.join(messages, messages.c.message_id == recipients.c.message_id)
        statement = _only_sets(statement, q)
    return statement.group_by(*_grouping(day, q, source, domain))


def _event_filter(c: Connection, q: DailyCountQuery) -> list[Any]:
    recipient = func.lower(events.c.recipient)
    conditions = [
        events.c.account_id == q.account_id,
        events.c.region == q.region,
        events.c.created_at >= q.since,
        events.c.created_at < q.until,
        events.c.event_type == _EVENT_TYPES[q.kind].value,
        or_(events.c.recipient.is_(None), ~recipient.like(f"%@{SIMULATOR_DOMAIN}")),
    ]
    if q.kind is CountKind.PERMANENT_BOUNCES:
        sub_type = func.coalesce(_detail(c, "bounceSubType"), "")
        conditions += [_detail(c, "bounceType") == "Permanent", sub_type != "OnAccountSuppressionList"]
    elif q.kind is CountKind.TRANSIENT_BOUNCES:
        conditions.append(_detail(c, "bounceType") != "Permanent")
    return conditions


def _events(c: Connection, q: DailyCountQuery) -> Select[Any]:
    day = _day(c, events.c.created_at)
    source = messages.c.source if q.by_source else null()
    domain = _domain(c) if q.by_domain else null()
    statement = select(
        day.label("day"), func.count().label("count"), source.label("source"), domain.label("domain")
    ).where(*_event_filter(c, q))
    if q.by_source or q.configuration_sets is not None:
        statement = statement.join(messages, messages.c.message_id == events.c.message_id)
        statement = _only_sets(statement, q)
    return statement.group_by(*_grouping(day, q, source, domain))


def _unique(c: Connection, q: DailyCountQuery) -> Select[Any]:
    """Each (message, recipient) once, on the day of its first event in the interval."""
    keys: dict[str, Any] = {
        "message_id": events.c.message_id,
        "recipient": func.coalesce(events.c.recipient, ""),
    }
    if q.by_source:
        keys["source"] = messages.c.source
    if q.by_domain:
        keys["domain"] = _domain(c)
    first = (
        select(
            *(value.label(name) for name, value in keys.items()),
            func.min(events.c.created_at).label("first_at"),
        )
        .where(*_event_filter(c, q))
        .group_by(*keys.values())
    )
    if q.by_source or q.configuration_sets is not None:
        first = _only_sets(first.join(messages, messages.c.message_id == events.c.message_id), q)
    pairs = first.subquery("pairs")
    day = _day(c, pairs.c.first_at)
    source = pairs.c.source if q.by_source else null()
    domain = pairs.c.domain if q.by_domain else null()
    statement = select(
        day.label("day"), func.count().label("count"), source.label("source"), domain.label("domain")
    ).select_from(pairs)
    return statement.group_by(*_grouping(day, q, source, domain))


def _only_sets(statement: Select[Any], q: DailyCountQuery) -> Select[Any]:
    if q.configuration_sets is None:
        return statement
    return statement.where(messages.c.configuration_set.in_(sorted(q.configuration_sets)))


def _grouping(day: Any, q: DailyCountQuery, source: Any, domain: Any) -> list[Any]:
    return [day, *([source] if q.by_source else []), *([domain] if q.by_domain else [])]


def _day(c: Connection, column: Any) -> Any:
    if c.dialect.name == "sqlite":
        return cast(column / DAY_SECONDS, Integer)  # truncates, as floor does for positive times
    return cast(func.floor(column / DAY_SECONDS), Integer)


def _domain(c: Connection) -> Any:
    """The recipient's domain: after the last @ on PostgreSQL, after the first on SQLite (which has no
    reverse search; a quoted local part with an @ in it is the only difference)."""
    if c.dialect.name == "sqlite":
        return func.lower(func.substr(events.c.recipient, func.instr(events.c.recipient, "@") + 1))
    return func.lower(func.substring(events.c.recipient, "[^@]*$"))


def _detail(c: Connection, key: str) -> Any:
    """A text member of the event's JSON detail."""
    if c.dialect.name == "sqlite":
        return func.json_extract(events.c.detail, f"$.{key}")
    return func.json_extract_path_text(cast(events.c.detail, JSON), key)
