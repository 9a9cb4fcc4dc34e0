"""`postwarden feedback …`: what arrived at the inbound feedback MX — counts by outcome, the newest
reports (optionally only unmatched or unparseable ones), and one report's raw message."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from postwarden.cli import CommandError, _emit, _services
from postwarden.config import Settings


def add_feedback_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    feedback = commands.add_parser("feedback", help="reports received at the feedback MX").add_subparsers(
        title="feedback"
    )
    listing = feedback.add_parser("list", parents=[common], help="counts by outcome and the newest reports")
    listing.add_argument(
        "--status", choices=["applied", "duplicate", "unmatched", "unparseable", "ignored"], help="only these"
    )
    listing.add_argument("--limit", type=int, default=20)
    listing.set_defaults(run=_list)
    show = feedback.add_parser("show", parents=[common], help="one report, with its raw message")
    show.add_argument("report_id")
    show.set_defaults(run=_show)


def _list(settings: Settings, args: argparse.Namespace) -> int:
    with _services(settings).store.read() as tx:
        counts = tx.feedback.counts()
        reports = tx.feedback.reports(args.status, args.limit)
    rows = [_record(r) for r in reports]
    lines = [f"{status}: {count}" for status, count in sorted(counts.items())] or ["no reports"]
    lines += [
        f"{r['received_at']} {r['status']:<11} {r['kind']:<10} {r['report_id']} {r['rcpt_to']}" for r in rows
    ]
    _emit(args, {"counts": counts, "reports": rows}, "\n".join(lines))
    return 0


def _show(settings: Settings, args: argparse.Namespace) -> int:
    with _services(settings).store.read() as tx:
        found = tx.feedback.report(args.report_id)
    if found is None:
        raise CommandError(f"no feedback report {args.report_id}")
    record = {**_record(found), "raw": found.raw.decode("utf-8", "replace")}
    if args.json:
        _emit(args, record, "")
    else:
        print("\n".join(f"{k}: {v}" for k, v in record.items() if k != "raw"), file=sys.stdout)
        print("\n" + record["raw"], file=sys.stdout)
    return 0


def _record(report: Any) -> dict[str, Any]:
    return {
        "report_id": report.report_id,
        "received_at": datetime.fromtimestamp(report.received_at, UTC).isoformat(timespec="seconds"),
        "kind": report.kind,
        "status": report.status,
        "account_id": report.account_id,
        "message_id": report.message_id,
        "mail_from": report.mail_from,
        "rcpt_to": report.rcpt_to,
        "detail": dict(report.detail),
    }
