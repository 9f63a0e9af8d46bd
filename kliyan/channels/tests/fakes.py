"""A local HTTP server standing in for a provider's API: it records each request and gives the answers it is told."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        """The form fields (each given once in these tests)."""
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeProvider:
    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    # Answers given in turn, (status, JSON body); the last one repeats.
    answers: list[tuple[int, Any]] = field(default_factory=lambda: [(200, {})])

    def answer(self, *answers: tuple[int, Any]) -> None:
        self.answers = list(answers)


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    """Serve a FakeProvider on 127.0.0.1, on a free port, for the duration of the block."""
    provider = FakeProvider()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                provider.requests.append(Seen("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status, payload = provider.answers[0] if len(provider.answers) == 1 else provider.answers.pop(0)
            raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port_url() -> str:
    """Return a URL where nothing listens (a provider that is down)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
