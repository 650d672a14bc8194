"""webfig behind nginx: under a path prefix, over TLS, websockets included.

A real nginx (Debian's, which ``scripts/test.sh`` installs) runs on a free loopback port with
a self-signed certificate made at test time, in front of a webfig server under ``/plots``.
Its configuration is the one ``docs/reverse-proxy.md`` documents.
"""

from __future__ import annotations

import asyncio
import grp
import json
import os
import pwd
import re
import shutil
import socket
import ssl
import string
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, Response, expect
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from webfig.config import Settings
from webfig.server import FigureServer

from .conftest import VIEWPORT, PageProblems
from .helpers import (
    RED,
    TIMEOUT,
    TIMEOUT_MS,
    FigureOnPage,
    agg_pixels,
    colour_count,
    is_painted,
    line_figure,
    pan_drag_and_check,
    wait_until,
)

pytestmark = pytest.mark.browser

PREFIX = "/plots"
DOC = Path(__file__).parents[2] / "docs" / "reverse-proxy.md"
# The port webfig listens on in the documented configuration.
DOCUMENTED_UPSTREAM = "127.0.0.1:8988"


class _Template(string.Template):
    # nginx's own variables start with "$".
    delimiter = "%"


# The parts of the configuration that docs/reverse-proxy.md documents, word for word.
UPGRADE_MAP = """\
map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
}
"""

LOCATION = """\
location /plots/ {
    proxy_pass http://%upstream;
    proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-Host $http_host;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_read_timeout 1h;
    proxy_buffering off;
}
"""

# Everything else keeps nginx inside the test's directory: pid file, logs, temp files.
CONFIG = _Template(
    """\
%user
worker_processes 1;
pid %dir/nginx.pid;
error_log %dir/error.log info;

events {
    worker_connections 64;
}

http {
    access_log %dir/access.log;
    client_body_temp_path %dir/client_body;
    proxy_temp_path %dir/proxy;
    fastcgi_temp_path %dir/fastcgi;
    uwsgi_temp_path %dir/uwsgi;
    scgi_temp_path %dir/scgi;

%upgrade_map
    server {
        listen 127.0.0.1:%port ssl;
        server_name localhost;
        ssl_certificate %certificate;
        ssl_certificate_key %key;

%location    }
}
"""
)


def indent(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line if line.strip() else line for line in text.splitlines(True))


def find_program(name: str) -> str:
    """The path of ``name`` (also in /usr/sbin, off a normal user's PATH); fails if missing."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(
            f"{name} is not installed: scripts/test.sh installs it (apt-get install {name})",
            pytrace=False,
        )
    return path


@dataclass(frozen=True)
class Certificate:
    certificate: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this certificate alone."""
        return ssl.create_default_context(cafile=str(self.certificate))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for localhost and 127.0.0.1, valid for a day."""
    directory = tmp_path_factory.mktemp("tls")
    made = Certificate(directory / "localhost.pem", directory / "localhost.key")
    result = subprocess.run(
        [
            find_program("openssl"),
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-days",
            "1",
            "-keyout",
            str(made.key),
            "-out",
            str(made.certificate),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"openssl failed: {result.stderr}"
    return made


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Nginx:
    """An nginx process of the test's own, in the foreground, with everything in ``directory``."""

    def __init__(self, directory: Path, certificate: Certificate, upstream: str) -> None:
        self.directory = directory
        self.binary = find_program("nginx")
        self.certificate = certificate
        self.upstream = upstream
        self.port = 0
        self.process: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        """The prefix's URL through nginx, without a trailing slash."""
        return f"https://localhost:{self.port}{PREFIX}"

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.port}"

    def config(self, port: int) -> str:
        # The "user" directive only applies (and is only allowed quietly) when run as root;
        # then the workers run as root too, so they can reach pytest's private directories.
        user = (
            f"user {pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name};"
            if os.getuid() == 0
            else ""
        )
        return CONFIG.substitute(
            user=user,
            dir=self.directory,
            port=port,
            certificate=self.certificate.certificate,
            key=self.certificate.key,
            upgrade_map=indent(UPGRADE_MAP, 4),
            location=indent(_Template(LOCATION).substitute(upstream=self.upstream), 8),
        )

    def start(self) -> None:
        """Start on a free port; another process may take the port first, so retry then."""
        for _ in range(5):
            port = free_port()
            process = self._launch(port)
            if process.poll() is None:
                self.process, self.port = process, port
                return
            _, errors = process.communicate()
            if "Address already in use" not in errors + self.log():
                pytest.fail(f"nginx did not start: {errors}\n{self.log()}", pytrace=False)
        pytest.fail(f"nginx found no free port: {self.log()}", pytrace=False)

    def _launch(self, port: int) -> subprocess.Popen[str]:
        """nginx on ``port``, once it listens there or has exited."""
        conf = self.directory / "nginx.conf"
        conf.write_text(self.config(port))
        process = subprocess.Popen(
            [
                self.binary,
                "-p",
                f"{self.directory}/",
                "-c",
                str(conf),
                "-e",
                str(self.directory / "error.log"),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_until(
            lambda: process.poll() is not None or accepts_connections(port),
            message=lambda: f"nginx to listen on port {port}: {self.log()}",
        )
        return process

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()  # a fast shutdown; the workers stop with the master
        try:
            self.process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
        self.process = None

    def log(self) -> str:
        log = self.directory / "error.log"
        return log.read_text(errors="replace") if log.exists() else "(no error log)"


@pytest.fixture
def webfig_server(request: pytest.FixtureRequest) -> Iterator[FigureServer]:
    """webfig under the prefix, on a free loopback port: nginx passes paths unchanged.

    Parametrize it (indirectly) with a token to have the server require one.
    """
    token: str = getattr(request, "param", "")  # "": no token
    settings = Settings(
        url_prefix=PREFIX, port=0, address="127.0.0.1", open_browser=False, token=token
    )
    server = FigureServer(settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def nginx(tmp_path: Path, certificate: Certificate, webfig_server: FigureServer) -> Iterator[Nginx]:
    directory = tmp_path / "nginx"
    directory.mkdir()
    proxy = Nginx(directory, certificate, f"127.0.0.1:{webfig_server.port}")
    proxy.start()
    yield proxy
    proxy.stop()


@dataclass
class LoadedPage:
    page: Page
    response: Response | None
    sockets: list[str] = field(default_factory=list)


class ProxyPages:
    """Opens pages through nginx, in browser contexts that accept its self-signed certificate.

    Called like the ``open_page`` fixture (a path under the prefix, or a full URL), so that
    :meth:`FigureOnPage.shown` works with it.
    """

    def __init__(self, browser: Browser, nginx: Nginx) -> None:
        self.browser = browser
        self.nginx = nginx
        self.loaded: list[LoadedPage] = []
        self.problems = PageProblems()
        self._contexts: list[Any] = []

    def __call__(self, path: str = "/1", *, device_scale_factor: float = 1) -> Page:
        url = path if "://" in path else self.nginx.base_url + path
        context = self.browser.new_context(
            ignore_https_errors=True,
            device_scale_factor=device_scale_factor,
            viewport=VIEWPORT,
            accept_downloads=True,
        )
        self._contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        self.problems.watch(page, f"page {len(self._contexts)} ({url})")
        loaded = LoadedPage(page, None)
        page.on("websocket", lambda socket: loaded.sockets.append(socket.url))
        loaded.response = page.goto(url)
        self.loaded.append(loaded)
        return page

    def of(self, page: Page) -> LoadedPage:
        return next(loaded for loaded in self.loaded if loaded.page is page)

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture
def proxy_pages(browser: Browser, nginx: Nginx) -> Iterator[ProxyPages]:
    pages = ProxyPages(browser, nginx)
    yield pages
    pages.close()
    if pages.problems.problems:
        pytest.fail(
            "the page reported errors:\n" + "\n".join(pages.problems.problems), pytrace=False
        )


def shows_agg(view: FigureOnPage, figure: Any) -> bool:
    return np.array_equal(view.pixels(), agg_pixels(figure))


def test_a_figure_is_served_through_nginx_over_tls(proxy_pages: ProxyPages, nginx: Nginx) -> None:
    figure, _, _ = line_figure("Behind nginx")
    view = FigureOnPage.shown(proxy_pages, figure)
    page = view.page
    loaded = proxy_pages.of(page)

    # The page came from nginx, over TLS, with the certificate made for the test.
    assert page.url == f"{nginx.base_url}/{figure.number}"
    assert loaded.response is not None
    assert loaded.response.status == 200
    assert loaded.response.headers["server"].startswith("nginx")
    details = loaded.response.security_details()
    assert details is not None
    assert details.get("subjectName") == "localhost"
    expect(view.title).to_have_text("Behind nginx")

    # The client opened the figure's socket with wss://, through nginx, under the prefix
    # (and any other socket of the page the same way).
    assert f"wss://localhost:{nginx.port}{PREFIX}/{figure.number}/ws" in loaded.sockets
    assert all(url.startswith(f"wss://localhost:{nginx.port}{PREFIX}/") for url in loaded.sockets)

    # Frames travel through the proxy intact: the canvas shows exactly what Agg drew.
    view.wait_pixels(lambda p: colour_count(p, RED) > 2000, "the red line")
    assert is_painted(agg_pixels(figure))
    wait_until(
        lambda: shows_agg(view, figure), page=page, message="the canvas to equal Agg's buffer"
    )
    # The equality is to the pixel, not approximate: check it can tell figures apart.
    assert not np.array_equal(view.pixels()[:, ::-1], agg_pixels(figure))


def test_panning_through_nginx_moves_the_view(proxy_pages: ProxyPages) -> None:
    figure, ax, _ = line_figure()
    view = FigureOnPage.shown(proxy_pages, figure)
    page = view.page
    wait_until(lambda: shows_agg(view, figure), page=page, message="the first picture")
    pixels_before = view.pixels()
    view.tool("pan").click()
    expect(view.tool("pan")).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT_MS)
    # The pointer events reached the server through nginx: the view moved as dragged.
    pan_drag_and_check(view, figure, ax)
    # And the new picture came back: the canvas shows Agg's drawing of the moved view.
    wait_until(
        lambda: shows_agg(view, figure), page=page, message="the canvas to equal Agg's buffer"
    )
    assert not np.array_equal(agg_pixels(figure), pixels_before)


def test_a_download_through_nginx_has_the_servers_bytes(
    proxy_pages: ProxyPages, nginx: Nginx, webfig_server: FigureServer
) -> None:
    figure, _, _ = line_figure("Proxied download")
    view = FigureOnPage.shown(proxy_pages, figure)

    view.format.select_option("png")
    with view.page.expect_download() as info:
        view.tool("download").click()
    saved = info.value
    assert saved.failure() is None, saved.failure()
    assert saved.url == f"{nginx.base_url}/{figure.number}/download.png"
    assert saved.suggested_filename == "Proxied_download.png"

    # The same file straight from webfig, bypassing nginx: PNGs of one figure are identical.
    with urllib.request.urlopen(f"{webfig_server.url}{figure.number}/download.png") as direct:
        expected = direct.read()
    assert expected.startswith(b"\x89PNG\r\n\x1a\n")
    assert Path(saved.path()).read_bytes() == expected


async def _handshake(url: str, headers: dict[str, str], context: ssl.SSLContext) -> int | bytes:
    """Open a websocket as a viewer: the refusing status, or the first frame received."""
    request = HTTPRequest(url, headers=headers, ssl_options=context, request_timeout=TIMEOUT)
    try:
        connection = await websocket_connect(request)
    except HTTPClientError as error:
        return error.code
    try:
        for message in (
            {"type": "supports_binary", "value": True},
            {"type": "send_image_mode"},
            {"type": "set_device_pixel_ratio", "device_pixel_ratio": 1},
            {"type": "refresh"},
        ):
            await connection.write_message(json.dumps({**message, "figure_id": 1}))
        while True:
            received = await connection.read_message()
            assert received is not None, "the server closed the socket"
            if isinstance(received, bytes):
                return received
    finally:
        connection.close()
        # Wait for the close handshake, so the socket is gone before the loop is.
        while await connection.read_message() is not None:
            pass


def handshake(url: str, headers: dict[str, str], certificate: Certificate) -> int | bytes:
    """:func:`_handshake`, on a thread of its own: Playwright's event loop may be running
    on this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(
            lambda: asyncio.run(
                asyncio.wait_for(_handshake(url, headers, certificate.client_context()), TIMEOUT)
            )
        ).result()


@pytest.mark.parametrize(
    ("origin", "fetch_site", "accepted"),
    [
        # A page on another site: refused whether or not the browser says it is cross-site.
        ("https://evil.example", None, False),
        ("https://evil.example", "cross-site", False),
        # webfig's own page. Only X-Forwarded-Host shows that its origin is the host the
        # browser asked for: nginx sends Host without the port. (Chromium sends no
        # Sec-Fetch-Site with a websocket handshake, so this is the browsers' case too.)
        ("page", None, True),
    ],
)
def test_websocket_origin_check_through_nginx(
    nginx: Nginx,
    certificate: Certificate,
    origin: str,
    fetch_site: str | None,
    accepted: bool,
) -> None:
    figure, _, _ = line_figure()
    headers = {"Origin": nginx.origin if origin == "page" else origin}
    if fetch_site is not None:
        headers["Sec-Fetch-Site"] = fetch_site
    url = f"wss://localhost:{nginx.port}{PREFIX}/{figure.number}/ws"

    result = handshake(url, headers, certificate)

    if accepted:
        assert isinstance(result, bytes), f"the handshake was refused with {result}"
        assert len(result) > 0
    else:
        assert result == 403


def test_without_a_token_other_host_names_are_refused(
    nginx: Nginx, certificate: Certificate
) -> None:
    """Why the documentation asks for WEBFIG_TOKEN behind a proxy: with no token, webfig on
    loopback answers only to localhost, and nginx passes on the name the browser used."""
    figure, _, _ = line_figure()
    url = f"{nginx.base_url}/{figure.number}"
    context = certificate.client_context()
    with urllib.request.urlopen(url, context=context) as page:
        assert page.status == 200

    request = urllib.request.Request(url, headers={"Host": "plots.example.org"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, context=context)
    body = refused.value.read().decode()
    refused.value.close()
    assert refused.value.code == 403
    assert "WEBFIG_TOKEN" in body


TOKEN = "proxy-test-token-1234"


@pytest.mark.parametrize("webfig_server", [TOKEN], indirect=True)
def test_a_server_with_a_token_works_through_nginx(
    proxy_pages: ProxyPages, nginx: Nginx, certificate: Certificate
) -> None:
    figure, _, _ = line_figure("Private")
    page_url = f"{nginx.base_url}/{figure.number}"
    socket_url = f"wss://localhost:{nginx.port}{PREFIX}/{figure.number}/ws"

    # Without the token, neither the page nor its socket is served.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(page_url, context=certificate.client_context())
    refused.value.close()
    assert refused.value.code == 403
    assert handshake(socket_url, {"Origin": nginx.origin}, certificate) == 403

    # With it once, in the query: the page drops it from its address and keeps it in a
    # cookie, which its socket carries through nginx.
    page = proxy_pages(f"{page_url}?token={TOKEN}")
    view = FigureOnPage(page, figure.number)
    view.wait_ready()
    assert page.url == page_url
    wait_until(
        lambda: shows_agg(view, figure), page=page, message="the canvas to equal Agg's buffer"
    )

    # A client that is not a browser may give the token in the socket's URL instead.
    frame = handshake(f"{socket_url}?token={TOKEN}", {"Origin": nginx.origin}, certificate)
    assert isinstance(frame, bytes), f"the handshake was refused with {frame}"


def test_the_documented_configuration_is_the_tested_one() -> None:
    """docs/reverse-proxy.md shows the map and location blocks this module runs nginx with."""

    def normalised(text: str) -> str:
        lines = (re.sub(r"\s+#.*$|^\s*#.*$", "", line).strip() for line in text.splitlines())
        return "\n".join(line for line in lines if line)

    blocks = re.findall(r"```nginx\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    documented = normalised("\n".join(blocks))
    assert normalised(UPGRADE_MAP) in documented
    assert normalised(_Template(LOCATION).substitute(upstream=DOCUMENTED_UPSTREAM)) in documented
