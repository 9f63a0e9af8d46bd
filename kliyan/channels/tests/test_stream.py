"""The live pop: Server-Sent Events from the real ASGI server (uvicorn), events carried by the database.

Served by uvicorn in a thread of the test process (asgi_server.py): WSGI cannot stream,
and a server in another process could not see SQLite's in-memory test database.
"""

from __future__ import annotations

import http.client
import json
import queue
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from twilio.request_validator import RequestValidator

from kliyan.accounts.models import TokenScope, User
from kliyan.accounts.services import token_create
from kliyan.channels.models import CallEvent
from kliyan.core.tests.asgi_server import asgi_server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server() -> Iterator[str]:
    with asgi_server() as url:
        yield url


def _session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


class Stream:
    """An open text/event-stream connection whose events are read in a thread."""

    def __init__(self, base_url: str, cookie: str | None, last_event_id: str | None = None) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        headers = {"Accept": "text/event-stream", "Accept-Encoding": "gzip"}
        if cookie:
            headers["Cookie"] = cookie
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.connection.request("GET", "/pop/stream", headers=headers)
        self.sock = self.connection.sock
        self.response = self.connection.getresponse()
        self.events: queue.Queue[dict[str, str]] = queue.Queue()
        if self.response.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        block: dict[str, str] = {}
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if not line:
                    if block:
                        self.events.put(block)
                    block = {}
                elif not line.startswith(":"):
                    key, _colon, value = line.partition(": ")
                    block[key] = value
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass  # closed by the test

    def next_event(self, timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            block = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            if "event" in block:
                return block

    def close(self) -> None:
        # The reading thread holds the socket open; shutting it down is what tells the
        # server the page went away.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()


def _announce(base_url: str, token: str, call_id: str, number: str = "+509 3712 3456") -> dict[str, Any]:
    body = json.dumps({"from": number, "call_id": call_id}).encode()
    request = urllib.request.Request(
        f"{base_url}/api/v1/calls/incoming", data=body, method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_an_incoming_call_reaches_an_agents_open_stream_within_a_second(server, agent, caller) -> None:
    _token, raw = token_create(actor=agent, user=agent, name="pbx", scope=TokenScope.WRITE)
    stream = Stream(server, _session_cookie(agent))
    try:
        assert stream.response.status == 200
        assert stream.response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
        assert stream.response.getheader("Content-Encoding") is None  # never held back by compression
        opening = stream.events.get(timeout=5)
        assert opening["retry"] == "1000" and opening["id"].isdigit()  # where a reconnection resumes
        started = time.monotonic()
        _announce(server, raw, "pbx-live-1")
        event = stream.next_event(timeout=5)
        elapsed = time.monotonic() - started
    finally:
        stream.close()
    assert elapsed < 1.0
    assert event["event"] == "incoming_call"
    data = json.loads(event["data"])
    assert data["title"] == "Incoming call: Marie-Claire Joseph"
    assert data["pop_url"] == "/pop/?phone=%2B50937123456"
    assert (data["phone"], data["company"], data["call_id"]) == ("+50937123456", "Boulangerie Soleil", "pbx-live-1")
    assert int(event["id"]) > 0


def test_a_reconnecting_page_resumes_after_its_last_event_id(server, agent, caller) -> None:
    _token, raw = token_create(actor=agent, user=agent, name="pbx", scope=TokenScope.WRITE)
    cookie = _session_cookie(agent)
    first = Stream(server, cookie)
    try:
        _announce(server, raw, "pbx-live-2")
        seen = first.next_event(timeout=5)
    finally:
        first.close()
    # The call popped while the page was reconnecting: it is sent as soon as the page is back.
    again = Stream(server, cookie, last_event_id=str(int(seen["id"]) - 1))
    try:
        assert again.next_event(timeout=2)["id"] == seen["id"]
    finally:
        again.close()
    caught_up = Stream(server, cookie, last_event_id=seen["id"])
    try:
        with pytest.raises(queue.Empty):
            caught_up.next_event(timeout=0.8)
    finally:
        caught_up.close()


def test_a_call_for_another_agent_does_not_pop_on_my_page(server, agent, manager, caller) -> None:
    _token, raw = token_create(actor=agent, user=agent, name="pbx", scope=TokenScope.WRITE)
    mine = Stream(server, _session_cookie(agent))
    try:
        body = json.dumps({"from": "+50937123456", "call_id": "pbx-live-3", "agent": "manager"}).encode()
        request = urllib.request.Request(
            f"{server}/api/v1/calls/incoming", data=body, method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {raw}"},
        )
        urllib.request.urlopen(request, timeout=10).close()
        with pytest.raises(queue.Empty):
            mine.next_event(timeout=0.8)
    finally:
        mine.close()


def test_the_stream_needs_a_login_and_a_role(server, caller) -> None:
    anonymous = Stream(server, None)
    assert anonymous.response.status == 401
    anonymous.close()
    nobody = User.objects.create_user(username="nobody", password="correct horse battery", role="")
    refused = Stream(server, _session_cookie(nobody))
    assert refused.response.status == 403
    refused.close()


def test_under_wsgi_the_stream_answers_204_so_the_browser_stops_asking(client_as, agent) -> None:
    assert client_as(agent).get("/pop/stream").status_code == 204


@override_settings(KLIYAN_TWILIO_AUTH_TOKEN="12345678901234567890123456789012")
def test_twilio_over_http_signs_the_url_it_posted_to(server, caller) -> None:
    form = {"CallSid": "CAfeedfeedfeedfeedfeedfeedfeedfeed", "From": "+50937123456", "To": "+50928000000",
            "CallStatus": "ringing", "Direction": "inbound"}
    url = f"{server}/channels/twilio/voice"
    signature = RequestValidator("12345678901234567890123456789012").compute_signature(url, form)
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(form).encode(), method="POST", headers={"X-Twilio-Signature": signature},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.read() == b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
    assert CallEvent.objects.get().contact_id == caller.pk
