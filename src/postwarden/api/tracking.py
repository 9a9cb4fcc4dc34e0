"""The URLs in tracked mail: the open pixel (a 1x1 GIF, always answered) and the link redirector (a 302 to
the URL the signed token names; anything else gets 404, so it cannot be used as an open redirect)."""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import parse_qs

from postwarden.api.app import Document, Redirect
from postwarden.services.tracking import TrackingEvents

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


class TrackingPages:
    def __init__(self, events: TrackingEvents) -> None:
        self._events = events

    async def open(self, query: str, user_agent: str, client_ip: str) -> Redirect | Document:
        token = _token(query)
        if token:
            await asyncio.to_thread(self._events.opened, token, user_agent, client_ip)
        return Document(200, PIXEL, b"image/gif")

    async def click(self, query: str, user_agent: str, client_ip: str) -> Redirect | Document:
        target = await asyncio.to_thread(self._events.clicked, _token(query), user_agent, client_ip)
        if target is None:
            return Document(404, b"This link is not valid.", b"text/plain; charset=utf-8")
        return Redirect(target)


def _token(query: str) -> str:
    return (parse_qs(query).get("t") or [""])[0]
