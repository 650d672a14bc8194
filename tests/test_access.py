"""Who may use a server: the token, the Host check against DNS rebinding, websocket origins."""

from __future__ import annotations

import asyncio
import logging
import urllib.request

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from webfig.config import Settings
from webfig.server import FigureServer, server_access
from webfig.server.access import Access, host_name, is_loopback

from .test_server import fetch

TOKEN = "correct-horse-battery"


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("app.localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_loopback_addresses(address, loopback):
    assert is_loopback(address) is loopback


@pytest.mark.parametrize(
    ("host", "name"),
    [("localhost", "localhost"), ("localhost:8988", "localhost"), ("[::1]:80", "::1")],
)
def test_host_names_lose_their_port(host, name):
    assert host_name(host) == name


def test_origins_are_the_server_own_or_allowed():
    access = Access.create(allowed_origins=["https://App.example"])
    assert access.origin_allowed("http://localhost:8988", ["localhost:8988"])
    assert access.origin_allowed("https://plots.example", ["127.0.0.1:8988", "plots.example"])
    assert access.origin_allowed("https://app.example", ["localhost:8988"])
    assert not access.origin_allowed("http://evil.example", ["localhost:8988"])
    assert not access.origin_allowed("http://localhost:9999", ["localhost:8988"])
    assert not access.origin_allowed("null", ["localhost:8988"])


def test_a_server_on_the_network_always_has_a_token():
    assert server_access(Settings(address="127.0.0.1")).token is None
    assert server_access(Settings(address="127.0.0.1")).loopback_hosts_only
    generated = server_access(Settings(address="0.0.0.0")).token
    assert generated
    assert len(generated) >= 24
    assert generated != server_access(Settings(address="0.0.0.0")).token
    configured = server_access(Settings(address="0.0.0.0", token=TOKEN))
    assert configured.token == TOKEN
    assert not configured.loopback_hosts_only


@pytest.fixture
def guarded(figure):
    settings = Settings(port=0, open_browser=False, token=TOKEN)
    server = FigureServer(settings)
    server.start()
    yield server
    server.stop()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """A GET that does not follow redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def open_socket(url: str, headers: dict[str, str]) -> int:
    """The status of a websocket handshake: 101 when it opens."""

    async def attempt() -> int:
        try:
            connection = await websocket_connect(HTTPRequest(url, headers=headers))
        except HTTPClientError as error:
            return error.code
        connection.close()
        # Wait for the close handshake, so the socket is gone before the loop is.
        while await connection.read_message() is not None:
            pass
        return 101

    return asyncio.run(attempt())


def test_the_printed_url_carries_the_token(guarded):
    assert guarded.url.endswith(f"/?token={TOKEN}")


@pytest.mark.parametrize("path", ["/", "/1", "/1/download.png", "/js/mpl.js", "/static/webfig.css"])
def test_requests_without_the_token_are_refused(guarded, path):
    status, _, body = get(f"http://127.0.0.1:{guarded.port}{path}")
    assert status == 403
    assert b"access token" in body
    assert get(f"http://127.0.0.1:{guarded.port}{path}?token=wrong")[0] == 403


def test_the_token_becomes_a_cookie_and_leaves_the_address(guarded):
    base = f"http://127.0.0.1:{guarded.port}"
    status, headers, _ = get(f"{base}/1?token={TOKEN}")
    assert status == 302
    assert headers["Location"] == "/1"
    cookie = headers["Set-Cookie"].split(";")[0]
    assert cookie == f"{guarded.access.cookie_name}={TOKEN}"
    assert "HttpOnly" in headers["Set-Cookie"]
    assert "SameSite=Strict" in headers["Set-Cookie"]

    status, _, body = get(f"{base}/1", {"Cookie": cookie})
    assert status == 200
    assert b"webfig-figure" in body
    assert get(f"{base}/1/download.png?token={TOKEN}")[0] == 200

    socket = f"ws://127.0.0.1:{guarded.port}/1/ws"
    assert open_socket(socket, {}) == 403
    assert open_socket(socket, {"Cookie": cookie}) == 101
    assert open_socket(f"{socket}?token={TOKEN}", {}) == 101


def test_a_server_without_a_token_answers_only_to_loopback_names(server, figure):
    base = f"http://127.0.0.1:{server.port}"
    for host in ("localhost", f"localhost:{server.port}", "127.0.0.1", "[::1]:80"):
        assert get(f"{base}/1", {"Host": host})[0] == 200
    status, _, body = get(f"{base}/1", {"Host": "rebound.example"})
    assert status == 403
    assert b"WEBFIG_TOKEN" in body
    socket = f"ws://127.0.0.1:{server.port}/1/ws"
    assert (
        open_socket(socket, {"Host": "rebound.example", "Origin": "http://rebound.example"}) == 403
    )


def test_websockets_accept_only_the_page_origin(server, figure, caplog):
    socket = f"ws://127.0.0.1:{server.port}/1/ws"
    own = f"http://127.0.0.1:{server.port}"
    assert open_socket(socket, {"Origin": own}) == 101
    assert open_socket(socket, {"Origin": "http://evil.example"}) == 403
    assert open_socket(socket, {"Origin": "http://evil.example"}) == 403
    # One line for each refusal, saying why.
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelname for r in warnings] == ["WARNING", "WARNING"]
    assert all(
        "refused a websocket from origin 'http://evil.example'" in r.getMessage() for r in warnings
    )
    # A reverse proxy's forwarded host is the page's origin too.
    forwarded = {"Origin": "https://localhost:8443", "X-Forwarded-Host": "localhost:8443"}
    assert open_socket(socket, forwarded) == 101
    list_socket = f"ws://127.0.0.1:{server.port}/ws"
    assert open_socket(list_socket, {"Origin": "http://evil.example"}) == 403


def test_allowed_origins(make_server, figure):
    settings = Settings(port=0, open_browser=False, allowed_origins=("https://dashboard.example",))
    server = FigureServer(settings)
    server.start()
    try:
        socket = f"ws://127.0.0.1:{server.port}/1/ws"
        assert open_socket(socket, {"Origin": "https://dashboard.example"}) == 101
        assert open_socket(socket, {"Origin": "https://other.example"}) == 403
    finally:
        server.stop()


def test_fetch_helper_still_works_without_a_token(server, figure):
    assert fetch(server, "/1")[0] == 200
