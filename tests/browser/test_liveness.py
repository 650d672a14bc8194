"""A path that dies without closing (through a proxy that stops forwarding) is noticed on
both ends: the page reconnects by itself, the server lets the dead viewer go."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from webfig.server import FigureServer
from webfig.server import routes as webfig_routes
from webfig.server.handlers import sockets as webfig_sockets

from ..blackhole import BlackholeProxy
from .helpers import FigureOnPage, agg_pixels, line_figure, on_server, wait_until

pytestmark = pytest.mark.browser


def test_a_silently_dead_path_is_noticed_and_the_page_comes_back(
    open_page: Callable[..., Any],
    make_server: Callable[..., FigureServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Short intervals, so the test takes seconds (by default: a heartbeat every 5 s, given up
    # after 12.5 s; pings every 10 s, each given up after 10 s).
    monkeypatch.setattr(webfig_sockets, "HEARTBEAT_INTERVAL", 0.4)
    monkeypatch.setattr(webfig_routes, "PING_INTERVAL", 1.0)
    monkeypatch.setattr(webfig_routes, "PING_TIMEOUT", 1.0)
    server = make_server()
    figure, _, line = line_figure("Through a proxy")
    manager = figure.canvas.manager
    with BlackholeProxy(server.port) as proxy:
        page = open_page(f"http://127.0.0.1:{proxy.port}/{figure.number}")
        sockets: list[str] = []
        page.on("websocket", lambda socket: sockets.append(socket.url))
        view = FigureOnPage(page, figure.number)
        view.wait_ready()
        wait_until(lambda: manager.viewer_count == 1, message="one viewer")
        # The first socket may have opened before the listener was attached.
        opened = len(sockets)
        assert opened <= 1

        proxy.kill_paths()

        def turn_blue() -> None:
            line.set_color("#0000ff")
            figure.canvas.draw_idle()

        on_server(turn_blue)
        # The page hears no heartbeat, drops the socket and opens a new one, which works.
        wait_until(lambda: len(sockets) == opened + 1, page=page, message="a new socket")
        expect(view.root).to_have_attribute("data-state", "open")
        view.wait_pixels(
            lambda pixels: np.array_equal(pixels, agg_pixels(figure)), "the blue picture"
        )
        # The server's pings go unanswered on the dead path: it lets that viewer go.
        wait_until(lambda: manager.viewer_count == 1, message="the dead viewer to be let go")
