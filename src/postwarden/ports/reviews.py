"""Ports of the production access review: the review cases, the few facts the pre-review reads that no
other repository offers, and the website check."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Protocol

from postwarden.domain.review import ReviewCase, ReviewStatus


class ReviewRepository(Protocol):
    def add(self, case: ReviewCase) -> None: ...
    def save(self, case: ReviewCase) -> None:
        """Store the case's current status, checklist and decision (the case must exist)."""
        ...

    def get(self, case_id: str) -> ReviewCase | None: ...
    def latest(self, account_id: str, region: str) -> ReviewCase | None:
        """The (account, region)'s most recently opened case."""
        ...

    def find(
        self,
        *,
        status: ReviewStatus | None = None,
        account_id: str | None = None,
        region: str | None = None,
        limit: int = 100,
    ) -> list[ReviewCase]:
        """Oldest first."""
        ...

    def count_actions(self, account_id: str, region: str, action: str, since: float) -> int:
        """Audit log entries of `action` for the (account, region) at or after `since`."""
        ...

    def subscription_reachability(self, subscription_arns: Iterable[str]) -> dict[str, bool]:
        """Per subscription: did the newest notification attempted to it (its confirmation included)
        arrive? A subscription with no attempted notification yet is left out."""
        ...

    def recent_headers(
        self, account_id: str, region: str, since: float, limit: int, exclude_operations: Collection[str]
    ) -> list[bytes]:
        """The start (header section and a little more) of the newest messages accepted since `since`."""
        ...


class WebsiteProbe(Protocol):
    async def check(self, url: str) -> tuple[bool, str]:
        """Whether the website answers, and what was seen ("HTTP 200 in 0.4 s", "connection refused")."""
        ...
