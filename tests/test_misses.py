"""Requests webfig cannot answer as asked: its own 404 page for every path it does not know,
the slash a figure's address may end in, HEAD like GET, and one log line per bad request."""

from __future__ import annotations

import http.client
import logging

import matplotlib.pyplot as plt
import pytest
import tornado.web

from webfig.config import Settings
from webfig.runtime.event_loop import server_thread
from webfig.server import FigureServer, figure_routes

from .waiting import TIMEOUT

# What a browser asks for when it opens a page.
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
# A marker of webfig's error page (templates/error.html).
ERROR_PAGE = b'<div class="webfig-error" role="alert">'
TOKEN = "a-token-of-the-tests"


def request(
    server: FigureServer, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of one request, sent as it is; redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings (and worse) logged so far, the server's of the requests answered
    included: it logs a request just after answering it, on its thread."""
    server_thread().run_sync(lambda: None)
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.parametrize("path", ["/abc", "/-1", "/1/nope", "/1/download.png/", "/js", "/%ff"])
def test_a_path_webfig_does_not_know_gets_its_404_page(server, figure, path):
    plt.figure(num="Pressure <b>")
    status, headers, body = request(server, "GET", path, BROWSER)
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=UTF-8"
    assert ERROR_PAGE in body
    assert f"There is no page {path} here.".encode() in body
    # What there is instead: a link to each figure, and to all of them.
    assert b'<a href="/1">Figure 1</a>' in body
    assert b'<a href="/2">Pressure &lt;b&gt;</a>' in body
    assert b'<a class="webfig-nav-link" href="/">All figures</a>' in body


def test_a_script_gets_the_reason_as_text(server, figure):
    """A client that does not ask for HTML (a script, a fetch, an image) gets one line."""
    for path, reason in [
        ("/abc", b"There is no page /abc here.\n"),
        ("/99", b"There is no figure 99.\n"),
    ]:
        status, headers, body = request(server, "GET", path, {"Accept": "*/*"})
        assert status == 404
        assert headers["Content-Type"] == "text/plain; charset=utf-8"
        assert body == reason


def test_an_unknown_figure_page_lists_the_figures_there_are(server, figure):
    status, _, body = request(server, "GET", "/99", BROWSER)
    assert status == 404
    assert b"There is no figure 99." in body
    assert b'<a href="/1">Figure 1</a>' in body
    plt.close("all")
    _, _, body = request(server, "GET", "/99", BROWSER)
    assert b"No figure is open now" in body


def test_a_long_path_is_said_back_cut_short(server):
    path = "/" + "x" * 5000
    status, _, body = request(server, "GET", path, {"Accept": "*/*"})
    assert status == 404
    assert body == f"There is no page /{'x' * 99}... here.\n".encode()


def test_under_a_prefix_every_path_gets_webfigs_page(make_server, figure):
    """With the whole application webfig's, paths outside its prefix are its misses too."""
    server = make_server(prefix="/plots")
    for path in ["/plots/abc", "/plots/1/nope", "/", "/elsewhere"]:
        status, _, body = request(server, "GET", path, BROWSER)
        assert status == 404, path
        assert ERROR_PAGE in body, path
        assert f"There is no page {path} here.".encode() in body
        assert b'<a href="/plots/1">Figure 1</a>' in body
        assert b'href="/plots/">All figures</a>' in body


def test_mounted_routes_leave_the_host_applications_paths_alone(figure):
    """Mounted under a prefix, webfig answers every path under it, and no other; mounted
    without one, only its own (the host's routes may come after webfig's)."""

    class About(tornado.web.RequestHandler):
        def get(self) -> None:
            self.write("about the host app")

    for prefix in ["/figures", ""]:
        app = tornado.web.Application([*figure_routes(prefix), (r"/about", About)])
        server = FigureServer(Settings(port=0, open_browser=False), application=app)
        server.start()
        try:
            assert request(server, "GET", "/about")[2] == b"about the host app"
            assert request(server, "GET", f"{prefix}/1")[0] == 200
            miss = request(server, "GET", f"{prefix}/nope", BROWSER)
            elsewhere = request(server, "GET", "/nowhere", BROWSER)
        finally:
            server.stop()
        assert miss[0] == elsewhere[0] == 404
        # Under the prefix webfig's page; elsewhere the host application's (Tornado's).
        assert (ERROR_PAGE in miss[2]) == bool(prefix)
        assert ERROR_PAGE not in elsewhere[2]


@pytest.mark.parametrize(
    ("prefix", "path", "location"),
    [("", "/1/", "/1"), ("", "/1/?dpi=2", "/1?dpi=2"), ("/plots", "/plots/1/", "/plots/1")],
)
def test_a_figure_address_with_a_trailing_slash_redirects_to_the_figure(
    make_server, figure, prefix, path, location
):
    server = make_server(prefix=prefix)
    for method in ["GET", "HEAD"]:
        status, headers, _ = request(server, method, path)
        assert status == 301
        assert headers["Location"] == location


@pytest.mark.parametrize(
    ("path", "status"), [("/", 200), ("/1", 200), ("/1/fragment", 200), ("/abc", 404)]
)
def test_head_on_a_page_answers_as_get_without_the_body(server, figure, path, status):
    got_status, got, page = request(server, "GET", path, BROWSER)
    head_status, headers, body = request(server, "HEAD", path, BROWSER)
    assert head_status == got_status == status
    assert (ERROR_PAGE in page) == (status == 404)
    assert body == b""
    assert headers["Content-Type"] == got["Content-Type"] == "text/html; charset=UTF-8"
    assert int(headers["Content-Length"]) == len(page)


@pytest.mark.parametrize(
    "case",
    [
        ("/abc", 404, "There is no page /abc here."),
        ("/99", 404, "There is no figure 99."),
        ("/1/download.png?dpi=abc", 400, "dpi must be a number, not 'abc'."),
        ("/1/download.exe", 404, "Unknown format 'exe'"),
        ("/static/nope.css", 404, "Not Found"),
    ],
    ids=lambda case: case[0],
)
def test_a_bad_request_is_one_warning_saying_what_and_why(server, figure, caplog, case):
    path, status, reason = case
    caplog.set_level(logging.WARNING)
    assert request(server, "GET", path)[0] == status
    warnings = warnings_logged(caplog)
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"{status} GET {path} (127.0.0.1) "), warnings
    assert reason in warnings[0]


def test_a_request_without_the_token_is_one_warning_and_shows_no_figures(figure, caplog):
    server = FigureServer(Settings(port=0, open_browser=False, token=TOKEN))
    server.start()
    caplog.set_level(logging.WARNING)
    try:
        status, _, body = request(server, "GET", "/abc", BROWSER)
        token_warnings = warnings_logged(caplog)
        caplog.clear()
        wrong = request(server, "GET", "/1?token=not-the-token", BROWSER)[0]
        wrong_warnings = warnings_logged(caplog)
    finally:
        server.stop()
    assert status == wrong == 403
    assert ERROR_PAGE in body
    assert b"Figure 1" not in body
    assert len(token_warnings) == 1, token_warnings
    assert token_warnings[0].startswith("403 GET /abc (127.0.0.1) ")
    assert "This server needs its access token" in token_warnings[0]
    # A token in a logged address is not logged, the wrong ones neither.
    assert len(wrong_warnings) == 1, wrong_warnings
    assert wrong_warnings[0].startswith("403 GET /1?token=... (127.0.0.1) ")


def test_the_access_log_at_info_has_every_request_once_without_the_token(figure, caplog):
    server = FigureServer(Settings(port=0, open_browser=False, token=TOKEN))
    server.start()
    caplog.set_level(logging.INFO, logger="tornado.access")
    try:
        status, headers, _ = request(server, "GET", f"/1?token={TOKEN}")
        cookie = headers["Set-Cookie"].split(";")[0]
        request(server, "GET", "/1", {"Cookie": cookie})
        request(server, "GET", "/abc", {"Cookie": cookie})
        server_thread().run_sync(lambda: None)
    finally:
        server.stop()
    assert status == 302
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "tornado.access"]
    assert [(level, line.split(" (")[0]) for level, line in lines] == [
        ("INFO", "302 GET /1?token=..."),
        ("INFO", "200 GET /1"),
        ("WARNING", "404 GET /abc"),
    ]
    assert not any(TOKEN in line for _, line in lines)
