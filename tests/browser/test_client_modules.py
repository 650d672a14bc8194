"""The client's modules: the painter gets over a frame it could not decode or paint."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pytest
from playwright.sync_api import ConsoleMessage, Page, WebSocket

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


def collector(items: list[T]) -> Callable[[T], None]:
    """A handler that keeps what it is given (Playwright takes no built-in method)."""

    def collect(item: T) -> None:
        items.append(item)

    return collect


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
