"""Operator commands for reputation: list accounts by status and rate, show one account's reputation and
its history of decisions, pause and reinstate (audited, explained, mailed to the account's contacts)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from postwarden.config import Settings

DEFAULT_REGION = "us-east-1"


def register(accounts: Any, commands: Any, common: argparse.ArgumentParser) -> None:
    for name, text in (
        ("pause", "pause sending in a region (enforcement SHUTDOWN); the account cannot undo it"),
        ("reinstate", "lift an enforcement pause; the metrics restart from now"),
    ):
        enforcement = accounts.add_parser(name, parents=[common], help=text)
        enforcement.add_argument("account_id")
        enforcement.add_argument("--region", default=DEFAULT_REGION)
        enforcement.add_argument("--reason", required=True, help="recorded in the audit log and the notice")
        enforcement.set_defaults(run=_enforcement, action=name)

    reputation = commands.add_parser("reputation", help="bounce and complaint rates, enforcement status")
    actions = reputation.add_subparsers(title="reputation")
    listing = actions.add_parser("list", parents=[common], help="accounts with their rates and status")
    listing.add_argument("--status", choices=["HEALTHY", "PROBATION", "SHUTDOWN"])
    listing.add_argument("--sort", choices=["bounce", "complaint", "account"], default="bounce")
    listing.set_defaults(run=_list)
    show = actions.add_parser("show", parents=[common], help="an account's rates, forecast and history")
    show.add_argument("account_id")
    show.add_argument("--region", default=DEFAULT_REGION)
    show.set_defaults(run=_show)


def _service(settings: Settings) -> Any:
    from postwarden.bootstrap import build_reputation, build_sender, build_services

    services = build_services(settings)
    return build_reputation(settings, services, build_sender(settings, services, lambda: None)).service


def _enforcement(settings: Settings, args: argparse.Namespace) -> int:
    from postwarden.cli import CommandError
    from postwarden.services.accounts import UnknownAccountError

    service = _service(settings)
    act = service.pause if args.action == "pause" else service.reinstate
    try:
        transition = act(args.account_id, args.region, actor="operator:cli", reason=args.reason)
    except UnknownAccountError as error:
        raise CommandError(f"no account {error}") from error
    record = {"account_id": args.account_id, "region": args.region, **transition.as_record()}
    _emit(args, record, f"{transition.previous.value} -> {transition.new.value}: {transition.reason}")
    return 0


def _list(settings: Settings, args: argparse.Namespace) -> int:
    from postwarden.domain.model import EnforcementStatus

    status = EnforcementStatus(args.status) if args.status else None
    rows = [report.as_record() for report in _service(settings).reports(status)]
    if args.sort != "account":
        rows.sort(key=lambda r: -float(r[f"{args.sort}_rate"]))
    text = "\n".join(
        f"{r['account_id']} {r['region']:<14} {r['status']:<10} bounce {r['bounce_rate']:.2%} "
        f"complaint {r['complaint_rate']:.3%} over {r['bounce_window']}"
        for r in rows
    )
    _emit(args, rows, text or "no account has sent mail yet")
    return 0


def _show(settings: Settings, args: argparse.Namespace) -> int:
    record = _service(settings).report(args.account_id, args.region).as_record()
    lines = [f"{k}: {v}" for k, v in record.items() if k not in {"history", "forecasts"}]
    lines += [f"forecast: {f}" for f in record["forecasts"]]
    for entry in record["history"]:
        reason = entry["detail"].get("reason", "")
        lines.append(f"{entry['at']} {entry['action']} by {entry['actor']}: {reason}")
    _emit(args, record, "\n".join(lines))
    return 0


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if args.json else text, file=sys.stdout)
