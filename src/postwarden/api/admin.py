"""The operator's admin API: JSON over HTTP under /admin/, on the same server as the SES API, behind a
bearer token (`admin_token`; empty turns the API off and every /admin/ path answers 404).

Routes are a small table: `AdminApi.add(method, "/admin/v1/things/{thing}", handler)`. A handler takes an
`AdminRequest` and returns a JSON-ready value (answered with 200) or raises `AdminError`. The actor recorded
in the audit log is "admin-api", or "admin-api:<name>" with an `X-Postwarden-Actor: <name>` header.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from postwarden.api.app import Receive, Scope, Send

log = logging.getLogger("postwarden.admin")

PREFIX = "/admin/"
MAX_BODY_BYTES = 1024 * 1024
_ACTOR = re.compile(r"[^\x21-\x7e]")


@dataclass(frozen=True, slots=True)
class AdminRequest:
    method: str
    path: str
    params: dict[str, str]
    """The route's {placeholders}."""
    query: dict[str, str]
    body: dict[str, Any]
    """The JSON object sent ({} without a body)."""
    actor: str


class AdminError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


AdminHandler = Callable[[AdminRequest], Awaitable[Any]]
AdminRoute = tuple[str, str, AdminHandler]
"""(method, path template, handler)."""


class AdminApi:
    def __init__(self, token: str, routes: Iterable[AdminRoute] = ()) -> None:
        self._token = token.encode()
        self._routes: list[tuple[str, re.Pattern[str], AdminHandler]] = []
        for method, template, handler in routes:
            self.add(method, template, handler)

    def add(self, method: str, template: str, handler: AdminHandler) -> None:
        if not template.startswith(PREFIX):
            raise ValueError(f"admin routes live under {PREFIX}: {template}")
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self._routes.append((method.upper(), re.compile(pattern + "$"), handler))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            status, result = 200, await self._handle(scope, receive)
        except AdminError as error:
            status, result = error.status, {"error": error.code, "message": error.message}
        except Exception:
            log.exception("admin API failure on %s %s", scope.get("method"), scope.get("path"))
            status, result = 500, {"error": "InternalError", "message": "An internal error occurred."}
        headers = [(b"www-authenticate", b"Bearer")] if status == 401 else []
        await _respond(send, status, json.dumps(result, indent=1, default=str).encode(), headers)

    async def _handle(self, scope: Scope, receive: Receive) -> Any:
        if not self._token:
            raise AdminError(404, "NotFound", "Not found.")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        scheme, _, presented = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), self._token):
            raise AdminError(
                401, "Unauthorized", "A valid admin token is required (Authorization: Bearer …)."
            )
        method, path = scope["method"].upper(), scope["path"]
        allowed = False
        for route_method, pattern, handler in self._routes:
            matched = pattern.match(path)
            if matched is None:
                continue
            if route_method != method:
                allowed = True
                continue
            request = AdminRequest(
                method=method,
                path=path,
                params={k: unquote(v) for k, v in matched.groupdict().items()},
                query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
                body=await _json_body(receive),
                actor=_actor(headers.get("x-postwarden-actor", "")),
            )
            return await handler(request)
        if allowed:
            raise AdminError(405, "MethodNotAllowed", f"{method} is not allowed on {path}.")
        raise AdminError(404, "NotFound", f"No admin route {method} {path}.")


def _actor(name: str) -> str:
    name = _ACTOR.sub("", name)[:100]
    return f"admin-api:{name}" if name else "admin-api"


async def _json_body(receive: Receive) -> dict[str, Any]:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise AdminError(413, "PayloadTooLarge", "The request body is too large.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    raw = b"".join(chunks).strip()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise AdminError(400, "BadRequest", f"The body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise AdminError(400, "BadRequest", "The body must be a JSON object.")
    return body


async def _respond(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
