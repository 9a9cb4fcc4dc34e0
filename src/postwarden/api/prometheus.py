"""`GET /metrics` for Prometheus, in the text exposition format 0.0.4.

Off (404) when `metrics_enabled` is false. When `admin_token` is set, a scrape must present it as a
bearer token (Prometheus: `authorization: {credentials: …}` in the scrape config); without an admin
token the endpoint is open, like /health, to whoever can reach the HTTP port.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
from collections.abc import Callable, Iterable

from postwarden.api.app import Receive, Scope, Send
from postwarden.services.monitoring import Family

log = logging.getLogger("postwarden.metrics")

PATH = "/metrics"
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


def exposition(families: Iterable[Family]) -> str:
    """The families as Prometheus text: HELP and TYPE lines, then one line per sample."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind.value}")
        for sample in family.samples:
            labels = ",".join(f'{name}="{escape_label_value(value)}"' for name, value in sample.labels)
            shown = f"{{{labels}}}" if labels else ""
            lines.append(f"{family.name}{shown} {format_value(sample.value)}")
    return "\n".join(lines) + "\n" if lines else ""


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


class MetricsEndpoint:
    """The ASGI answer to /metrics; `collect` runs in a worker thread (it reads the database)."""

    def __init__(self, collect: Callable[[], list[Family]], *, enabled: bool, token: str) -> None:
        self._collect = collect
        self._enabled = enabled
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._enabled:
            await _respond(send, 404, b"Not found.\n")
            return
        if scope["method"] != "GET":
            await _respond(send, 405, b"Only GET is allowed.\n", [(b"allow", b"GET")])
            return
        if self._token and not self._authorized(scope):
            await _respond(
                send, 401, b"A valid bearer token is required.\n", [(b"www-authenticate", b"Bearer")]
            )
            return
        try:
            families = await asyncio.to_thread(self._collect)
        except Exception:
            log.exception("collecting metrics failed")
            await _respond(send, 500, b"Collecting metrics failed; see the server log.\n")
            return
        body = exposition(families).encode()
        await _respond(send, 200, body, content_type=CONTENT_TYPE)

    def _authorized(self, scope: Scope) -> bool:
        presented = ""
        for name, value in scope.get("headers", []):
            if name.decode("latin-1").lower() == "authorization":
                presented = value.decode("latin-1")
        scheme, _, credentials = presented.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), self._token)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
    content_type: bytes = b"text/plain; charset=utf-8",
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
