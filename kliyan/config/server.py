"""The server entry point: synchronous views on a pool of long-lived threads, async views on the event loop.

Django's own ASGI handler runs the synchronous part of every request on a thread of its
own. Database connections belong to a thread, so each request opened a new one (about 1 ms
with SQLite's PRAGMAs, a pool checkout on PostgreSQL), lost the queries compiled on the
last one (kliyan.core.prepared) and paid the thread start: 3.5 ms over HTTP for a request
with 0.4 ms of work. Here the synchronous views (all but the live streams) go through
Django's WSGI handler on a fixed pool of threads that keep their connections, as a
threaded WSGI server does; async views (Server-Sent Events) stay on Django's ASGI handler
so an open stream holds no thread. See docs/decisions/0007-threads-for-sync-views.md.
"""

import io
from typing import Any

from a2wsgi import WSGIMiddleware
from asgiref.sync import iscoroutinefunction
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application


def build_application(threads: int | None = None) -> Any:
    """Return the ASGI application: sync views on `threads` threads (KLIYAN_THREADS), async views on the loop."""
    django_asgi = get_asgi_application()
    from django.conf import settings
    from django.urls import Resolver404, get_resolver

    django_wsgi = WSGIMiddleware(_buffered_input(get_wsgi_application()), workers=threads or settings.KLIYAN_THREADS)
    resolver = get_resolver()

    def is_async_view(path: str) -> bool:
        try:
            return iscoroutinefunction(resolver.resolve(path).func)
        except Resolver404:
            return False

    async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not is_async_view(scope["path"]):
            await django_wsgi(scope, receive, send)
        else:
            await django_asgi(scope, receive, send)

    return application


class _RawBody(io.RawIOBase):
    """The request body as a raw stream, read through a2wsgi's `read(size)`."""

    def __init__(self, body: Any) -> None:
        self.body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _buffered_input(app: Any) -> Any:
    """Give the WSGI app a request body whose readline(limit) waits for the line.

    a2wsgi's body answers readline(limit) with what it has buffered so far, often nothing,
    and Django always passes a limit (the rest of Content-Length): an NDJSON body read line
    by line looked empty. A standard buffered reader over its read() is correct.
    """

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        # Django reads no further than Content-Length, so a request without a body needs no reader.
        if environ.get("CONTENT_LENGTH", "0") not in ("", "0"):
            environ["wsgi.input"] = io.BufferedReader(_RawBody(environ["wsgi.input"]), 64 * 1024)
        return app(environ, start_response)

    return wsgi
