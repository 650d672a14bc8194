"""A pan drag through a slow link (10 Mbit/s, 25 ms each way): webfig's client gets lossy
frames while it drags, and is left with exactly Agg's picture once the drag ends."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest

from benchmarks.slow_link import SlowLink
from webfig.frames.encoder import RECT_FRAME_MAGIC
from webfig.server import FigureServer

from ..waiting import TIMEOUT
from .helpers import FigureOnPage, Point, agg_pixels, drag, on_server


class LinkThread:
    """A :class:`SlowLink` to ``server`` on an event loop of its own thread."""

    def __init__(self, server: FigureServer) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.link = SlowLink(server.port, rate=10e6, delay=0.025)
        self._call(self.link.__aenter__())

    def _call(self, awaitable: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(awaitable, self._loop).result(TIMEOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.link.port}"

    def close(self) -> None:
        self._call(self.link.__aexit__(None, None, None))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(TIMEOUT)
        self._loop.close()


@pytest.fixture
def slow_link(server: FigureServer) -> Iterator[LinkThread]:
    link = LinkThread(server)
    yield link
    link.close()


def noisy_figure():
    """Two 2000-point noisy lines and a grid: some 100 kB a frame at pixel ratio 2."""
    figure, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    x = np.linspace(0, 20, 2000)
    rng = np.random.default_rng(0)
    ax.plot(x, np.sin(x) + 0.1 * rng.standard_normal(x.size), x, np.cos(x))
    ax.grid(True)
    ax.set_xlim(0, 10)
    return figure, ax


def is_lossy_frame(payload: Any) -> bool:
    return (
        isinstance(payload, bytes)
        and payload.startswith(RECT_FRAME_MAGIC)
        and b"WEBPVP8 " in payload
    )


def test_a_drag_over_a_slow_link_is_lossy_then_exactly_aggs(
    open_page: Any, slow_link: LinkThread
) -> None:
    figure, ax = noisy_figure()
    payloads: list[Any] = []
    page = open_page(f"{slow_link.url}/{figure.number}", device_scale_factor=2)
    # Watching from the reload on, so the socket is seen from its start. (A lambda: Playwright
    # tags its handlers, which a built-in method cannot carry.)
    record = lambda payload: payloads.append(payload)  # noqa: E731, PLW0108
    page.on("websocket", lambda socket: socket.on("framereceived", record))
    page.reload()
    view = FigureOnPage(page, figure.number)
    view.wait_ready(timeout=2 * TIMEOUT)
    view.tool("pan").click()

    start = view.axes_point(figure, ax, 0.5, 0.5)
    drag(page, start, Point(start.x - 200, start.y + 30), steps=40)

    assert any(is_lossy_frame(payload) for payload in payloads), "no lossy frame was sent"
    assert on_server(ax.get_xlim) != (0, 10), "the drag did not pan"
    view.wait_pixels(
        lambda pixels: np.array_equal(pixels, agg_pixels(figure)),
        "the canvas to show exactly Agg's picture",
        timeout=2 * TIMEOUT,
    )
