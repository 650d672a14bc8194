"""The token and the other-site rule as Chromium meets them: the tab webfig opens reaches the
figures through its private launch page, and another site's page cannot make the browser
fetch a download."""

from __future__ import annotations

import logging
from html import escape
from typing import Any
from urllib.parse import urlencode

import pytest
import tornado.web

from webfig.config import Settings
from webfig.runtime.event_loop import server_thread
from webfig.server import FigureServer

from ..waiting import wait_until
from .helpers import FigureOnPage, line_figure

pytestmark = pytest.mark.browser


def test_the_tab_webfig_opens_reaches_the_figures_with_the_token(
    open_page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    figure, _, _ = line_figure("Launched")
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    server = FigureServer(Settings(port=0, open_browser=True))
    server.ensure_started()
    try:
        wait_until(lambda: opened, message="a browser tab to be opened")
        token = server.access.token
        assert token is not None
        assert token not in opened[0]
        page = open_page(opened[0])  # the private file: it sends the tab on, token and all
        # The token went into the cookie, and out of the address.
        page.wait_for_url(f"http://127.0.0.1:{server.port}/")
        FigureOnPage(page, figure.number).wait_ready()
    finally:
        server.stop()


class Elsewhere(tornado.web.RequestHandler):
    """A page of another site with an image from webfig (``?image=``): a download it wants
    made."""

    def get(self) -> None:
        image = self.get_argument("image")
        self.write(f'<!doctype html><title>elsewhere</title><img src="{escape(image)}">')


def image_loaded(browser: Any, url: str) -> bool:
    """Whether the image of the page at ``url`` loads (in a context of its own: no
    cookies; the failed loads are expected, so the page is not watched for errors)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("document.querySelector('img').complete")
        width: int = page.evaluate("document.querySelector('img').naturalWidth")
        return width > 0
    finally:
        context.close()


def downloads(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The access lines of downloads (the other site has none of its own)."""
    server_thread().run_sync(lambda: None)
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "tornado.access" and "/1/download.png" in r.getMessage()
    ]


def test_another_sites_image_makes_no_download(
    browser: Any, server: FigureServer, serve_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """From ``localhost:<port>``, another site, and from ``127.0.0.1:<port>``, the same site
    on another port: refused, one line each. From an allowed origin, the image loads (so a
    refused one is refused for that reason alone)."""
    line_figure("Expensive")
    caplog.set_level(logging.INFO, logger="tornado.access")
    elsewhere = serve_app(tornado.web.Application([(r"/", Elsewhere)]))
    cross_site = elsewhere.replace("127.0.0.1", "localhost")

    def page_with(server: FigureServer) -> str:
        image = f"http://127.0.0.1:{server.port}/1/download.png?dpi=40"
        return "/?" + urlencode({"image": image})

    assert not image_loaded(browser, cross_site + page_with(server))
    assert not image_loaded(browser, elsewhere + page_with(server))
    lines = downloads(caplog)
    assert [line.split(" (")[0] for line in lines] == ["403 GET /1/download.png?dpi=40"] * 2
    assert "Sec-Fetch-Site: cross-site" in lines[0]
    assert "Sec-Fetch-Site: same-site" in lines[1]

    allowing = FigureServer(
        Settings(port=0, open_browser=False, token="", allowed_origins=(cross_site,))
    )
    allowing.start()
    try:
        assert image_loaded(browser, cross_site + page_with(allowing))
    finally:
        allowing.stop()
    assert downloads(caplog)[2].startswith("200 GET /1/download.png?dpi=40")
