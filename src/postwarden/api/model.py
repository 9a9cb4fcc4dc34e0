"""The SES v2 wire contract, read from botocore's service model: routes, parameter binding, validation.

Reading the model (rather than writing each route by hand) keeps paths, locations, and constraints exactly
as the SDKs send them. Routes that older botocore releases used are served as well.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

import botocore.loaders

from postwarden.api.errors import ApiError, bad_request

# Older botocore releases (before 1.43.105) used these paths; both forms stay in use in the field.
LEGACY_ROUTES = (
    ("GET", "/v2/email/identities", "ListEmailIdentities"),
    ("GET", "/v2/email/configuration-sets", "ListConfigurationSets"),
    ("PUT", "/v1/email/identities/{EmailIdentity}/dkim/signing", "PutEmailIdentityDkimSigningAttributes"),
)


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    operation: str


class ServiceModel:
    def __init__(self, service: str = "sesv2") -> None:
        model = botocore.loaders.create_loader().load_service_model(service, "service-2")
        self.operations: Mapping[str, Any] = model["operations"]
        self.shapes: Mapping[str, Any] = model["shapes"]
        routes = [
            (op["http"]["method"], op["http"]["requestUri"].split("?", 1)[0], name)
            for name, op in self.operations.items()
        ]
        routes.extend(LEGACY_ROUTES)
        # Literal paths are looked up directly (SendEmail is the hot one); templates are tried most
        # specific first, so literal segments beat parameters.
        self._static = {(m, uri.rstrip("/")): name for m, uri, name in routes if "{" not in uri}
        templated = sorted((r for r in routes if "{" in r[1]), key=lambda r: (r[1].count("{"), -len(r[1])))
        self.routes = [Route(method, _compile(uri), name) for method, uri, name in templated]

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        static = self._static.get((method, path.rstrip("/")))
        if static is not None:
            return static, {}
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.fullmatch(path)
            if found is not None:
                return route.operation, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def bind(
        self,
        operation: str,
        uri_params: Mapping[str, str],
        query_string: str,
        body: bytes,
    ) -> dict[str, Any]:
        """The operation's input as a dict of member names, from the path, the query string and the body."""
        input_ref = self.operations[operation].get("input")
        if input_ref is None:
            return {}
        shape = self.shapes[input_ref["shape"]]
        params: dict[str, Any] = {}
        query = parse_qsl(query_string, keep_blank_values=True)
        body_members: dict[str, Any] = {}
        if body.strip():
            try:
                decoded = json.loads(body)
            except (ValueError, UnicodeDecodeError) as error:
                raise ApiError("SerializationException", "The request body is not valid JSON.") from error
            if not isinstance(decoded, dict):
                raise ApiError("SerializationException", "The request body must be a JSON object.")
            body_members = decoded
        for name, member in shape.get("members", {}).items():
            location = member.get("location")
            wire_name = member.get("locationName", name)
            target = self.shapes[member["shape"]]
            if location == "uri":
                if wire_name in uri_params:
                    params[name] = uri_params[wire_name]
            elif location == "querystring":
                values = [v for k, v in query if k == wire_name]
                if values:
                    params[name] = values if target["type"] == "list" else _scalar(values[-1], target, name)
            elif location == "header":
                continue
            elif name in body_members:
                params[name] = body_members[name]
        if operation in {"ListEmailIdentities", "ListConfigurationSets"}:
            # the legacy GET form carries paging in the query string
            for key in ("PageSize", "NextToken"):
                for k, v in query:
                    if k == key:
                        params.setdefault(key, int(v) if key == "PageSize" and v.isdigit() else v)
        Validator(self.shapes).validate(params, shape, "")
        return params


def _compile(uri: str) -> re.Pattern[str]:
    path = uri.split("?", 1)[0]
    pattern = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            name = part[1:-1]
            greedy = name.endswith("+")
            name = name.rstrip("+")
            pattern += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
        else:
            pattern += re.escape(part)
    return re.compile(pattern + "/?")


def _scalar(value: str, shape: Mapping[str, Any], name: str) -> Any:
    kind = shape["type"]
    try:
        if kind in {"integer", "long"}:
            return int(value)
        if kind in {"double", "float"}:
            return float(value)
        if kind == "boolean":
            return value.lower() == "true"
    except ValueError as error:
        raise bad_request(f"Invalid value for {name}: {value!r}") from error
    return value


class Validator:
    """Checks input against the model's constraints, with AWS's validation message format."""

    def __init__(self, shapes: Mapping[str, Any]) -> None:
        self._shapes = shapes
        self._errors: list[str] = []

    def validate(self, params: dict[str, Any], shape: Mapping[str, Any], path: str) -> None:
        self._structure(params, shape, path)
        if self._errors:
            count = len(self._errors)
            noun = "error" if count == 1 else "errors"
            raise bad_request(f"{count} validation {noun} detected: " + "; ".join(self._errors[:5]))

    def _fail(self, path: str, value: Any, constraint: str) -> None:
        shown = "null" if value is None else repr(value) if not isinstance(value, (dict, list)) else "'…'"
        self._errors.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")

    def _structure(self, value: dict[str, Any], shape: Mapping[str, Any], path: str) -> None:
        for required in shape.get("required", []):
            if value.get(required) is None:
                self._fail(_join(path, required), None, "Member must not be null")
        for name, member in shape.get("members", {}).items():
            if name in value and value[name] is not None:
                value[name] = self._value(value[name], self._shapes[member["shape"]], _join(path, name))

    def _value(self, value: Any, shape: Mapping[str, Any], path: str) -> Any:
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
            return [self._value(item, member, f"{path}.{i + 1}") for i, item in enumerate(value)]
        elif kind == "map":
            if not isinstance(value, dict):
                self._fail(path, value, "Member must be a map")
        elif kind == "string":
            if not isinstance(value, str):
                self._fail(path, value, "Member must be a string")
                return value
            self._length(value, shape, path)
            if "enum" in shape and value not in shape["enum"]:
                self._fail(path, value, f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]")
            pattern = shape.get("pattern")
            if pattern and not re.fullmatch(pattern, value, re.DOTALL):
                self._fail(path, value, f"Member must satisfy regular expression pattern: {pattern}")
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

    def _length(self, value: str | list[Any], shape: Mapping[str, Any], path: str) -> None:
        if "min" in shape and len(value) < shape["min"]:
            self._fail(path, value, f"Member must have length greater than or equal to {shape['min']}")
        if "max" in shape and len(value) > shape["max"]:
            self._fail(path, value, f"Member must have length less than or equal to {shape['max']}")

    def _range(self, value: int, shape: Mapping[str, Any], path: str) -> None:
        if "min" in shape and value < shape["min"]:
            self._fail(path, value, f"Member must have value greater than or equal to {shape['min']}")
        if "max" in shape and value > shape["max"]:
            self._fail(path, value, f"Member must have value less than or equal to {shape['max']}")


def _join(path: str, name: str) -> str:
    member = name[:1].lower() + name[1:]
    return f"{path}.{member}" if path else member
