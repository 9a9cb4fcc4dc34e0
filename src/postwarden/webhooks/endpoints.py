"""Which subscriber URLs may be used: http(s) only, and never loopback, private, link-local or other
internal addresses unless the operator allows them (so a tenant cannot make Postwarden call into the
operator's network)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class EndpointGuard:
    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private

    async def refusal(self, url: str) -> str | None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return "not a valid URL"
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            return "only http and https URLs with a host name can be subscribed"
        if self._allow_private:
            return None
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                parts.hostname, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
            )
        except OSError:
            return f"the host name {parts.hostname} does not resolve"
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if not address.is_global:
                return f"{parts.hostname} resolves to the non-public address {address}"
        return None
