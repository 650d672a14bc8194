"""Fixtures for the browser tests: one headless Chromium for the folder, a context per page.

Every page records uncaught errors (``pageerror``) and console errors; a test whose pages
logged any fails at teardown, so client-side breakage never passes unnoticed.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import matplotlib as mpl
import pytest
import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from benchmarks.common import CHROMIUM, CHROMIUM_FLAGS
from webfig.runtime.event_loop import server_thread
from webfig.server import FigureServer

playwright_sync = pytest.importorskip("playwright.sync_api")

VIEWPORT = {"width": 1280, "height": 1000}


@pytest.fixture(scope="package")
def playwright() -> Iterator[Any]:
    # Package scope: Playwright's event loop is gone before tests outside this folder run.
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with playwright_sync.sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="package")
def browser(playwright: Any) -> Iterator[Any]:
    """One headless Chromium for every test of the folder."""
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS))
    yield chromium
    chromium.close()


@pytest.fixture
def serve_app() -> Iterator[Callable[[tornado.web.Application], str]]:
    """Serves a Tornado application on a free loopback port on webfig's server thread.

    Returns the base URL (no trailing slash). Stopped at teardown, after the pages.
    """
    servers: list[HTTPServer] = []

    def serve(app: tornado.web.Application) -> str:
        def listen() -> tuple[HTTPServer, int]:
            sockets = bind_sockets(0, "127.0.0.1")
            http = HTTPServer(app)
            http.add_sockets(sockets)
            return http, sockets[0].getsockname()[1]

        http, port = server_thread().run_sync(listen)
        servers.append(http)
        return f"http://127.0.0.1:{port}"

    yield serve
    thread = server_thread()
    for http in servers:
        thread.run_sync(http.stop)
        asyncio.run_coroutine_threadsafe(http.close_all_connections(), thread.loop).result(10)


class PageProblems:
    """The errors a page reported: uncaught exceptions and console errors."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, page: Any, name: str) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"{name}: pageerror: {error}"))
        page.on(
            "console",
            lambda message: (
                self.problems.append(f"{name}: console.error: {message.text} {message.location}")
                if message.type == "error"
                else None
            ),
        )


@pytest.fixture
def open_page(browser: Any, server: FigureServer, serve_app: Any) -> Iterator[Callable[..., Any]]:
    """A factory of pages, each in a new browser context, closed at teardown.

    ``open_page(path)`` loads ``path`` from the ``server`` fixture's webfig server (or a full
    URL as is) and returns the Playwright page once it has loaded; ``has_touch`` makes the
    browser a touch screen's (a coarse pointer, touch events). Pages that report errors
    fail the test at teardown.
    """
    contexts: list[Any] = []
    problems = PageProblems()

    def open_(
        path: str = "/1",
        *,
        device_scale_factor: float = 1,
        viewport: dict[str, int] | None = None,
        has_touch: bool = False,
    ) -> Any:
        url = path if "://" in path else server.url.rstrip("/") + path
        context = browser.new_context(
            device_scale_factor=device_scale_factor,
            viewport=viewport or VIEWPORT,
            accept_downloads=True,
            has_touch=has_touch,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        problems.watch(page, f"page {len(contexts)} ({url})")
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()
    if problems.problems:
        pytest.fail("the page reported errors:\n" + "\n".join(problems.problems), pytrace=False)


@pytest.fixture
def toolmanager(monkeypatch: pytest.MonkeyPatch) -> None:
    """Figures made from now on have matplotlib's ToolManager toolbar."""
    with warnings.catch_warnings():
        # matplotlib calls its tools experimental whenever the setting is made.
        warnings.filterwarnings("ignore", "Treat the new Tool classes", UserWarning)
        monkeypatch.setitem(mpl.rcParams, "toolbar", "toolmanager")
