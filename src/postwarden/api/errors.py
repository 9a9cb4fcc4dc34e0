"""API errors, and the one table that maps each policy rule to what SES answers on each protocol."""

from __future__ import annotations

from postwarden.domain.decision import Decision
from postwarden.ses_errors import errors_for


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


def v2_error_for(decision: Decision) -> ApiError:
    errors = errors_for(decision)
    return ApiError(errors.v2_code, decision.message, errors.v2_status)
