"""API errors, and the one table that maps each policy rule to what SES answers on each protocol."""

from __future__ import annotations

from dataclasses import dataclass

from postwarden.domain.decision import Decision, Rule


class ApiError(Exception):
    """An error answered to the client: SES's code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400, *, sender_fault: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault


def bad_request(message: str) -> ApiError:
    return ApiError("BadRequestException", message, 400)


def not_found(message: str) -> ApiError:
    return ApiError("NotFoundException", message, 404)


@dataclass(frozen=True, slots=True)
class RuleErrors:
    v2_code: str
    v2_status: int
    v1_code: str
    smtp_reply: int


RULE_ERRORS: dict[Rule, RuleErrors] = {
    Rule.SENDING_DISABLED: RuleErrors("SendingPausedException", 400, "AccountSendingPausedException", 554),
    Rule.ACCOUNT_PAUSED: RuleErrors("SendingPausedException", 400, "MessageRejected", 554),
    Rule.IDENTITY_NOT_VERIFIED: RuleErrors("MessageRejected", 400, "MessageRejected", 554),
    Rule.DAILY_QUOTA: RuleErrors("TooManyRequestsException", 429, "Throttling", 454),
    Rule.SEND_RATE: RuleErrors("TooManyRequestsException", 429, "Throttling", 454),
}


def v2_error_for(decision: Decision) -> ApiError:
    assert decision.rule is not None
    errors = RULE_ERRORS[decision.rule]
    return ApiError(errors.v2_code, decision.message, errors.v2_status)
