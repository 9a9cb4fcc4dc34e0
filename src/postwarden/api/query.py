"""The SES v1 Query protocol: form-encoded input decoded with the model, XML output and errors.

`POST /` with `Action=<Operation>&Version=2010-12-01&...`; lists are `Name.member.N`, maps
`Name.entry.N.key` / `.value`, nested structures `Outer.Inner`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from postwarden.api.errors import ApiError
from postwarden.api.model import load_model
from postwarden.api.validation import Validator

NAMESPACE = "http://ses.amazonaws.com/doc/2010-12-01/"


class QueryModel:
    def __init__(self, service: str = "ses", namespace: str = NAMESPACE) -> None:
        self.namespace = namespace
        model = load_model(service)
        self.operations: Mapping[str, Any] = model["operations"]
        self.shapes: Mapping[str, Any] = model["shapes"]

    def parse(self, body: bytes, query_string: str) -> tuple[str, dict[str, Any]]:
        """The operation name and its validated input."""
        try:
            pairs = parse_qsl(query_string, keep_blank_values=True) + parse_qsl(
                body.decode("utf-8"), keep_blank_values=True, strict_parsing=False
            )
        except (UnicodeDecodeError, ValueError) as error:
            raise ApiError("MalformedQueryString", "The query string is malformed.", 404) from error
        flat = dict(pairs)
        action = flat.get("Action")
        if not action:
            raise ApiError("MissingAction", "Missing Action")
        operation = self.operations.get(action)
        if operation is None:
            raise ApiError("InvalidAction", f"The action {action} is not valid for this web service.")
        params: dict[str, Any] = {}
        if "input" in operation:
            shape = self.shapes[operation["input"]["shape"]]
            params = _decode_structure(self.shapes, shape, flat, "")
            Validator(self.shapes, code="InvalidParameterValue", missing_code="MissingParameter").validate(
                params, shape
            )
        return action, params

    def response(self, action: str, result: Mapping[str, Any], request_id: str) -> bytes:
        operation = self.operations[action]
        inner = ""
        output = operation.get("output")
        if output is not None:
            shape = self.shapes[output["shape"]]
            members = "".join(
                _encode(self.shapes, result[name], self.shapes[ref["shape"]], ref.get("locationName", name))
                for name, ref in shape.get("members", {}).items()
                if result.get(name) is not None
            )
            wrapper = output.get("resultWrapper", f"{action}Result")
            inner = f"<{wrapper}>{members}</{wrapper}>"
        return (
            f'<{action}Response xmlns="{self.namespace}">{inner}'
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
        ).encode()


def error_document(error: ApiError, request_id: str, namespace: str = NAMESPACE) -> bytes:
    kind = "Sender" if error.sender_fault and error.status < 500 else "Receiver"
    return (
        f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>'
        f"<Message>{escape(error.message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()


def _decode_structure(
    shapes: Mapping[str, Any], shape: Mapping[str, Any], flat: Mapping[str, str], prefix: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, ref in shape.get("members", {}).items():
        key = prefix + ref.get("locationName", name)
        value = _decode(shapes, shapes[ref["shape"]], flat, key)
        if value is not None:
            out[name] = value
    return out


def _decode(shapes: Mapping[str, Any], shape: Mapping[str, Any], flat: Mapping[str, str], key: str) -> Any:
    kind = shape["type"]
    if kind == "structure":
        if not any(k.startswith(key + ".") for k in flat):
            return None
        return _decode_structure(shapes, shape, flat, key + ".")
    if kind == "list":
        member = shapes[shape["member"]["shape"]]
        base = key if shape.get("flattened") else f"{key}.member"
        if flat.get(key) == "" and not any(k.startswith(base + ".") for k in flat):
            return []  # `Name=` is how the Query protocol sends an empty list
        items: list[Any] = []
        index = 1
        while True:
            item = _decode(shapes, member, flat, f"{base}.{index}")
            if item is None:
                return items if items or any(k.startswith(base + ".") for k in flat) else None
            items.append(item)
            index += 1
    if kind == "map":
        found: dict[str, Any] = {}
        index = 1
        while f"{key}.entry.{index}.key" in flat:
            value_shape = shapes[shape["value"]["shape"]]
            found[flat[f"{key}.entry.{index}.key"]] = _decode(
                shapes, value_shape, flat, f"{key}.entry.{index}.value"
            )
            index += 1
        return found or None
    raw = flat.get(key)
    if raw is None:
        return None
    return _scalar(kind, raw, key)


def _scalar(kind: str, raw: str, key: str) -> Any:
    try:
        if kind in {"integer", "long"}:
            return int(raw)
        if kind in {"double", "float"}:
            return float(raw)
    except ValueError as error:
        raise ApiError("InvalidParameterValue", f"Invalid value for parameter {key}: {raw!r}") from error
    if kind == "boolean":
        if raw.lower() not in {"true", "false"}:
            raise ApiError("InvalidParameterValue", f"Invalid value for parameter {key}: {raw!r}")
        return raw.lower() == "true"
    return raw


def _encode(shapes: Mapping[str, Any], value: Any, shape: Mapping[str, Any], name: str) -> str:
    kind = shape["type"]
    if kind == "structure":
        members = "".join(
            _encode(shapes, value[member], shapes[ref["shape"]], ref.get("locationName", member))
            for member, ref in shape.get("members", {}).items()
            if value.get(member) is not None
        )
        return f"<{name}>{members}</{name}>"
    if kind == "list":
        member_shape = shapes[shape["member"]["shape"]]
        items = "".join(_encode(shapes, item, member_shape, "member") for item in value)
        return f"<{name}>{items}</{name}>"
    if kind == "map":
        value_shape = shapes[shape["value"]["shape"]]
        entries = "".join(
            f"<entry><key>{escape(str(k))}</key>{_encode(shapes, v, value_shape, 'value')}</entry>"
            for k, v in value.items()
        )
        return f"<{name}>{entries}</{name}>"
    return f"<{name}>{escape(_text(kind, value))}</{name}>"


def _text(kind: str, value: Any) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind in {"double", "float"}:
        return repr(float(value))
    if kind == "timestamp":
        moment = value if isinstance(value, datetime) else datetime.fromtimestamp(float(value), UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return str(value)
