"""POSTing notifications with httpx: pooled connections, short timeouts, no redirects followed."""

from __future__ import annotations

from collections.abc import Mapping

import httpx


class HttpxWebhookTransport:
    def __init__(self, timeout_seconds: float = 15.0, verify_tls: bool = True) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds, connect=min(5.0, timeout_seconds)),
            follow_redirects=False,
            verify=verify_tls,
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        try:
            response = await self._client.post(url, headers=dict(headers), content=body)
        except httpx.HTTPError as error:  # the port promises OSError for network failures
            raise ConnectionError(f"{type(error).__name__}: {error}") from error
        return response.status_code

    async def close(self) -> None:
        await self._client.aclose()
