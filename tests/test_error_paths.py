"""What fails, and what cannot be read: a 5xx is answered with an error id and logged once
with it, never with an exception's text; a query that does not decode is a 400; a figure
that keeps failing on its own thread is one error per kind of failure."""

from __future__ import annotations

import logging
import re

import pytest
import tornado.web

from webfig.config import Settings
from webfig.runtime.event_loop import server_thread
from webfig.server import FigureServer, figure_routes
from webfig.server.handlers.guard import FigureHandler, log_request
from webfig.server.registry import PyplotFigures
from webfig.wire.interfaces import ServedFigure

from .test_access import get, open_socket

# What an exception's text may hold, which no client may see.
SECRET = "/home/alice/thesis/data.csv"
ERROR_ID = re.compile(r"\(error id ([0-9a-f]{8})\)")
TOKEN = "a-token-of-the-tests"


class BrokenRegistry(PyplotFigures):
    """A registry that fails when asked for its figures (a bug, say)."""

    def figures(self) -> list[ServedFigure]:
        raise RuntimeError(f"cannot read {SECRET}")


class Failing(FigureHandler):
    """``/fail/<how>``: a handler of webfig's kind that fails as it is told."""

    def get(self, how: str) -> None:
        if how == "unavailable":
            raise tornado.web.HTTPError(503, "The figure is busy; try again.")
        try:
            raise OSError(f"disk full writing {SECRET}")
        except OSError as error:
            if how == "chained":
                raise tornado.web.HTTPError(500, "Saving the figure failed.") from error
            raise


def serve(**settings: object) -> FigureServer:
    app = tornado.web.Application(
        [(r"/fail/(\w+)", Failing, {"figures": PyplotFigures()}), *figure_routes()], **settings
    )
    server = FigureServer(Settings(port=0, open_browser=False, token=""), application=app)
    server.start()
    return server


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    server_thread().run_sync(lambda: None)  # the access line comes just after the answer
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("accept", ["*/*", "text/html"])
def test_a_failure_is_answered_with_its_error_id_and_none_of_its_text(
    make_server, figure, caplog, accept
):
    server = make_server(figures=BrokenRegistry())
    status, headers, body = get(f"http://127.0.0.1:{server.port}/", {"Accept": accept})
    assert status == 500
    text = body.decode()
    assert SECRET not in text
    assert "RuntimeError" not in text
    match = ERROR_ID.search(text)
    assert match is not None, text
    if accept == "*/*":
        assert text == f"500 Internal Server Error (error id {match[1]})\n"
    else:
        assert headers["Content-Type"] == "text/html; charset=UTF-8"
        assert '<p class="webfig-error-code">500</p>' in text
        assert "The log of the script that serves these figures says what went wrong" in text
    # Logged once: the access line, with the id and the traceback.
    [record] = errors_logged(caplog)
    assert record.getMessage().startswith("500 GET / (127.0.0.1) ")
    assert record.getMessage().endswith(f"Internal Server Error (error id {match[1]})")
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError


def test_an_http_error_of_5xx_says_its_message_and_its_id(figure, caplog):
    server = serve(log_function=log_request)
    try:
        base = f"http://127.0.0.1:{server.port}/fail"
        unavailable = get(f"{base}/unavailable")
        chained = get(f"{base}/chained")
    finally:
        server.stop()
    assert unavailable[0] == 503
    assert re.fullmatch(
        r"The figure is busy; try again\. \(error id [0-9a-f]{8}\)\n", unavailable[2].decode()
    )
    assert chained[0] == 500
    assert re.fullmatch(
        r"Saving the figure failed\. \(error id [0-9a-f]{8}\)\n", chained[2].decode()
    )
    assert SECRET.encode() not in chained[2]
    first, second = errors_logged(caplog)
    assert ERROR_ID.search(first.getMessage())[1] == ERROR_ID.search(unavailable[2].decode())[1]
    assert first.exc_info is None  # raised on purpose: its message says it all
    # What it was raised from is in the log, with its traceback.
    assert ERROR_ID.search(second.getMessage())[1] == ERROR_ID.search(chained[2].decode())[1]
    assert second.exc_info is not None
    assert isinstance(second.exc_info[1].__cause__, OSError)


def test_in_a_host_application_a_failure_is_still_logged_once_with_its_id(figure, caplog):
    """Without webfig's log_function: Tornado's access line, and webfig's one record of the
    failure (not Tornado's, which would show the token of the URL)."""
    server = serve()
    try:
        status, _, body = get(f"http://127.0.0.1:{server.port}/fail/crash?token=abcdefghij")
    finally:
        server.stop()
    assert status == 500
    error_id = ERROR_ID.search(body.decode())[1]
    tracebacks = [r for r in errors_logged(caplog) if r.exc_info is not None]
    assert len(tracebacks) == 1, tracebacks
    assert tracebacks[0].name == "webfig.server.handlers.guard"
    assert tracebacks[0].getMessage() == (
        f"GET /fail/crash?token=... (127.0.0.1) failed (error id {error_id}): OSError"
    )
    assert not [r for r in caplog.records if "abcdefghij" in r.getMessage()]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/1?x=%ff", "x"),
        ("/?%ff=1", "\ufffd"),
        ("/1/fragment?x=caf%e9", "x"),
        ("/1/download.png?dpi=%ff", "dpi"),
        ("/js/mpl.js?v=%ff", "v"),
    ],
)
def test_a_query_that_does_not_decode_is_a_400_saying_so(server, figure, caplog, path, parameter):
    caplog.set_level(logging.WARNING)
    status, _, body = get(f"http://127.0.0.1:{server.port}{path}")
    assert status == 400
    assert body.decode() == f"The query is not valid UTF-8 (the parameter {parameter!r}).\n"
    server_thread().run_sync(lambda: None)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"400 GET {path} (127.0.0.1) ")


def test_a_socket_with_a_query_that_does_not_decode_is_a_400(server, figure):
    assert open_socket(f"ws://127.0.0.1:{server.port}/1/ws?x=%ff", {}) == 400


def test_the_token_leaves_the_address_with_the_rest_of_the_query_as_it_came(figure):
    """Once a 500 (a query value that was not UTF-8 met .decode()); a name that is not ASCII
    keeps its bytes."""
    server = FigureServer(Settings(port=0, open_browser=False, token=TOKEN))
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        bad = get(f"{base}/1?token={TOKEN}&x=%ff")
        status, headers, _ = get(f"{base}/1?token={TOKEN}&%C3%A9t%C3%A9=caf%C3%A9")
    finally:
        server.stop()
    assert bad[0] == 400
    assert status == 302
    assert headers["Location"] == "/1?%C3%A9t%C3%A9=caf%C3%A9"


def test_a_callback_that_keeps_failing_is_one_error_per_kind(server, connect, figure, caplog):
    """On the figure's thread, as once on the event loop: the first failure of each kind
    with its traceback, the rest at debug level, whatever their messages."""
    clicks: list[int] = []

    def on_click(event: object) -> None:
        clicks.append(1)
        raise ValueError(f"click {len(clicks)} went wrong")

    def on_key(event: object) -> None:
        raise KeyError("no such key")

    figure.canvas.mpl_connect("button_press_event", on_click)
    figure.canvas.mpl_connect("key_press_event", on_key)
    caplog.set_level(logging.DEBUG, logger="webfig.runtime.figure_thread")
    client = connect(server, 1)
    client.receive_frame()
    for _ in range(3):
        client.send("button_press", x=200, y=150, button=0, buttons=1)
        client.send("button_release", x=200, y=150, button=0, buttons=0)
    client.send("key_press", key="ka")
    client.sync()
    records = [r for r in caplog.records if r.name == "webfig.runtime.figure_thread"]
    assert [(r.levelno, bool(r.exc_info)) for r in records] == [
        (logging.ERROR, True),
        (logging.DEBUG, False),
        (logging.DEBUG, False),
        (logging.ERROR, True),
    ]
    assert "click 1 went wrong" in records[0].getMessage()
    assert "click 3 went wrong" in records[2].getMessage()
    assert records[3].exc_info[0] is KeyError
    assert len(clicks) == 3  # and the figure went on handling each one
