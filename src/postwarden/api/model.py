"""The SES v2 wire contract, read from botocore's service model: routes, parameter binding, validation.

Reading the model (rather than writing each route by hand) keeps paths, locations, and constraints exactly
as the SDKs send them. Routes that older botocore releases used are served as well.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

import botocore.loaders

from postwarden.api.errors import ApiError, bad_request
from postwarden.api.validation import Validator

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


def load_model(service: str) -> Mapping[str, Any]:
    loaded: Mapping[str, Any] = botocore.loaders.create_loader().load_service_model(service, "service-2")
    return loaded


class ServiceModel:
    def __init__(self, service: str = "sesv2") -> None:
        model = load_model(service)
        self.operations: Mapping[str, Any] = model["operations"]
        # Import files come from file:// and http(s):// URLs too (s3:// is refused with a clear message),
        # so the S3 URL pattern is not enforced.
        s3_url = {k: v for k, v in model["shapes"]["S3Url"].items() if k != "pattern"}
        self.shapes: Mapping[str, Any] = {**model["shapes"], "S3Url": s3_url}
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
        Validator(self.shapes).validate(params, shape)
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
