"""A dropped socket comes back by itself, and the page shows it; a stopped server is said to
be, and its figures come back when it runs again; a closed figure stays closed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from webfig.backend import FigureManagerWebfig
from webfig.server import FigureServer

from .conftest import VIEWPORT, PageProblems
from .helpers import (
    BLUE,
    RED,
    TIMEOUT_MS,
    FigureOnPage,
    Point,
    agg_pixels,
    colour_count,
    drag,
    line_figure,
    on_server,
    wait_until,
    xlim,
)

pytestmark = pytest.mark.browser

# Chromium logs each refused attempt to reach a stopped server; these are the point here.
REFUSED = re.compile(r"WebSocket connection to '\S+' failed: .*ERR_CONNECTION_REFUSED")
STOPPED_TEXT = "Run the script again to bring the figure back."

# Records when the page creates each websocket, on the page's clock (ms).
RECORD_SOCKETS = """
window.socketTimes = []
window.WebSocket = class extends WebSocket {
  constructor(...args) {
    super(...args)
    window.socketTimes.push(performance.now())
  }
}
"""


@pytest.fixture
def open_url(browser: Any) -> Iterator[Callable[..., Page]]:
    """Like ``open_page``, for full URLs, where refused reconnection attempts are no error."""
    contexts: list[Any] = []
    problems = PageProblems()

    def open_(url: str, *, init_script: str | None = None) -> Page:
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        problems.watch(page, url)
        if init_script:
            page.add_init_script(init_script)
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()
    unexpected = [problem for problem in problems.problems if not REFUSED.search(problem)]
    if unexpected:
        pytest.fail("the page reported errors:\n" + "\n".join(unexpected), pytrace=False)


def badge(view: FigureOnPage) -> Any:
    return view.root.locator(".webfig-connection")


def socket_times(page: Page) -> list[float]:
    times: list[float] = page.evaluate("window.socketTimes")
    return times


def test_a_stopped_server_is_said_to_be_and_its_figure_comes_back_when_it_runs_again(
    open_url: Callable[..., Page], make_server: Callable[..., FigureServer]
) -> None:
    figure, ax, line = line_figure("Restarted")
    first = make_server()
    port = first.port
    assert port is not None
    page = open_url(f"{first.url}{figure.number}")
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    view = FigureOnPage(page, figure.number)
    view.wait_ready()
    before = view.wait_pixels(
        lambda pixels: np.array_equal(pixels, agg_pixels(figure)), "the red picture"
    )
    expect(badge(view)).to_be_hidden()
    opened = len(sockets)

    first.stop()
    expect(view.root).to_have_attribute("data-state", "stopped")
    expect(badge(view)).to_be_visible()
    expect(badge(view)).to_have_text("Server stopped")
    expect(view.status).to_have_text(STOPPED_TEXT)
    # Nothing that needs the server can be pressed, download included.
    expect(view.tool("download")).to_be_disabled()
    expect(view.format).to_be_disabled()
    expect(view.tool("pan")).to_be_disabled()
    # It keeps trying while the server is down, quietly (no countdown after a failed attempt),
    # and keeps its last picture meanwhile.
    wait_until(lambda: len(sockets) > opened, page=page, message="an attempt to reconnect")
    expect(view.root).to_have_attribute("data-state", "stopped")
    expect(badge(view)).to_have_text("Server stopped")
    assert np.array_equal(view.pixels(), before)

    def turn_blue() -> None:
        line.set_color("#0000ff")
        figure.canvas.draw_idle()

    on_server(turn_blue)
    second = make_server(port=port)
    assert second.port == port

    expect(view.root).to_have_attribute("data-state", "open", timeout=15_000)
    expect(badge(view)).to_be_hidden()
    expect(view.status).not_to_have_text(STOPPED_TEXT)
    expect(view.tool("pan")).to_be_enabled()
    expect(view.tool("download")).to_be_enabled()
    expect(view.format).to_be_enabled()
    pixels = view.wait_pixels(
        lambda pixels: np.array_equal(pixels, agg_pixels(figure)), "the canvas to equal Agg's"
    )
    assert colour_count(pixels, BLUE) > 2000
    assert colour_count(pixels, RED) == 0

    # The toolbar and the pointer talk to the new server.
    limits = xlim(ax)
    view.tool("pan").click()
    expect(view.tool("pan")).to_have_attribute("aria-pressed", "true")
    start = view.axes_point(figure, ax, 0.5, 0.5)
    drag(page, start, Point(start.x + 80, start.y))
    wait_until(lambda: xlim(ax) != limits, page=page, message="the pan to move the x limits")


def test_the_all_figures_page_says_the_server_stopped_and_follows_it_back(
    open_url: Callable[..., Page], make_server: Callable[..., FigureServer]
) -> None:
    figure, _, _ = line_figure("Listed")
    first = make_server()
    port = first.port
    assert port is not None
    page = open_url(first.url)
    view = FigureOnPage(page, figure.number)
    view.wait_ready()
    note = page.locator(".webfig-stopped")
    expect(note).to_be_hidden()

    first.stop()
    expect(note).to_be_visible()
    expect(note).to_contain_text("The server stopped")
    expect(page.locator(".webfig-gallery")).to_have_attribute("data-state", "stopped")
    expect(badge(view)).to_have_text("Server stopped")
    expect(view.tool("download")).to_be_disabled()

    # The script runs again, and makes one more figure: the page shows both, live.
    added, _, _ = line_figure("Added", "#0000ff")
    make_server(port=port)
    expect(note).to_be_hidden()
    added_view = FigureOnPage(page, added.number)
    for shown, shown_figure in ((view, figure), (added_view, added)):
        shown.wait_ready()
        shown.wait_pixels(
            lambda pixels, drawn=shown_figure: np.array_equal(pixels, agg_pixels(drawn)),
            f"figure {shown.num} to show the server's picture",
        )
    expect(badge(view)).to_be_hidden()
    expect(view.tool("download")).to_be_enabled()


@pytest.mark.parametrize("wake_up", ["online", "visible"])
def test_retries_back_off_and_a_wake_up_retries_at_once(
    open_url: Callable[..., Page],
    make_server: Callable[..., FigureServer],
    wake_up: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A server that goes away with a plain "going away" (as a proxy in between may), not
    # saying it stopped: the connection counts as lost, and retries start fast.
    monkeypatch.setattr("webfig.server.handlers.sockets.SERVER_STOPPED", 1001)
    figure, _, _ = line_figure()
    first = make_server()
    port = first.port
    assert port is not None
    page = open_url(f"{first.url}{figure.number}", init_script=RECORD_SOCKETS)
    view = FigureOnPage(page, figure.number)
    view.wait_ready()

    first.stop()
    # The first socket and three refused retries: waits of about 0.5, 1 and 2 s in between.
    wait_until(lambda: len(socket_times(page)) >= 4, page=page, message="three retries")
    times = socket_times(page)
    gaps = np.diff(times[1:4])
    assert 750 <= gaps[0] < 1000 + 400, gaps
    assert 1500 <= gaps[1] < 2000 + 400, gaps
    # The next wait is about 4 s; the badge counts it down.
    expect(view.root).to_have_attribute("data-state", "reconnecting")
    expect(badge(view)).to_have_text(re.compile(r"^Reconnecting in [34] s…$"))
    expect(view.tool("download")).to_be_enabled()

    make_server(port=port)
    woken_at = page.evaluate(
        """(wakeUp) => {
            if (wakeUp === "online") {
                window.dispatchEvent(new Event("online"))
            } else {
                Object.defineProperty(document, "visibilityState", { value: "visible" })
                document.dispatchEvent(new Event("visibilitychange"))
            }
            return performance.now()
        }""",
        wake_up,
    )
    expect(view.root).to_have_attribute("data-state", "open")
    times = socket_times(page)
    assert len(times) == 5, times
    assert times[4] - woken_at < 100, (times, woken_at)

    # Once open, a wake-up changes nothing (a retry would start within the dispatch).
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert len(socket_times(page)) == 5
    expect(view.root).to_have_attribute("data-state", "open")


def test_retry_delays_double_up_to_a_cap_with_jitter(open_page: Any) -> None:
    figure, _, _ = line_figure()
    view = FigureOnPage.shown(open_page, figure)

    result = view.page.evaluate(
        """async () => {
            const { retryDelay, FIRST_RETRY_MS, MAX_RETRY_MS, STOPPED_FIRST_RETRY_MS } =
                await import("/js/connection.js")
            const { retryText } = await import("/js/connection-badge.js")
            const attempts = [...Array(12).keys()]
            return {
                first: FIRST_RETRY_MS,
                max: MAX_RETRY_MS,
                low: attempts.map((attempt) => retryDelay(attempt, 0)),
                high: attempts.map((attempt) => retryDelay(attempt, 0.999)),
                stopped: attempts.map((attempt) => retryDelay(attempt, 0, STOPPED_FIRST_RETRY_MS)),
                far: retryDelay(1000, 0),
                texts: [2500, 1000, 1, 0, -5].map(retryText),
            }
        }"""
    )
    assert (result["first"], result["max"]) == (500, 10_000)
    assert result["low"] == [500, 1000, 2000, 4000, 8000] + [10_000] * 7
    assert result["far"] == 10_000
    # After the server said it stopped, they start later, up to the same cap.
    assert result["stopped"] == [2000, 4000, 8000] + [10_000] * 9
    # Jitter only ever shortens a wait, by at most a quarter.
    for low, high in zip(result["low"], result["high"], strict=True):
        assert 0.75 * low <= high < low
    assert result["texts"] == [
        "Reconnecting in 3 s…",
        "Reconnecting in 1 s…",
        "Reconnecting in 1 s…",
        "Reconnecting…",
        "Reconnecting…",
    ]


def test_a_closed_figure_says_so_and_does_not_reconnect(open_page: Any) -> None:
    figure, _, _ = line_figure()
    page = open_page(f"/{figure.number}")
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    view = FigureOnPage(page, figure.number)
    view.wait_ready()
    before = view.wait_pixels(
        lambda pixels: np.array_equal(pixels, agg_pixels(figure)), "the figure's picture"
    )
    opened = len(sockets)
    manager = figure.canvas.manager
    assert isinstance(manager, FigureManagerWebfig)

    plt.close(figure)
    expect(view.root).to_have_attribute("data-state", "closed")
    expect(view.status).to_have_text("This figure was closed")
    expect(badge(view)).to_have_text("Figure closed")
    expect(badge(view)).to_be_visible()
    expect(view.tool("pan")).to_be_disabled()
    expect(view.tool("download")).to_be_disabled()
    wait_until(lambda: manager.viewer_count == 0, message="the viewer to be let go")
    # Longer than the first retry's wait (at most 0.5 s): no attempt to come back.
    page.wait_for_timeout(1500)
    assert len(sockets) == opened, sockets
    expect(view.root).to_have_attribute("data-state", "closed")
    assert np.array_equal(view.pixels(), before)
