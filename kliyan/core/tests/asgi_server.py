"""Run Kliyan under uvicorn in a thread, against the test database, for tests that need ASGI.

pytest-django's live_server speaks WSGI, which cannot stream Server-Sent Events: the
stream and the browser test need the real ASGI application the app runs under in
production (kliyan.config.asgi). Requests are served in threads of this process, so they
see the test database, SQLite's shared in-memory one included, with the test's committed
data (transaction=True tests).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from asgiref.sync import sync_to_async
from django.db import connections

from kliyan.config.server import build_application


@contextmanager
def asgi_server() -> Iterator[str]:
    """Serve the app on a free loopback port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        build_application(threads=4), log_level="warning", lifespan="off", timeout_graceful_shutdown=1, access_log=False,
    )
    server = uvicorn.Server(config)
    settings_dict = connections["default"].settings_dict
    conn_max_age = settings_dict.get("CONN_MAX_AGE", 0)
    # Close each request's connection when it ends, so no session outlives the test
    # (PostgreSQL drops the test database at the end only when nobody is connected).
    settings_dict["CONN_MAX_AGE"] = 0

    async def serve() -> None:
        await server.serve(sockets=[sock])
        await sync_to_async(connections.close_all)()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        settings_dict["CONN_MAX_AGE"] = conn_max_age
