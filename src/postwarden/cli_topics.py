"""`postwarden topics …`: the operator's way to create the SNS topics notifications go to and subscribe
HTTP(S) endpoints to them (the same as an account does with the SNS API). Every command takes --help and
--json. A new subscription is confirmed by its endpoint (the SubscriptionConfirmation handshake) once the
server's notification dispatcher has delivered the confirmation request."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from postwarden.cli import DEFAULT_REGION, CommandError, _emit, _services
from postwarden.config import Settings


def add_topic_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    topics = commands.add_parser("topics", help="SNS topics and their subscriptions").add_subparsers(
        title="topics"
    )
    create = topics.add_parser("create", parents=[common], help="create a topic (idempotent)")
    create.add_argument("account_id")
    create.add_argument("name")
    create.add_argument("--region", default=DEFAULT_REGION)
    create.add_argument("--signature-version", choices=["1", "2"], default="2")
    create.set_defaults(run=_create)

    listing = topics.add_parser("list", parents=[common], help="an account's topics and subscriptions")
    listing.add_argument("account_id")
    listing.add_argument("--region", default=DEFAULT_REGION)
    listing.set_defaults(run=_list)

    subscribe = topics.add_parser("subscribe", parents=[common], help="subscribe an http(s) URL to a topic")
    subscribe.add_argument("account_id")
    subscribe.add_argument("topic_arn")
    subscribe.add_argument("url")
    subscribe.add_argument("--raw", action="store_true", help="raw message delivery (no SNS envelope)")
    subscribe.set_defaults(run=_subscribe)

    unsubscribe = topics.add_parser("unsubscribe", parents=[common], help="remove a subscription")
    unsubscribe.add_argument("account_id")
    unsubscribe.add_argument("subscription_arn")
    unsubscribe.set_defaults(run=_unsubscribe)


def _service(settings: Settings) -> Any:
    from postwarden.bootstrap import build_notifications

    return build_notifications(settings, _services(settings)).topics


def _create(settings: Settings, args: argparse.Namespace) -> int:
    from postwarden.services.topics import InvalidTopicParameterError

    try:
        topic = _service(settings).create_topic(
            args.account_id, args.region, args.name, {"SignatureVersion": args.signature_version}
        )
    except InvalidTopicParameterError as error:
        raise CommandError(str(error)) from error
    _emit(args, {"topic_arn": topic.arn, "signature_version": topic.signature_version}, topic.arn)
    return 0


def _list(settings: Settings, args: argparse.Namespace) -> int:
    service = _service(settings)
    rows = []
    for topic in service.topics(args.account_id, args.region):
        subscriptions = service.subscriptions(args.account_id, topic.arn)
        rows.append(
            {
                "topic_arn": topic.arn,
                "subscriptions": [
                    {
                        "subscription_arn": s.arn,
                        "endpoint": s.endpoint,
                        "status": s.status.value,
                        "raw_message_delivery": s.raw_message_delivery,
                    }
                    for s in subscriptions
                ],
            }
        )
    lines = []
    for row in rows:
        lines.append(row["topic_arn"])
        lines += [f"  {s['status']:<20} {s['endpoint']}" for s in row["subscriptions"]]
    _emit(args, rows, "\n".join(lines) or "no topics")
    return 0


def _subscribe(settings: Settings, args: argparse.Namespace) -> int:
    from postwarden.services.topics import InvalidTopicParameterError, TopicNotFoundError

    protocol = args.url.split(":", 1)[0].lower()
    try:
        subscription = asyncio.run(
            _service(settings).subscribe(args.account_id, args.topic_arn, protocol, args.url, raw=args.raw)
        )
    except (InvalidTopicParameterError, TopicNotFoundError) as error:
        raise CommandError(str(error)) from error
    record = {"subscription_arn": subscription.arn, "status": subscription.status.value}
    _emit(args, record, f"{subscription.arn} ({subscription.status.value}: the endpoint must confirm)")
    return 0


def _unsubscribe(settings: Settings, args: argparse.Namespace) -> int:
    from postwarden.services.topics import SubscriptionNotFoundError

    try:
        _service(settings).unsubscribe(args.subscription_arn, args.account_id)
    except SubscriptionNotFoundError as error:
        raise CommandError(str(error)) from error
    _emit(args, {"unsubscribed": args.subscription_arn}, f"unsubscribed {args.subscription_arn}")
    return 0
