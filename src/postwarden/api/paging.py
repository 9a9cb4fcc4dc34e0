"""NextToken paging over a list, the same for every List* operation of both APIs."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TypeVar

from postwarden.api.errors import ApiError

T = TypeVar("T")


def page(
    items: Sequence[T], token: str | None, size: int, *, error_code: str
) -> tuple[Sequence[T], str | None]:
    """The page starting at `token` and the token of the next page (None on the last one)."""
    start = _offset(token, error_code)
    next_token = None
    if start + size < len(items):
        next_token = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return items[start : start + size], next_token


def _offset(token: str | None, error_code: str) -> int:
    if not token:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(token.encode()).decode())
    except ValueError as error:
        raise ApiError(error_code, "The NextToken is not valid.") from error
    if offset < 0:
        raise ApiError(error_code, "The NextToken is not valid.")
    return offset
