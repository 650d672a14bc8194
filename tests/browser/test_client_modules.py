"""The client's modules: webfig.js exports the classes and starts nothing, FigurePage connects
and disconnects a page's figures, the gallery lets go of its views and of cards on their way,
and the painter gets over a frame it could not decode or paint, closing what it decoded.

The pages for FigurePage are copies of webfig's own pages without the entry module (mpl.js),
served next to webfig's routes: the test imports webfig.js and drives the page itself.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pytest
import tornado.web
from matplotlib.figure import Figure
from playwright.sync_api import ConsoleMessage, Page, Request, Route, WebSocket, expect

from webfig.backend import FigureManagerWebfig
from webfig.server import figure_routes

from .helpers import (
    BLUE,
    FigureOnPage,
    agg_pixels,
    colour_count,
    line_figure,
    on_server,
    wait_until,
)

pytestmark = pytest.mark.browser

T = TypeVar("T")

ENTRY_MODULE = '<script type="module" src="/js/mpl.js"></script>'
PUBLIC_CLASSES = [
    "Connection",
    "FigureGallery",
    "FigurePage",
    "FigureView",
    "FramePainter",
    "GesturePreview",
    "Picture",
    "PixelRatioWatcher",
    "PointerInput",
    "ResizeHandle",
    "Rubberband",
    "Toolbar",
]

# Keeps every websocket the page creates, in order, as it is created.
RECORD_SOCKETS = """() => {
    window.sockets = []
    window.WebSocket = class extends WebSocket {
        constructor(...args) {
            super(...args)
            window.sockets.push(this)
        }
    }
}"""

IMPORT_WEBFIG = """async () => {
    window.webfig = await import("/js/webfig.js")
    return Object.keys(window.webfig).sort()
}"""

CONNECT_TWICE = """() => {
    window.figurePage = new window.webfig.FigurePage(document)
    window.figurePage.connect()
    window.figurePage.connect()
}"""

# The first call of a browser function throws; later ones work.
BREAK_ONCE = """(name) => {
    const owner = name === "drawImage" ? CanvasRenderingContext2D.prototype : window
    const original = owner[name]
    window.breakages = 0
    owner[name] = function (...args) {
        if (window.breakages > 0) return original.apply(this, args)
        window.breakages += 1
        throw new Error(`${name} broken on purpose`)
    }
}"""


class PageCopy(tornado.web.RequestHandler):
    def initialize(self, pages: dict[str, str]) -> None:
        self.pages = pages

    def get(self, name: str) -> None:
        if name not in self.pages:
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write(self.pages[name])


@pytest.fixture
def open_without_entry(
    open_page: Callable[..., Page], serve_app: Callable[[tornado.web.Application], str]
) -> Callable[[str], Page]:
    """Opens a copy of webfig's page at a path, with no script: nothing is connected."""
    pages: dict[str, str] = {}
    base = serve_app(
        tornado.web.Application(
            [*figure_routes(""), (r"/copies/([a-z0-9]+)\.html", PageCopy, {"pages": pages})]
        )
    )

    def open_(path: str) -> Page:
        with urllib.request.urlopen(f"{base}{path}", timeout=10) as response:
            html = response.read().decode()
        assert ENTRY_MODULE in html
        name = f"page{len(pages)}"
        pages[name] = html.replace(ENTRY_MODULE, "")
        page = open_page(f"{base}/copies/{name}.html")
        page.evaluate(RECORD_SOCKETS)
        return page

    return open_


def collector(items: list[T]) -> Callable[[T], None]:
    """A handler that keeps what it is given (Playwright takes no built-in method)."""

    def collect(item: T) -> None:
        items.append(item)

    return collect


def socket_states(page: Page) -> list[int]:
    """The readyState of each websocket the page created (3 is CLOSED)."""
    states: list[int] = page.evaluate("window.sockets.map((socket) => socket.readyState)")
    return states


def manager_of(figure: Figure) -> FigureManagerWebfig:
    manager = figure.canvas.manager
    assert isinstance(manager, FigureManagerWebfig)
    return manager


def test_importing_webfig_js_starts_nothing_and_figure_page_connects(
    open_without_entry: Callable[[str], Page],
) -> None:
    figure, _, _ = line_figure("Imported")
    page = open_without_entry(f"/{figure.number}")
    view = FigureOnPage(page, figure.number)
    markup = page.inner_html("body")
    resources = page.evaluate("performance.getEntriesByType('resource').length")

    assert page.evaluate(IMPORT_WEBFIG) == PUBLIC_CLASSES
    loaded = page.evaluate(
        "(before) => performance.getEntriesByType('resource').slice(before).map((e) => e.name)",
        resources,
    )
    assert loaded
    assert all("/js/" in url and url.endswith(".js") for url in loaded), loaded
    assert socket_states(page) == []
    assert page.inner_html("body") == markup
    assert manager_of(figure).viewer_count == 0

    # Connecting twice opens one socket.
    page.evaluate(CONNECT_TWICE)
    view.wait_ready()
    view.wait_pixels(lambda pixels: np.array_equal(pixels, agg_pixels(figure)), "Agg's picture")
    assert socket_states(page) == [1]

    page.evaluate("window.figurePage.disconnect()")
    expect(view.root).to_have_attribute("data-state", "closed")
    wait_until(lambda: socket_states(page) == [3], page=page, message="the socket to close")
    wait_until(lambda: manager_of(figure).viewer_count == 0, message="the viewer to leave")


def connected_gallery(open_without_entry: Callable[[str], Page], figures: list[Figure]) -> Page:
    """The all-figures page with ``figures``, connected by a FigurePage of the test's."""
    page = open_without_entry("")
    page.evaluate(IMPORT_WEBFIG)
    page.evaluate(CONNECT_TWICE)
    for figure in figures:
        FigureOnPage(page, figure.number).wait_ready()
    expect(page.locator(".webfig-gallery")).to_have_attribute("data-state", "open")
    # The list's socket and one per figure.
    assert socket_states(page) == [1] * (1 + len(figures))
    return page


def test_disconnecting_the_page_disconnects_the_gallery_and_its_views(
    open_without_entry: Callable[[str], Page], open_page: Callable[..., Page]
) -> None:
    first, _, _ = line_figure("First")
    second, _, _ = line_figure("Second")
    page = connected_gallery(open_without_entry, [first, second])
    gallery = page.locator(".webfig-gallery")
    cards = page.locator("[data-figure-card]")

    page.evaluate("window.figurePage.disconnect()")
    expect(gallery).to_have_attribute("data-state", "closed")
    for figure in (first, second):
        expect(FigureOnPage(page, figure.number).root).to_have_attribute("data-state", "closed")
        wait_until(
            lambda figure=figure: manager_of(figure).viewer_count == 0,
            message="the viewers to leave",
        )
    wait_until(
        lambda: socket_states(page) == [3, 3, 3],
        page=page,
        message=lambda: f"every socket to be closed: {socket_states(page)}",
    )

    # A page still connected sees a third figure's card painted; this one hears of none.
    third, _, _ = line_figure("Third")
    watching = open_page("")
    FigureOnPage(watching, third.number).wait_ready()
    expect(cards).to_have_count(2)
    assert len(socket_states(page)) == 3

    # Connected again, the gallery catches up.
    page.evaluate("window.figurePage.connect()")
    expect(cards).to_have_count(3)
    for figure in (first, second, third):
        FigureOnPage(page, figure.number).wait_ready()
    expect(gallery).to_have_attribute("data-state", "open")
    assert socket_states(page) == [3, 3, 3, 1, 1, 1, 1]


def test_a_card_on_its_way_when_the_gallery_disconnects_never_arrives(
    open_without_entry: Callable[[str], Page],
) -> None:
    first, _, _ = line_figure("First")
    page = connected_gallery(open_without_entry, [first])
    cards = page.locator("[data-figure-card]")

    # The next card's fragment is held back until after the disconnect.
    held: list[Route] = []
    failed: list[Request] = []
    page.route("**/fragment", collector(held))
    page.on("requestfailed", collector(failed))
    second, _, _ = line_figure("Second")
    wait_until(lambda: held, page=page, message="the second figure's fragment to be requested")
    page.evaluate("window.figurePage.disconnect()")

    # The fetch was aborted (no console error): letting the request through brings no card.
    wait_until(
        lambda: [request.url for request in failed] == [held[0].request.url],
        page=page,
        message="the fragment's fetch to be aborted",
    )
    assert failed[0].failure == "net::ERR_ABORTED"
    held[0].continue_()
    page.unroute("**/fragment")
    expect(cards).to_have_count(1)
    assert len(socket_states(page)) == 2
    expect(FigureOnPage(page, first.number).root).to_have_attribute("data-state", "closed")
    assert manager_of(second).viewer_count == 0

    # Connected again, the gallery fetches the card anew.
    page.evaluate("window.figurePage.connect()")
    expect(cards).to_have_count(2)
    FigureOnPage(page, second.number).wait_ready()


def sent_types(payloads: list[str | bytes]) -> list[str]:
    return [json.loads(payload)["type"] for payload in payloads if isinstance(payload, str)]


@pytest.mark.parametrize("broken", ["drawImage", "createImageBitmap"])
def test_the_painter_gets_over_a_frame_it_could_not_show(
    open_page: Callable[..., Page], broken: str
) -> None:
    figure, _, line = line_figure("Painted")
    page = open_page(f"/{figure.number}")
    # What the page sent on each socket: the one before the reload may be among them.
    sockets: list[list[str | bytes]] = []
    warnings: list[str] = []

    def watch(socket: WebSocket) -> None:
        sockets.append([])
        socket.on("framesent", collector(sockets[-1]))

    def console(message: ConsoleMessage) -> None:
        if message.type == "warning":
            warnings.append(message.text)

    page.on("websocket", watch)
    page.on("console", console)
    page.reload()
    view = FigureOnPage(page, figure.number)
    view.wait_ready()
    view.wait_pixels(lambda pixels: np.array_equal(pixels, agg_pixels(figure)), "Agg's picture")
    sent = sockets[-1]
    assert sent_types(sent).count("refresh") == 1

    page.evaluate(BREAK_ONCE, broken)

    def turn_blue() -> None:
        line.set_color("#0000ff")
        figure.canvas.draw_idle()

    on_server(turn_blue)

    # The frame that failed is acknowledged, and a full frame asked for.
    def refreshed_and_acknowledged() -> bool:
        types = sent_types(sent)
        if types.count("refresh") < 2:
            return False
        last = len(types) - 1 - types[::-1].index("refresh")
        return types.count("refresh") == 2 and "ack" in types[last:]

    wait_until(
        refreshed_and_acknowledged,
        page=page,
        message=lambda: f"a refresh and an ack after the failure: {sent_types(sent)}",
    )
    assert page.evaluate("window.breakages") == 1
    assert len(warnings) == 1, warnings
    assert f"{broken} broken on purpose" in warnings[0], warnings

    # The painter goes on: the full frame, then later changes, are painted.
    pixels = view.wait_pixels(
        lambda pixels: np.array_equal(pixels, agg_pixels(figure)), "the blue picture"
    )
    assert colour_count(pixels, BLUE) > 2000

    def move() -> None:
        line.set_ydata([1, 0, 1])
        figure.canvas.draw_idle()

    on_server(move)
    view.wait_pixels_change(pixels)
    view.wait_pixels(lambda pixels: np.array_equal(pixels, agg_pixels(figure)), "the moved line")


# Paints one rect frame of three replace tiles, the middle one's image corrupt, with a painter
# of the page's own, and waits until it is done with the frame and every decode has settled.
# Says what the painter reported and how many of the bitmaps decoded are still open (a closed
# ImageBitmap is 0 x 0).
PAINT_A_FRAME_WITH_A_CORRUPT_TILE = """async () => {
    const { FramePainter } = await import("/js/frame-painter.js")
    const square = new OffscreenCanvas(8, 8)
    const context = square.getContext("2d")
    context.fillStyle = "#ff0000"
    context.fillRect(0, 0, 8, 8)
    const blob = await square.convertToBlob({ type: "image/png" })
    const png = new Uint8Array(await blob.arrayBuffer())
    const corrupt = new Uint8Array(png.length).fill(0x42)
    const images = [png, corrupt, png]

    // The rect_frames layout of docs/protocol.md: a header, then each step with its image.
    const header = new DataView(new ArrayBuffer(12))
    new Uint8Array(header.buffer).set([..."WFRM"].map((c) => c.charCodeAt(0)))
    header.setUint8(4, 1)
    header.setUint8(5, 1)
    header.setUint16(6, images.length, true)
    header.setUint16(8, 8 * images.length, true)
    header.setUint16(10, 8, true)
    const parts = [header.buffer]
    images.forEach((image, index) => {
        const step = new DataView(new ArrayBuffer(16))
        step.setUint16(0, 8 * index, true)
        step.setUint16(4, 8, true)
        step.setUint16(6, 8, true)
        step.setUint32(12, image.length, true)
        parts.push(step.buffer, image)
    })

    const decodes = []
    const bitmaps = []
    const createImageBitmap = window.createImageBitmap
    window.createImageBitmap = (...args) => {
        const decode = createImageBitmap(...args).then((bitmap) => {
            bitmaps.push(bitmap)
            return bitmap
        })
        decodes.push(decode)
        return decode
    }
    try {
        const failures = []
        const changes = await new Promise((onPainted) => {
            const painter = new FramePainter(document.createElement("canvas"), {
                onPainted,
                onFailed: (error) => failures.push(String(error)),
            })
            painter.format = "rect"
            painter.paint(new Blob(parts))
        })
        await Promise.allSettled(decodes)
        return {
            failures,
            changes,
            decodes: decodes.length,
            decoded: bitmaps.length,
            open: bitmaps.filter((bitmap) => bitmap.width > 0).length,
        }
    } finally {
        window.createImageBitmap = createImageBitmap
    }
}"""


def test_a_frame_with_a_tile_that_does_not_decode_closes_the_bitmaps_of_the_others(
    open_page: Callable[..., Page],
) -> None:
    figure, _, _ = line_figure("Corrupt tile")
    page = open_page(f"/{figure.number}")

    outcome = page.evaluate(PAINT_A_FRAME_WITH_A_CORRUPT_TILE)

    # The frame failed as a whole, once, and the painter went on to the next (onPainted).
    assert len(outcome["failures"]) == 1, outcome
    assert outcome["changes"] == {"full": True, "rects": []}
    # Both good tiles decoded, and neither bitmap is left open.
    assert (outcome["decodes"], outcome["decoded"]) == (3, 2), outcome
    assert outcome["open"] == 0, outcome
