"""`kliyan serve --demo` in a real process: migrations, static files, the demo login, the API."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT = 120


@dataclass
class Server:
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"kliyan serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "api/v1/health", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    pytest.fail(f"kliyan serve did not answer within {START_TIMEOUT} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("serve-data")
    log = data_dir / "serve.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KLIYAN_", "DJANGO_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="kliyan.config.settings", KLIYAN_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "kliyan", "serve", "--port", str(port), "--demo"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, process, log)
        yield Server(url=url, log=log)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fetch(url: str, opener: urllib.request.OpenerDirector | None = None, data: bytes | None = None):
    opener = opener or urllib.request.build_opener()
    try:
        return opener.open(url, data=data, timeout=10)
    except urllib.error.HTTPError as error:
        return error


def test_serve_prints_the_address_and_the_demo_login(server: Server) -> None:
    output = server.output()

    assert f"Kliyan is running at {server.url}" in output
    assert re.search(r"Log in as “demo” with the password “[^”]+”", output)
    assert "kliyan worker" in output


def test_the_home_page_sends_visitors_to_the_login_page(server: Server) -> None:
    response = fetch(server.url)

    assert response.status == 200
    assert urllib.parse.urlsplit(response.url).path == "/accounts/login/"


def test_static_files_are_served_by_the_production_server(server: Server) -> None:
    login_page = fetch(server.url + "accounts/login/").read().decode()
    hashed = re.findall(r'/static/kliyan/kliyan\.[0-9a-f]{12}\.css', login_page)

    plain = fetch(server.url + "static/kliyan/kliyan.css")
    assert plain.status == 200
    assert plain.headers["Content-Type"].startswith("text/css")
    assert hashed, "the login page links the hashed stylesheet"
    versioned = fetch(server.url + hashed[0].lstrip("/"))
    assert versioned.status == 200
    # Hashed names never change content, so browsers may keep them for good.
    assert "immutable" in versioned.headers["Cache-Control"]


def test_the_health_endpoint_answers(server: Server) -> None:
    response = fetch(server.url + "api/v1/health")

    assert response.status == 200
    assert json.loads(response.read()) == {"status": "ok", "database": "sqlite"}


def test_the_printed_demo_password_logs_in(server: Server) -> None:
    password = re.search(r"with the password “([^”]+)”", server.output()).group(1)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_url = server.url + "accounts/login/"
    page = fetch(login_url, opener).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "username": "demo", "password": password}).encode()

    request = urllib.request.Request(login_url, data=form, headers={"Referer": login_url})
    response = fetch(request, opener)

    assert response.status == 200
    assert urllib.parse.urlsplit(response.url).path != "/accounts/login/"
    assert "sessionid" in {cookie.name for cookie in jar}
