"""Input validation against a botocore shape, with AWS's validation message format."""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Mapping
from typing import Any

from postwarden.api.errors import ApiError

Path = tuple[str | int, ...]


class Validator:
    """Checks input against the model's constraints, with AWS's validation message format."""

    def __init__(
        self, shapes: Mapping[str, Any], *, code: str = "BadRequestException", missing_code: str | None = None
    ) -> None:
        self._shapes = shapes
        self._code = code
        self._missing_code = missing_code
        self._errors: list[str] = []
        self._missing: list[str] = []

    def validate(self, params: dict[str, Any], shape: Mapping[str, Any]) -> None:
        """Raise ApiError for the first problems found; blobs are decoded in place."""
        self._structure(params, shape, ())
        if self._missing and self._missing_code:
            raise ApiError(self._missing_code, f"The request must contain the parameter {self._missing[0]}")
        if self._errors:
            count = len(self._errors)
            noun = "error" if count == 1 else "errors"
            raise ApiError(self._code, f"{count} validation {noun} detected: " + "; ".join(self._errors[:5]))

    def _fail(self, path: Path, value: Any, constraint: str) -> None:
        shown = "null" if value is None else repr(value) if not isinstance(value, (dict, list)) else "'…'"
        self._errors.append(f"Value {shown} at '{_dotted(path)}' failed to satisfy constraint: {constraint}")

    def _structure(self, value: dict[str, Any], shape: Mapping[str, Any], path: Path) -> None:
        for required in shape.get("required", ()):
            if value.get(required) is None:
                self._missing.append(".".join([*(p for p in path if isinstance(p, str)), required]))
                self._fail((*path, required), None, "Member must not be null")
        members = shape.get("members", {})
        for name, item in value.items():
            member = members.get(name)
            if member is not None and item is not None:
                value[name] = self._value(item, self._shapes[member["shape"]], (*path, name))

    def _value(self, value: Any, shape: Mapping[str, Any], path: Path) -> Any:
        kind = shape["type"]
        if kind == "structure":
            if not isinstance(value, dict):
                self._fail(path, value, "Member must be an object")
                return value
            self._structure(value, shape, path)
        elif kind == "list":
            if not isinstance(value, list):
                self._fail(path, value, "Member must be a list")
                return value
            self._length(value, shape, path)
            member = self._shapes[shape["member"]["shape"]]
            return [self._value(item, member, (*path, i + 1)) for i, item in enumerate(value)]
        elif kind == "map":
            if not isinstance(value, dict):
                self._fail(path, value, "Member must be a map")
        elif kind == "string":
            reported = "***" if shape.get("sensitive") else value  # never echo a secret back
            if not isinstance(value, str):
                self._fail(path, reported, "Member must be a string")
                return value
            self._length(value, shape, path, reported)
            if "enum" in shape and value not in shape["enum"]:
                self._fail(
                    path, reported, f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]"
                )
            pattern = shape.get("pattern")
            if pattern and not _compiled(pattern).fullmatch(value):
                self._fail(path, reported, f"Member must satisfy regular expression pattern: {pattern}")
        elif kind == "blob":
            if not isinstance(value, str):
                self._fail(path, "…", "Member must be base64-encoded binary data")
                return value
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                self._fail(path, "…", "Member must be base64-encoded binary data")
        elif kind in {"integer", "long"}:
            if isinstance(value, bool) or not isinstance(value, int):
                self._fail(path, value, "Member must be an integer")
            else:
                self._range(value, shape, path)
        elif kind in {"double", "float"}:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self._fail(path, value, "Member must be a number")
        elif kind == "boolean":
            if not isinstance(value, bool):
                self._fail(path, value, "Member must be a boolean")
        elif kind == "timestamp" and not isinstance(value, (int, float, str)):
            self._fail(path, value, "Member must be a timestamp")
        return value

    def _length(
        self, value: str | list[Any], shape: Mapping[str, Any], path: Path, reported: Any = None
    ) -> None:
        shown = value if reported is None else reported
        if "min" in shape and len(value) < shape["min"]:
            self._fail(path, shown, f"Member must have length greater than or equal to {shape['min']}")
        if "max" in shape and len(value) > shape["max"]:
            self._fail(path, shown, f"Member must have length less than or equal to {shape['max']}")

    def _range(self, value: int, shape: Mapping[str, Any], path: Path) -> None:
        if "min" in shape and value < shape["min"]:
            self._fail(path, value, f"Member must have value greater than or equal to {shape['min']}")
        if "max" in shape and value > shape["max"]:
            self._fail(path, value, f"Member must have value less than or equal to {shape['max']}")


def _dotted(path: Path) -> str:
    """AWS's member path: `content.simple.subject`, list items as `destination.toAddresses.2`."""
    return ".".join(p[:1].lower() + p[1:] if isinstance(p, str) else str(p) for p in path)


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)
