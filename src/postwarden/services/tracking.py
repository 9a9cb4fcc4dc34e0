"""Open and click tracking: which messages are tracked, rewriting them on their way out, and turning a
pixel load or a followed link into an Open or Click event.

A message is tracked when its configuration set has an enabled event destination for OPEN or CLICK
events (as in SES). Links carry signed tokens, so the redirector only ever sends people to URLs that
were in the message. Tokens name the message; the event names the recipient when the message had one.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from postwarden.domain.configuration_sets import ConfigurationSet
from postwarden.domain.events import EventType, iso_timestamp
from postwarden.domain.notifications import EventDestination
from postwarden.domain.tracking import ClickTarget, OpenTarget, TrackingSigner
from postwarden.mail.tracking import add_tracking
from postwarden.ports import Clock, DueRecipient, MessageContent, NewEvent, Store, Transaction

OPEN_PATH = "/track/open"
CLICK_PATH = "/track/click"
UNKNOWN_RECIPIENT = 0


class TrackingLinks:
    def __init__(self, signer: TrackingSigner, public_url: str) -> None:
        self._signer = signer
        self._public_url = public_url.rstrip("/")

    def rewrite(
        self, content: bytes, message_id: str, config: ConfigurationSet, *, opens: bool, clicks: bool
    ) -> bytes:
        signer = self._signer
        open_url = None
        if opens:
            token = signer.open_token(message_id, UNKNOWN_RECIPIENT)
            open_url = f"{self._base(config, for_open=True)}{OPEN_PATH}?t={token}"

        def link_url(url: str, tags: Mapping[str, str]) -> str:
            token = signer.click_token(message_id, UNKNOWN_RECIPIENT, url, tags)
            return f"{self._base(config, for_open=False)}{CLICK_PATH}?t={token}"

        return add_tracking(content, open_url=open_url, link_url=link_url if clicks else None)

    def _base(self, config: ConfigurationSet, *, for_open: bool) -> str:
        """The configuration set's CustomRedirectDomain (https as its HttpsPolicy says), else ours."""
        if not config.tracking_domain:
            return self._public_url
        https = config.https_policy == "REQUIRE" or (config.https_policy == "REQUIRE_OPEN_ONLY" and for_open)
        return f"{'https' if https else 'http'}://{config.tracking_domain}"

    def plan(
        self, tx: Transaction, due: Sequence[DueRecipient], contents: Mapping[str, MessageContent]
    ) -> dict[str, tuple[ConfigurationSet, frozenset[EventType]]]:
        """Which claimed messages get tracking, and of which kinds (read inside the claim's transaction)."""
        owners = {r.message_id: (r.account_id, r.region) for r in due}
        named = {
            (*owners[m], c.configuration_set)
            for m, c in contents.items()
            if c.configuration_set and m in owners
        }
        if not named:
            return {}
        destinations = tx.event_destinations.for_sets(named)
        plan: dict[str, tuple[ConfigurationSet, frozenset[EventType]]] = {}
        configs: dict[tuple[str, str, str], ConfigurationSet | None] = {}
        for message_id, content in contents.items():
            key = (*owners.get(message_id, ("", "")), content.configuration_set or "")
            kinds = _tracked_kinds(destinations.get(key, []))
            if not kinds:
                continue
            if key not in configs:
                configs[key] = tx.configuration_sets.get(*key)
            config = configs[key]
            if config is not None:
                plan[message_id] = (config, frozenset(kinds))
        return plan

    def apply(
        self,
        contents: dict[str, MessageContent],
        plan: Mapping[str, tuple[ConfigurationSet, frozenset[EventType]]],
    ) -> dict[str, MessageContent]:
        """The messages with tracking added (CPU work: done after the claim has committed)."""
        tracked = dict(contents)
        for message_id, (config, kinds) in plan.items():
            content = contents[message_id]
            rewritten = self.rewrite(
                content.content,
                message_id,
                config,
                opens=EventType.OPEN in kinds,
                clicks=EventType.CLICK in kinds,
            )
            tracked[message_id] = replace(content, content=rewritten)
        return tracked


def _tracked_kinds(destinations: Collection[EventDestination]) -> set[EventType]:
    kinds: set[EventType] = set()
    for destination in destinations:
        if destination.enabled:
            kinds |= destination.matching_event_types & {EventType.OPEN, EventType.CLICK}
    return kinds


class TrackingEvents:
    def __init__(self, store: Store, clock: Clock, signer: TrackingSigner) -> None:
        self._store = store
        self._clock = clock
        self._signer = signer

    def opened(self, token: str, user_agent: str, ip: str) -> bool:
        target = self._signer.verify(token)
        if not isinstance(target, OpenTarget):
            return False
        return self._record(target.message_id, EventType.OPEN, self._seen(user_agent, ip))

    def clicked(self, token: str, user_agent: str, ip: str) -> str | None:
        """The URL to send the browser to, or None for a token this server did not sign."""
        target = self._signer.verify(token)
        if not isinstance(target, ClickTarget):
            return None
        detail = {**self._seen(user_agent, ip), "link": target.url, "linkTags": _tag_lists(target.link_tags)}
        self._record(target.message_id, EventType.CLICK, detail)
        return target.location

    def _seen(self, user_agent: str, ip: str) -> dict[str, Any]:
        return {"timestamp": iso_timestamp(self._clock.now()), "userAgent": user_agent, "ipAddress": ip}

    def _record(self, message_id: str, kind: EventType, detail: dict[str, Any]) -> bool:
        with self._store.transaction() as tx:
            recipients = tx.feedback.recipients_of(message_id)
            if not recipients:
                return False
            first = recipients[0]
            address = first.address if len(recipients) == 1 else None
            now = self._clock.now()
            event_id = str(uuid.uuid4())
            event = NewEvent(event_id, first.account_id, first.region, message_id, address, kind, now, detail)
            tx.events.add([event])
        return True


def _tag_lists(tags: Mapping[str, str]) -> dict[str, list[str]]:
    return {name: [value] for name, value in tags.items()}
