"""Who may use a server: the token, the Host check against DNS rebinding, websocket origins."""

from __future__ import annotations

import asyncio
import logging
import socket
import urllib.request

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from webfig.config import Settings
from webfig.runtime.event_loop import server_thread
from webfig.server import FigureServer, server_access
from webfig.server.access import Access, host_name, is_loopback

from .processes import Visit
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


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "0.0.0.0"])
def test_every_server_has_a_random_token_by_default(address):
    """On loopback too: every user of the machine can reach 127.0.0.1."""
    access = server_access(Settings(address=address))
    assert access.token is not None
    assert len(access.token) >= 24
    assert access.token != server_access(Settings(address=address)).token
    assert not access.loopback_hosts_only
    configured = server_access(Settings(address=address, token=TOKEN))
    assert configured.token == TOKEN
    assert not configured.loopback_hosts_only


@pytest.mark.parametrize("address", ["127.0.0.1", "0.0.0.0"])
def test_an_empty_token_is_none_and_only_loopback_names(address):
    access = server_access(Settings(address=address, token=""))
    assert access.token is None
    assert access.loopback_hosts_only


def test_a_server_with_default_settings_needs_its_token_on_loopback(figure):
    server = FigureServer(Settings(port=0, open_browser=False))
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        token = server.access.token
        assert token is not None
        assert server.url == f"{base}/?token={token}"
        for path in ["/", "/1", "/1/download.png", "/js/mpl.js"]:
            status, _, body = get(base + path)
            assert status == 403, path
            assert b"access token" in body
        assert open_socket(f"ws://127.0.0.1:{server.port}/1/ws", {}) == 403
        # The printed URL, followed as a browser does, cookie and all.
        visit = Visit(server.url)
        assert visit.status == 200
        assert b'class="webfig-figure"' in visit.page
        assert visit.fetch("1/download.png")[0] == 200
        assert open_socket(f"ws://127.0.0.1:{server.port}/1/ws", {"Cookie": visit.cookie}) == 101
    finally:
        server.stop()


def test_no_token_beyond_loopback_is_one_loud_warning_and_loopback_names_only(figure, caplog):
    """Asked for: so allowed (in a container that publishes the port on the host's loopback,
    say), but said at start, since any program that reaches the port may say localhost."""
    server = FigureServer(Settings(port=0, address="0.0.0.0", open_browser=False, token=""))
    caplog.set_level(logging.WARNING, logger="webfig")
    server.start()
    try:
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        url = server.url
        base = f"http://127.0.0.1:{server.port}"
        assert get(f"{base}/1", {"Host": f"localhost:{server.port}"})[0] == 200
        status, _, body = get(f"{base}/1", {"Host": f"192.0.2.7:{server.port}"})
    finally:
        server.stop()
    assert url == f"{base.replace('127.0.0.1', socket.gethostname())}/"
    assert len(warnings) == 1, warnings
    assert 'the token is off (WEBFIG_TOKEN="")' in warnings[0]
    assert "listens on 0.0.0.0" in warnings[0]
    assert (status, b"answers only to localhost" in body) == (403, True)


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
    settings = Settings(
        port=0, open_browser=False, token="", allowed_origins=("https://dashboard.example",)
    )
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


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The server's access lines so far (it logs a request just after answering it)."""
    server_thread().run_sync(lambda: None)
    return [r.getMessage() for r in caplog.records if r.name == "tornado.access"]


# What Chromium sends with an <img> that a page elsewhere points at the server (its
# Referer is the page's origin only, by the default referrer policy).
IMAGE_FROM = {
    "Sec-Fetch-Site": "cross-site",
    "Sec-Fetch-Mode": "no-cors",
    "Sec-Fetch-Dest": "image",
}
EVIL = "http://evil.example"


@pytest.mark.parametrize(
    "path", ["/", "/1", "/1/download.png?dpi=300", "/js/mpl.js", "/static/webfig.css"]
)
@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_requests_from_another_site_are_refused_saying_why(server, figure, caplog, path, site):
    """same-site too: a page on another port of localhost is the same site."""
    caplog.set_level(logging.WARNING, logger="tornado.access")
    headers = {**IMAGE_FROM, "Sec-Fetch-Site": site, "Referer": f"{EVIL}/"}
    status, _, body = get(f"http://127.0.0.1:{server.port}{path}", headers)
    assert status == 403
    assert body.decode() == (
        f"Refused a request from a page of {EVIL} (Sec-Fetch-Site: {site}): open webfig's own"
        " address, or allow that origin in WEBFIG_ALLOWED_ORIGINS.\n"
    )
    lines = access_lines(caplog)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"403 GET {path} (127.0.0.1) ")
    assert f"Sec-Fetch-Site: {site}" in lines[0]


@pytest.mark.parametrize("site", [None, "same-origin", "none"])
def test_requests_of_the_server_own_pages_and_of_scripts_go_through(server, figure, site):
    """Its own pages' requests, what the user typed or bookmarked (``none``), and clients
    that send no Sec-Fetch-Site at all (curl, scripts, older browsers)."""
    headers = {} if site is None else {**IMAGE_FROM, "Sec-Fetch-Site": site}
    for path in ["/1", "/1/download.png", "/js/mpl.js"]:
        assert get(f"http://127.0.0.1:{server.port}{path}", headers)[0] == 200, path


def test_another_site_allowed_by_its_origin_or_referer(figure):
    server = FigureServer(
        Settings(port=0, open_browser=False, token="", allowed_origins=("https://App.example",))
    )
    server.start()
    try:
        url = f"http://127.0.0.1:{server.port}/1/download.png"
        assert get(url, {**IMAGE_FROM, "Referer": "https://app.example/report?id=3"})[0] == 200
        assert get(url, {**IMAGE_FROM, "Origin": "https://app.example"})[0] == 200
        assert get(url, {**IMAGE_FROM, "Origin": "https://app.example:8443"})[0] == 403
        assert get(url, {**IMAGE_FROM, "Origin": "null"})[0] == 403
        assert get(url, IMAGE_FROM)[0] == 403  # a page with no-referrer says nothing
    finally:
        server.stop()


def test_another_site_link_with_the_token_goes_through(guarded):
    """A link that carries the token (webfig's launch page, a link in a mail) is the
    user's; a cookie never comes from another site (SameSite=Strict), and is no licence."""
    base = f"http://127.0.0.1:{guarded.port}"
    link = {
        "Sec-Fetch-Site": "cross-site",
        "Sec-Fetch-Mode": "navigate",
        "Sec-Fetch-Dest": "document",
    }
    status, headers, body = get(f"{base}/1?token={TOKEN}&dpi=2", link)
    # Not a redirect, which the browser would follow without the SameSite=Strict cookie:
    # a page of the server's own, which sends it on to the page without the token.
    assert status == 200
    assert b'<meta http-equiv="refresh" content="0; url=/1?dpi=2">' in body
    assert TOKEN.encode() not in body
    cookie = headers["Set-Cookie"].split(";")[0]
    assert cookie == f"{guarded.access.cookie_name}={TOKEN}"
    assert get(f"{base}/1?dpi=2", {"Cookie": cookie, "Sec-Fetch-Site": "same-origin"})[0] == 200
    status, _, body = get(f"{base}/1", {**link, "Cookie": cookie})
    assert status == 403
    assert b"Sec-Fetch-Site: cross-site" in body
    assert get(f"{base}/1?token=wrong", link)[0] == 403


def test_websocket_upgrades_from_another_site_are_refused(server, figure, caplog):
    """A page on another port of localhost: the same site, and another origin."""
    caplog.set_level(logging.WARNING, logger="tornado.access")
    socket_url = f"ws://127.0.0.1:{server.port}/1/ws"
    own = f"http://127.0.0.1:{server.port}"
    elsewhere = {"Origin": "http://127.0.0.1:9", "Sec-Fetch-Site": "same-site"}
    assert open_socket(socket_url, elsewhere) == 403
    assert open_socket(socket_url, {"Origin": own, "Sec-Fetch-Site": "same-origin"}) == 101
    [line] = access_lines(caplog)
    assert "Refused a request from a page of http://127.0.0.1:9 (Sec-Fetch-Site: same-site)" in line
