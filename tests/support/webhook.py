"""A real HTTP server standing in for a sender's webhook endpoint: records every POST, can answer
errors for a while or be switched off entirely, and can confirm SNS subscriptions by visiting the
SubscribeURL, as a subscriber's code would."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.service import free_port


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def document(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def message(self) -> dict[str, Any]:
        """The SES event inside a Notification envelope ({} when the message is not a JSON object)."""
        try:
            parsed = json.loads(self.document["Message"])
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


class WebhookReceiver:
    def __init__(self, *, confirm: bool = True) -> None:
        self.port = free_port()
        self.confirm = confirm
        self.status = 200
        self.received: list[Delivery] = []
        self.refused = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                status = receiver.status
                if status == 200:
                    receiver._record(
                        Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                else:
                    with receiver._lock:
                        receiver.refused += 1
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _record(self, delivery: Delivery) -> None:
        with self._lock:
            self.received.append(delivery)
        if self.confirm and delivery.headers.get("x-amz-sns-message-type") == "SubscriptionConfirmation":
            threading.Thread(target=_visit, args=(delivery.document["SubscribeURL"],), daemon=True).start()

    def notifications(self, predicate: Any = None) -> list[Delivery]:
        with self._lock:
            found = [d for d in self.received if d.headers.get("x-amz-sns-message-type") == "Notification"]
        return [d for d in found if predicate is None or predicate(d)]

    def wait_for(self, count: int, predicate: Any = None, timeout: float = 30.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        found: list[Delivery] = []
        while time.monotonic() < deadline:
            found = self.notifications(predicate)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(
            f"{len(found)} of {count} notifications arrived: {[d.body[:300] for d in found]}"
        )

    def wait_for_type(self, message_type: str, timeout: float = 30.0) -> Delivery:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for delivery in self.received:
                    if delivery.headers.get("x-amz-sns-message-type") == message_type:
                        return delivery
            time.sleep(0.1)
        raise AssertionError(f"no {message_type} arrived")

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _visit(url: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
