"""The production access review's website check: does the sender's website answer over HTTP(S)?

Only public addresses are fetched (the operator's network stays out of reach, as for subscriber URLs);
redirects are not followed, a redirect answer counts as reachable."""

from __future__ import annotations

import time

import httpx

from postwarden.webhooks.endpoints import EndpointGuard


class HttpxWebsiteProbe:
    def __init__(self, guard: EndpointGuard, timeout_seconds: float = 10.0, verify_tls: bool = True) -> None:
        self._guard = guard
        self._timeout = timeout_seconds
        self._verify_tls = verify_tls

    async def check(self, url: str) -> tuple[bool, str]:
        refusal = await self._guard.refusal(url)
        if refusal is not None:
            return False, f"not fetched: {refusal}"
        started = time.monotonic()
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, follow_redirects=False, verify=self._verify_tls
            ) as client:
                response = await client.get(
                    url, headers={"User-Agent": "Postwarden production access review"}
                )
        except httpx.HTTPError as error:
            return False, f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        elapsed = time.monotonic() - started
        seen = f"HTTP {response.status_code} in {elapsed:.1f} s"
        if response.is_redirect:
            seen += f", redirecting to {response.headers.get('location', '?')}"
        return response.status_code < 400, seen
