"""`postwarden`: serve, and the operator's commands. Every command takes --help and --json."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from postwarden import cli_reputation
from postwarden.config import Settings, documentation

DEFAULT_REGION = "us-east-1"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        settings = Settings.load(args.config)
    except (OSError, ValueError) as error:
        print(f"postwarden: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        result = args.run(settings, args)
    except CommandError as error:
        _emit(args, {"error": str(error)}, str(error), stream=sys.stderr)
        return 1
    return int(result or 0)


class CommandError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postwarden", description="A self-hosted email sending service that speaks Amazon SES."
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, help="TOML settings file (see `postwarden config --docs`)")
    common.add_argument("--json", action="store_true", help="print machine-readable JSON")
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", parents=[common], help="run the API and the delivery workers")
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", parents=[common], help="bring the database schema up to date")
    migrate.set_defaults(run=_migrate)

    config = commands.add_parser("config", parents=[common], help="show the effective settings")
    config.add_argument("--docs", action="store_true", help="print the settings reference as Markdown")
    config.set_defaults(run=_config)

    accounts = commands.add_parser("accounts", help="manage sender accounts").add_subparsers(title="accounts")
    create = accounts.add_parser("create", parents=[common], help="create an account and an access key")
    create.add_argument("--name", default="", help="a label for the account")
    create.add_argument("--region", help="also initialise the account's sandbox state in this region")
    create.set_defaults(run=_accounts_create)

    listing = accounts.add_parser("list", parents=[common], help="list accounts")
    listing.set_defaults(run=_accounts_list)

    show = accounts.add_parser("show", parents=[common], help="show an account's sending state in a region")
    show.add_argument("account_id")
    show.add_argument("--region", default=DEFAULT_REGION)
    show.set_defaults(run=_accounts_show)

    sending = accounts.add_parser(
        "set-sending", parents=[common], help="move a region in or out of the sandbox; set quota and rate"
    )
    sending.add_argument("account_id")
    sending.add_argument("--region", default=DEFAULT_REGION)
    tier = sending.add_mutually_exclusive_group()
    tier.add_argument("--production", dest="production", action="store_true", default=None)
    tier.add_argument("--sandbox", dest="production", action="store_false")
    sending.add_argument("--max-24h-send", type=int, help="daily quota (-1 for unlimited)")
    sending.add_argument("--max-send-rate", type=float, help="recipients per second")
    sending.add_argument("--reason", default="", help="recorded in the audit log")
    sending.set_defaults(run=_accounts_set_sending)

    smtp = accounts.add_parser(
        "smtp-credentials", parents=[common], help="SES SMTP username and password of an access key"
    )
    smtp.add_argument("access_key_id")
    smtp.add_argument("--region", default=DEFAULT_REGION, help="the password is valid in this region only")
    smtp.set_defaults(run=_accounts_smtp_credentials)

    cli_reputation.register(accounts, commands, common)

    from postwarden.cli_feedback import add_feedback_commands
    from postwarden.cli_review import add_review_commands  # imports this module: here, not at the top
    from postwarden.cli_topics import add_topic_commands

    add_review_commands(commands, accounts, common)
    add_topic_commands(commands, common)
    add_feedback_commands(commands, common)

    identities = commands.add_parser("identities", help="manage identities").add_subparsers(
        title="identities"
    )
    verify = identities.add_parser(
        "verify", parents=[common], help="operator override: mark an address or domain verified"
    )
    verify.add_argument("account_id")
    verify.add_argument("identity")
    verify.add_argument("--region", default=DEFAULT_REGION)
    verify.set_defaults(run=_identities_verify)

    rotate = identities.add_parser(
        "rotate-dkim", parents=[common], help="new Easy DKIM key under the next token (no DNS change needed)"
    )
    rotate.add_argument("account_id")
    rotate.add_argument("identity")
    rotate.add_argument("--region", default=DEFAULT_REGION)
    rotate.set_defaults(run=_identities_rotate)

    events = commands.add_parser("events", parents=[common], help="show an account's events in SES's format")
    events.add_argument("account_id")
    events.add_argument("--region")
    events.add_argument("--message-id")
    events.add_argument("--type", help="Send, Reject, Delivery, DeliveryDelay, Bounce, Complaint")
    events.add_argument("--limit", type=int, default=100)
    events.set_defaults(run=_events)
    return parser


def _emit(args: argparse.Namespace, data: Any, text: str, *, stream: Any = None) -> None:
    out = stream or sys.stdout
    print(json.dumps(data, indent=2, default=str) if args.json else text, file=out)


def _services(settings: Settings) -> Any:
    from postwarden.bootstrap import build_services

    return build_services(settings)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from postwarden.runtime import run_server

    run_server(settings)
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    _services(settings)
    _emit(args, {"migrated": True, "database": settings.effective_database_url}, "database is up to date")
    return 0


def _config(settings: Settings, args: argparse.Namespace) -> int:
    if args.docs:
        print(documentation(), end="")
        return 0
    values = settings.as_dict()
    _emit(args, values, "\n".join(f"{k} = {v}" for k, v in values.items()))
    return 0


def _accounts_create(settings: Settings, args: argparse.Namespace) -> int:
    created = _services(settings).accounts.create_account(args.name, args.region)
    data = {
        "account_id": created.account_id,
        "access_key_id": created.access_key_id,
        "secret_access_key": created.secret_access_key,
    }
    _emit(args, data, "\n".join(f"{k}: {v}" for k, v in data.items()))
    return 0


def _accounts_list(settings: Settings, args: argparse.Namespace) -> int:
    rows = _services(settings).accounts.list_accounts()
    _emit(args, rows, "\n".join(f"{r['account_id']}  {r['name']}" for r in rows) or "no accounts")
    return 0


def _state_record(state: Any) -> dict[str, Any]:
    return {
        "account_id": state.account_id,
        "region": state.region,
        "production_access": state.production_access,
        "max_24_hour_send": state.limits.max_24_hour_send,
        "max_send_rate": state.limits.max_send_rate,
        "sent_last_24_hours": state.usage.sent_last_24h,
        "sending_enabled": state.sending_enabled,
        "enforcement_status": state.enforcement_status.value,
    }


def _text(record: dict[str, Any]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in record.items())


def _accounts_show(settings: Settings, args: argparse.Namespace) -> int:
    record = _state_record(_services(settings).accounts.sending_state(args.account_id, args.region))
    _emit(args, record, _text(record))
    return 0


def _accounts_set_sending(settings: Settings, args: argparse.Namespace) -> int:
    from postwarden.services.accounts import UnknownAccountError

    try:
        state = _services(settings).accounts.set_sending_limits(
            args.account_id,
            args.region,
            production=args.production,
            max_24_hour_send=args.max_24h_send,
            max_send_rate=args.max_send_rate,
            actor="operator:cli",
            reason=args.reason,
        )
    except UnknownAccountError as error:
        raise CommandError(f"no account {error}") from error
    record = _state_record(state)
    _emit(args, record, _text(record))
    return 0


def _accounts_smtp_credentials(settings: Settings, args: argparse.Namespace) -> int:
    from postwarden.domain.credentials import smtp_password

    if args.region not in settings.region_list:
        raise CommandError(f"region {args.region} is not one of the configured regions")
    caller = _services(settings).accounts.caller(args.access_key_id)
    if caller is None:
        raise CommandError(f"no active access key {args.access_key_id}")
    record = {
        "username": args.access_key_id,
        "password": smtp_password(caller.secret_access_key, args.region),
        "region": args.region,
        "host": settings.smtp_host,
        "starttls_port": settings.smtp_port,
        "tls_port": settings.smtps_port,
    }
    _emit(args, record, _text(record))
    return 0


def _identities_verify(settings: Settings, args: argparse.Namespace) -> int:
    identity = _services(settings).identities.mark_verified(
        args.account_id, args.region, args.identity, "operator:cli"
    )
    record = {
        "account_id": identity.account_id,
        "region": identity.region,
        "identity": identity.name,
        "identity_type": identity.identity_type.value,
        "verification_status": identity.verification_status.value,
    }
    _emit(args, record, _text(record))
    return 0


def _identities_rotate(settings: Settings, args: argparse.Namespace) -> int:
    from postwarden.services.identities import IdentityNotFoundError, IdentityTypeError

    try:
        selector = _services(settings).identities.rotate_dkim(
            args.account_id, args.region, args.identity, "operator:cli"
        )
    except IdentityNotFoundError as error:
        raise CommandError(f"no identity {error} in {args.region}") from error
    except IdentityTypeError as error:
        raise CommandError(f"{error} does not use Easy DKIM") from error
    record = {"identity": args.identity, "region": args.region, "signing_selector": selector}
    _emit(args, record, _text(record))
    return 0


def _events(settings: Settings, args: argparse.Namespace) -> int:
    from postwarden.domain.events import EventType, render

    kind = EventType(args.type) if args.type else None
    with _services(settings).store.read() as tx:
        found = tx.events.find(args.account_id, args.region, args.message_id, kind, args.limit)
    documents = []
    for event in found:
        if event.mail is not None:
            documents.append(render(event.event_type, event.mail, event.detail))
        else:
            documents.append({"eventType": event.event_type.value, "detail": dict(event.detail)})
    lines = [
        f"{e.created_at:.3f} {e.event_type.value:<13} {e.recipient or ''} {e.message_id or ''}" for e in found
    ]
    _emit(args, documents, "\n".join(lines) or "no events")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
