"""A real HTTP receiver on a free local port, and endpoints pointed at it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kliyan.webhooks.models import WebhookEndpoint
from kliyan.webhooks.services import endpoint_create


@dataclass
class Received:
    headers: Message
    body: bytes
    path: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def header_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.headers.items()}


@dataclass
class Receiver:
    """What the server got, and what it answers: `script` codes first, then `default`."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    default: int = 200
    delay: float = 0.0
    location: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(Received(self.headers, body, self.path))
            code = state.script.pop(0) if state.script else state.default
            if state.delay:
                time.sleep(state.delay)
            answer = b'{"ok":true}' if 200 <= code < 300 else f"error {code}".encode()
            try:
                self.send_response(code)
                if state.location:
                    self.send_header("Location", state.location)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting (timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/kliyan"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def endpoint(admin, receiver: Receiver) -> WebhookEndpoint:
    return endpoint_create(actor=admin, data={"url": receiver.url, "events": ["contact.created", "contact.updated"]})
