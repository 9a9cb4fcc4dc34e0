"""`postwarden review …` and `postwarden accounts return-to-sandbox`: the operator's side of production
access. Registered by cli.py; every command takes --help and --json."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import time
from collections.abc import Callable, Coroutine
from typing import Any

from postwarden.cli import DEFAULT_REGION, CommandError, _emit, _services, _text
from postwarden.config import Settings


def add_review_commands(commands: Any, accounts: Any, common: argparse.ArgumentParser) -> None:
    review = commands.add_parser("review", help="production access requests").add_subparsers(title="review")
    listing = review.add_parser(
        "list", parents=[common], help="pending requests, oldest first, with age and checklist summary"
    )
    listing.add_argument(
        "--status", default="PENDING", help="PENDING (default), GRANTED, DENIED, FAILED or ALL"
    )
    listing.add_argument("--account", help="only this account's requests")
    listing.set_defaults(run=_list)

    show = review.add_parser("show", parents=[common], help="one request: details, checklist, decision")
    show.add_argument("case_id")
    show.set_defaults(run=_show)

    grant = review.add_parser(
        "grant", parents=[common], help="grant production access in the request's region"
    )
    grant.add_argument("case_id")
    grant.add_argument("--quota", type=int, help="daily quota (-1: unlimited); default: the recommendation")
    grant.add_argument("--rate", type=float, help="messages per second; default: the recommendation")
    grant.add_argument("--note", default="", help="a note for the sender and the audit log")
    grant.set_defaults(run=_grant)

    deny = review.add_parser("deny", parents=[common], help="deny the request with a reason the sender reads")
    deny.add_argument("case_id")
    deny.add_argument("--reason", required=True, help="shown to the sender after the failing checks")
    deny.set_defaults(run=_deny)

    recheck = review.add_parser("recheck", parents=[common], help="run the automated pre-review again")
    recheck.add_argument("case_id")
    recheck.set_defaults(run=_recheck)

    sandbox = accounts.add_parser(
        "return-to-sandbox",
        parents=[common],
        help="turn production access off in a region (sandbox limits; a new request is needed)",
    )
    sandbox.add_argument("account_id")
    sandbox.add_argument("--region", default=DEFAULT_REGION)
    sandbox.add_argument(
        "--reason", required=True, help="recorded in the audit log and mailed to the contacts"
    )
    sandbox.set_defaults(run=_return_to_sandbox)


def _reviews(settings: Settings) -> Any:
    from postwarden.bootstrap import build_reviews

    return build_reviews(settings, _services(settings))


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _run_decision(
    settings: Settings, args: argparse.Namespace, action: Callable[[Any], Coroutine[Any, Any, Any]]
) -> int:
    from postwarden.domain.review import InvalidReviewTransitionError
    from postwarden.services.production_access import ReviewNotFoundError
    from postwarden.services.review_mail import render_checklist
    from postwarden.services.review_records import case_record

    reviews = _reviews(settings)
    try:
        case = asyncio.run(action(reviews.access))
    except ReviewNotFoundError as error:
        raise CommandError(f"no review case {error}") from error
    except InvalidReviewTransitionError as error:
        raise CommandError(str(error)) from error
    record = case_record(case, time.time())
    lines = [_text({k: v for k, v in record.items() if k not in {"details", "checklist"}})]
    lines.append(_text(record["details"]))
    if case.checklist is not None:
        lines.append(render_checklist(case.checklist))
    _emit(args, record, "\n\n".join(lines))
    return 0


def _list(settings: Settings, args: argparse.Namespace) -> int:
    from postwarden.domain.review import ReviewStatus
    from postwarden.services.review_records import summary_record

    wanted = args.status.upper()
    if wanted != "ALL" and wanted not in ReviewStatus.__members__:
        raise CommandError(f"--status must be ALL or one of {', '.join(ReviewStatus)}")
    reviews = _reviews(settings).access
    cases = reviews.cases(None if wanted == "ALL" else ReviewStatus(wanted), args.account, 1000)
    now = time.time()
    records = [summary_record(case, now) for case in cases]
    lines = []
    for r in records:
        age = f"{r['ageSeconds'] / 3600:.1f}h" if r["ageSeconds"] is not None else r["decidedAt"]
        flag = " OVERDUE" if r["overdue"] else ""
        summary = r["checklistSummary"] or "no checklist"
        lines.append(
            f"{r['caseId']}  {r['accountId']}  {r['region']}  {r['status']}  {r['mailType']}  {age}{flag}  "
            f"{summary}"
        )
    _emit(args, records, "\n".join(lines) or f"no {wanted.lower()} review cases")
    return 0


def _show(settings: Settings, args: argparse.Namespace) -> int:
    async def show(access: Any) -> Any:
        return access.get(args.case_id)

    return _run_decision(settings, args, show)


def _grant(settings: Settings, args: argparse.Namespace) -> int:
    return _run_decision(
        settings,
        args,
        lambda access: access.grant(
            args.case_id, actor=_actor(), quota=args.quota, rate=args.rate, note=args.note
        ),
    )


def _deny(settings: Settings, args: argparse.Namespace) -> int:
    if not args.reason.strip():
        raise CommandError("--reason must say why (the sender reads it)")
    return _run_decision(
        settings, args, lambda access: access.deny(args.case_id, actor=_actor(), reason=args.reason)
    )


def _recheck(settings: Settings, args: argparse.Namespace) -> int:
    return _run_decision(settings, args, lambda access: access.recheck(args.case_id, _actor()))


def _return_to_sandbox(settings: Settings, args: argparse.Namespace) -> int:
    from postwarden.cli import _state_record
    from postwarden.services.accounts import UnknownAccountError

    if args.region not in settings.region_list:
        raise CommandError(f"region {args.region} is not one of the configured regions")
    if not args.reason.strip():
        raise CommandError("--reason must say why")
    sandbox = _reviews(settings).sandbox
    try:
        state = asyncio.run(
            sandbox.return_to_sandbox(args.account_id, args.region, actor=_actor(), reason=args.reason)
        )
    except UnknownAccountError as error:
        raise CommandError(f"no account {error}") from error
    record = _state_record(state)
    _emit(args, record, _text(record))
    return 0
