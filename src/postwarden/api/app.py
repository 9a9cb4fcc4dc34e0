"""The HTTP adapter: a bare ASGI application in front of the SES v2 (and later v1) handlers.

Every request is authenticated with SigV4 before anything else looks at it; the region comes from the
credential scope. Handlers receive validated parameters and return JSON-ready dicts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from postwarden.api.credentials import CredentialCache
from postwarden.api.errors import ApiError
from postwarden.api.model import ServiceModel
from postwarden.api.query import QueryModel, error_document
from postwarden.api.sigv4 import IncomingRequest, SigV4Error, SigV4Verifier
from postwarden.fast_ids import random_uuid
from postwarden.ports import Clock

log = logging.getLogger("postwarden.api")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

MAX_BODY_BYTES = 60 * 1024 * 1024  # a 40 MB raw message, base64-encoded, plus the JSON around it


@dataclass(frozen=True, slots=True)
class RequestContext:
    account_id: str
    region: str
    access_key_id: str
    source_ip: str
    request_id: str
    service: str = "ses"


Handler = Callable[[RequestContext, dict[str, Any]], Awaitable[dict[str, Any]]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Redirect:
    """A page's answer that sends the browser elsewhere; `location` must already be URL-encoded ASCII."""

    location: str
    status: int = 302


@dataclass(frozen=True, slots=True)
class Document:
    """A page's answer that is not HTML (a certificate, an XML confirmation)."""

    status: int
    body: bytes
    content_type: bytes


VisitHandler = Callable[[str, str, str], Awaitable[Redirect | Document]]
"""A URL in a sent message (an open pixel, a tracked link): query string, user agent and client IP in."""

PageHandler = Callable[[str], Awaitable[tuple[int, str] | Redirect | Document]]
"""A URL opened without a signature (a verification link, an SNS confirmation, the signing certificate):
query string in, (status, HTML), a document or a redirect out."""


class RestJsonProtocol:
    """SES v2: routes under /v2/email/, JSON bodies, errors as `x-amzn-ErrorType` + `{"message"}`."""

    content_type = b"application/json"

    def __init__(self, model: ServiceModel, handlers: Mapping[str, Handler]) -> None:
        self._model = model
        self._handlers = handlers

    async def handle(self, ctx: RequestContext, method: str, path: str, query: str, body: bytes) -> bytes:
        matched = self._model.match(method, path)
        if matched is None:
            raise ApiError("UnknownOperationException", f"No operation matches {method} {path}.", 404)
        operation, uri_params = matched
        handler = self._handlers.get(operation)
        if handler is None:
            raise ApiError("BadRequestException", f"The {operation} operation is not supported yet.", 400)
        params = self._model.bind(operation, uri_params, query, body)
        return json.dumps(await handler(ctx, params), separators=(",", ":")).encode()

    def error(self, error: ApiError, request_id: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
        body = json.dumps({"message": error.message}, separators=(",", ":")).encode()
        return [(b"x-amzn-errortype", error.code.encode())], body


class QueryProtocol:
    """SES v1: `POST /` with `Action=…`, XML responses and `ErrorResponse` documents."""

    content_type = b"text/xml"

    def __init__(self, model: QueryModel, handlers: Mapping[str, Handler]) -> None:
        self._model = model
        self._handlers = handlers

    async def handle(self, ctx: RequestContext, method: str, path: str, query: str, body: bytes) -> bytes:
        action, params = self._model.parse(body, query)
        handler = self._handlers.get(action)
        if handler is None:
            raise ApiError("InvalidAction", f"The action {action} is not supported yet.")
        result = await handler(ctx, params)
        return self._model.response(action, result, ctx.request_id)

    def error(self, error: ApiError, request_id: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
        return [], error_document(error, request_id, self._model.namespace)


class ApiApp:
    def __init__(
        self,
        verifier: SigV4Verifier,
        credentials: CredentialCache,
        v2: RestJsonProtocol,
        v1: QueryProtocol,
        clock: Clock,
        pages: Mapping[str, PageHandler] | None = None,
        sns: QueryProtocol | None = None,
        visits: Mapping[str, VisitHandler] | None = None,
        admin: AsgiApp | None = None,
        metrics: AsgiApp | None = None,
    ) -> None:
        self._admin = admin
        self._metrics = metrics
        self._pages = dict(pages or {})
        self._visits = dict(visits or {})
        self._sns = sns
        self._verifier = verifier
        self._credentials = credentials
        self._v2 = v2
        self._v1 = v1
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request_id = random_uuid()
        path: str = scope["path"]
        if scope["method"] == "GET" and path == "/health":
            await _respond(send, 200, b'{"status":"ok"}', b"application/json", request_id)
            return
        visit = self._visits.get(path) if scope["method"] == "GET" else None
        if visit is not None:
            query = scope.get("query_string", b"").decode("latin-1")
            agent = _headers(scope).get("user-agent", "")
            answer = await visit(query, agent, _client_ip(scope))
            await _answer_page(send, answer, request_id)
            return
        if self._metrics is not None and path == "/metrics":  # Prometheus: bearer token, not SigV4
            await self._metrics(scope, receive, send)
            return
        if self._admin is not None and path.startswith("/admin/"):  # bearer token, not SigV4
            await self._admin(scope, receive, send)
            return
        page = self._pages.get(path) if scope["method"] == "GET" else None
        if page is not None:  # a person's browser, not an SDK: no signature, an HTML answer
            await _answer_page(send, await page(scope.get("query_string", b"").decode("latin-1")), request_id)
            return
        protocol: RestJsonProtocol | QueryProtocol = self._v1 if path in {"", "/"} else self._v2
        try:
            context, body = await self._authenticate(scope, receive, request_id)
            if context.service == "sns" and self._sns is not None and protocol is self._v1:
                protocol = self._sns
            query = scope.get("query_string", b"").decode("latin-1")
            payload = await protocol.handle(context, scope["method"], path, query, body)
            await _respond(send, 200, payload, protocol.content_type, request_id)
        except ApiError as error:
            headers, payload = protocol.error(error, request_id)
            await _respond(send, error.status, payload, protocol.content_type, request_id, headers)
        except Exception:
            log.exception("internal error on %s %s", scope.get("method"), path)
            failure = ApiError(
                "InternalFailure" if isinstance(protocol, QueryProtocol) else "InternalServiceErrorException",
                "An internal error occurred. The request was not completed.",
                500,
                sender_fault=False,
            )
            headers, payload = protocol.error(failure, request_id)
            await _respond(send, 500, payload, protocol.content_type, request_id, headers)

    async def _authenticate(
        self, scope: Scope, receive: Receive, request_id: str
    ) -> tuple[RequestContext, bytes]:
        method: str = scope["method"]
        body = await _read_body(receive)
        headers = _headers(scope)
        raw_path = scope.get("raw_path", scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        query = scope.get("query_string", b"").decode("latin-1")
        await self._credentials.prefetch(headers.get("authorization", ""), query)
        now = datetime.fromtimestamp(self._clock.now(), UTC)
        try:
            caller = self._verifier.verify(IncomingRequest(method, raw_path, query, headers, body), now)
        except SigV4Error as error:
            raise ApiError(error.code, error.message, error.http_status) from error
        known = self._credentials.known(caller.access_key_id)
        assert known is not None  # verify() succeeded, so the key was found
        context = RequestContext(
            known.account_id,
            caller.region,
            caller.access_key_id,
            _client_ip(scope),
            request_id,
            caller.service,
        )
        return context, body


async def _answer_page(send: Send, answer: tuple[int, str] | Redirect | Document, request_id: str) -> None:
    if isinstance(answer, Redirect):
        location = [(b"location", answer.location.encode("ascii"))]
        await _respond(send, answer.status, b"", b"text/html; charset=utf-8", request_id, location)
    elif isinstance(answer, Document):
        await _respond(send, answer.status, answer.body, answer.content_type, request_id)
    else:
        status, html = answer
        await _respond(send, status, html.encode(), b"text/html; charset=utf-8", request_id)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError("BadRequestException", "The request body is too large.", 413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


async def _respond(
    send: Send,
    status: int,
    payload: bytes,
    content_type: bytes,
    request_id: str,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(payload)).encode()),
        (b"x-amzn-requestid", request_id.encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
