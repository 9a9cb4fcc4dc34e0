"""The result of the automated pre-review of a production access request: one item per check, each
saying what was measured and what to do about it, and the quota and rate the review recommends."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from postwarden.domain.model import SendingLimits

JSON_VERSION = 1


class CheckStatus(StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"


class CheckKey(StrEnum):
    DOMAIN_DKIM = "domain-dkim"
    SPF_DMARC = "spf-dmarc"
    BOUNCE_COMPLAINT_HANDLING = "bounce-complaint-handling"
    UNSUBSCRIBE = "unsubscribe"
    USE_CASE = "use-case"
    WEBSITE = "website"
    SANDBOX_HISTORY = "sandbox-history"
    RECOMMENDED_LIMITS = "recommended-limits"


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    key: CheckKey
    title: str
    status: CheckStatus
    evidence: str
    """What was measured or seen, concretely."""
    fix: str = ""
    """What to do, concretely; empty when the item passes."""


@dataclass(frozen=True, slots=True)
class Checklist:
    items: tuple[ChecklistItem, ...]
    recommended_quota: int
    recommended_rate: float
    evaluated_at: float

    @property
    def passed(self) -> bool:
        return all(item.status is CheckStatus.PASS for item in self.items)

    @property
    def summary(self) -> str:
        """Counts by status, e.g. "6 pass, 1 warn, 1 fail"."""
        counts = Counter(item.status for item in self.items)
        return ", ".join(f"{counts[status]} {status.value.lower()}" for status in CheckStatus)

    @property
    def failing(self) -> tuple[ChecklistItem, ...]:
        return tuple(item for item in self.items if item.status is CheckStatus.FAIL)

    @property
    def warnings(self) -> tuple[ChecklistItem, ...]:
        return tuple(item for item in self.items if item.status is CheckStatus.WARN)

    @property
    def recommended_limits(self) -> SendingLimits:
        return SendingLimits(self.recommended_quota, self.recommended_rate)

    def item(self, key: CheckKey) -> ChecklistItem:
        for item in self.items:
            if item.key is key:
                return item
        raise KeyError(key)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": JSON_VERSION,
                "evaluatedAt": self.evaluated_at,
                "recommendedQuota": self.recommended_quota,
                "recommendedRate": self.recommended_rate,
                "items": [
                    {
                        "key": item.key.value,
                        "title": item.title,
                        "status": item.status.value,
                        "evidence": item.evidence,
                        "fix": item.fix,
                    }
                    for item in self.items
                ],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Checklist:
        """The checklist `to_json` wrote; ValueError when the text is not one."""
        try:
            record: Any = json.loads(text)
            if record.get("version") != JSON_VERSION:
                raise ValueError(f"unsupported checklist version {record.get('version')!r}")
            items = tuple(
                ChecklistItem(
                    key=CheckKey(_string(entry, "key")),
                    title=_string(entry, "title"),
                    status=CheckStatus(_string(entry, "status")),
                    evidence=_string(entry, "evidence"),
                    fix=_string(entry, "fix"),
                )
                for entry in record["items"]
            )
            return cls(
                items=items,
                recommended_quota=int(record["recommendedQuota"]),
                recommended_rate=float(record["recommendedRate"]),
                evaluated_at=float(record["evaluatedAt"]),
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a stored checklist: {error!r}") from error


def _string(entry: Any, name: str) -> str:
    value = entry[name]
    if not isinstance(value, str):
        raise TypeError(f"{name} is not a string")
    return value


def denial_reason(checklist: Checklist, note: str = "") -> str:
    """The text the sender reads when the request is denied: each failing check with what was seen and
    what to change, then the warnings, then the operator's own note (if any)."""
    lines: list[str] = []
    if checklist.failing:
        lines.append("Your request for production access was denied. These checks failed:")
        lines.extend(_explained(item) for item in checklist.failing)
    else:
        lines.append("Your request for production access was denied. No automated check failed.")
    if checklist.warnings:
        lines.append("Also worth fixing:")
        lines.extend(_explained(item) for item in checklist.warnings)
    if note.strip():
        lines.append(f"Reviewer's note: {note.strip()}")
    lines.append(
        "When you have made these changes, submit the request again (PutAccountDetails with "
        "ProductionAccessEnabled=true)."
    )
    return "\n".join(lines)


def _explained(item: ChecklistItem) -> str:
    text = f"- {item.title}: {_sentence(item.evidence)}"
    return f"{text} To fix: {_sentence(item.fix)}" if item.fix else text


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "。")) else text + "."
