"""The pan and zoom preview: the client moves the picture with the pointer before the server's
frame comes, and the server's frames replace it whole.

The preview moves layers over the canvas, so the tests look at what the screen shows there
(``visible_pixels``), not at the canvas' backing store.

The figure's draws wait at a gate the test opens (a ``draw_event`` callback), so "before any
new frame arrives" holds by construction, not by timing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from playwright.sync_api import Page, WebSocket, expect

from .helpers import (
    BLUE,
    RED,
    TIMEOUT_MS,
    FigureOnPage,
    Pixels,
    Point,
    agg_pixels,
    colour_count,
    drag,
    line_figure,
    on_server,
    wait_until,
    without_corners,
)

pytestmark = pytest.mark.browser

RATIO = 2
GATE_TIMEOUT = 30.0  # seconds a draw waits at a closed gate before it goes on anyway


class DrawGate:
    """Holds every draw of ``figure`` (on the figure's worker) while closed."""

    def __init__(self, figure: Figure) -> None:
        self._open = threading.Event()
        self._open.set()
        self.waiting = threading.Event()  # a draw is held at the gate
        figure.canvas.mpl_connect("draw_event", self._pass)

    def _pass(self, _: object) -> None:
        if not self._open.is_set():
            self.waiting.set()
            self._open.wait(GATE_TIMEOUT)

    def close(self) -> None:
        self.waiting.clear()
        self._open.clear()

    def open(self) -> None:
        self._open.set()


class FrameCounter:
    """Counts the binary websocket messages (frames) a page receives."""

    def __init__(self, page: Page) -> None:
        self.frames = 0
        page.on("websocket", self._watch)

    def _watch(self, socket: WebSocket) -> None:
        socket.on("framereceived", self._received)

    def _received(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.frames += 1


@dataclass(frozen=True)
class Box:
    """A rectangle of canvas device pixels from the top-left corner."""

    x: int
    y: int
    width: int
    height: int

    def of(self, pixels: Pixels) -> Pixels:
        return pixels[self.y : self.y + self.height, self.x : self.x + self.width]

    def inset(self, left: int, top: int, right: int, bottom: int) -> Box:
        width, height = self.width - left - right, self.height - top - bottom
        return Box(self.x + left, self.y + top, width, height)


def data_box(figure: Figure, ax: Axes) -> Box:
    """``ax``'s box in canvas device pixels, 3 pixels in from its edges (past the spines)."""

    def find() -> Box:
        x0, y0, x1, y1 = ax.bbox.extents
        height = figure.bbox.height
        return Box(int(x0) + 3, int(height - y1) + 3, int(x1 - x0) - 6, int(y1 - y0) - 6)

    return on_server(find)


def shifted_share(before: Pixels, after: Pixels, box: Box, dx: int, dy: int) -> float:
    """The share of ``box``'s pixels in ``after`` that are ``before``'s, moved by (dx, dy);
    only where the moved pixels come from within the box."""
    inner = box.inset(max(dx, 0), max(dy, 0), max(-dx, 0), max(-dy, 0))
    source = Box(inner.x - dx, inner.y - dy, inner.width, inner.height)
    same = (inner.of(after) == source.of(before)).all(axis=-1)
    return float(same.mean())


def outside(box: Box, pixels: Pixels) -> Pixels:
    """``pixels`` with ``box`` blanked out: what lies around the axes."""
    around = pixels.copy()
    box.inset(-4, -4, -4, -4).of(around)[...] = 0
    return around


def choose_tool(view: FigureOnPage, name: str) -> None:
    view.tool(name).click()
    expect(view.tool(name)).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT_MS)


Gated = tuple[Figure, Axes, DrawGate, FigureOnPage, FrameCounter]


@pytest.fixture
def gated_line(open_page: Any) -> Iterator[Gated]:
    """The line figure, its draw gate (open), and a page on it at RATIO counting frames."""
    figure, ax, _ = line_figure()
    gate = DrawGate(figure)
    page = open_page(f"/{figure.number}", device_scale_factor=RATIO)
    counter = FrameCounter(page)
    view = FigureOnPage(page, figure.number)
    view.wait_ready()
    yield figure, ax, gate, view, counter
    gate.open()


def press_and_move(view: FigureOnPage, start: Point, offsets: list[tuple[float, float]]) -> None:
    """Press at ``start`` and move through ``offsets`` (CSS px), one animation frame each."""
    page = view.page
    page.mouse.move(start.x, start.y)
    page.mouse.down()
    for dx, dy in offsets:
        page.mouse.move(start.x + dx, start.y + dy)
        page.evaluate("() => new Promise(resolve => requestAnimationFrame(() => resolve()))")


def wait_agg(view: FigureOnPage, figure: Figure) -> None:
    """Wait until what is seen of the canvas is what Agg drew (nothing of the preview left)."""
    wait_until(
        lambda: np.array_equal(
            without_corners(view.visible_pixels(), RATIO),
            without_corners(agg_pixels(figure), RATIO),
        ),
        page=view.page,
        message="what the canvas shows to equal Agg's buffer",
    )


def test_the_data_follow_the_pointer_before_the_frame_and_the_frame_replaces_them(
    gated_line: Gated, open_page: Any
) -> None:
    figure, ax, gate, view, counter = gated_line
    other = FigureOnPage(open_page(f"/{figure.number}", device_scale_factor=RATIO), figure.number)
    other.wait_ready()
    choose_tool(view, "pan")
    box = data_box(figure, ax)
    before, other_before = view.visible_pixels(), other.visible_pixels()
    frames = counter.frames

    gate.close()
    press_and_move(view, whole_point(view, figure, ax, 0.5, 0.5), [(-10, 5), (-30, 10), (-40, 15)])
    gate.waiting.wait(GATE_TIMEOUT)  # the server is drawing the first move, held
    shown = view.wait_pixels_change(before, visible=True)

    # No frame came, and the picture's data moved with the pointer, 40 and 15 CSS px...
    assert counter.frames == frames
    assert shifted_share(before, shown, box, -40 * RATIO, 15 * RATIO) > 0.999
    # ... over what it uncovered, the axes' background; the ticks and labels stayed.
    assert colour_count(box.of(shown), RED) > 1000
    np.testing.assert_array_equal(outside(box, shown), outside(box, before))
    # The other tab saw none of it.
    np.testing.assert_array_equal(other.visible_pixels(), other_before)

    view.page.mouse.up()
    gate.open()
    # After the release the server's frame replaces the preview whole, in both tabs.
    wait_agg(view, figure)
    wait_agg(other, figure)
    assert ax.get_xlim()[0] > -0.5


def blue_centroid(pixels: Pixels, box: Box) -> tuple[float, float]:
    """Where the blue in ``box`` is, on average, weighted by how blue each pixel is (its
    antialiased edges count in part, so the answer is good to a fraction of a pixel)."""
    area = box.of(pixels).astype(float)
    # Blue over white loses red; the red line and black text have no blue.
    weight = np.where(area[..., 2] > 200, 1 - area[..., 0] / 255, 0)
    rows, columns = np.indices(weight.shape)
    total = weight.sum()
    assert total > 0, "no blue"
    return box.x + float((columns * weight).sum() / total), box.y + float(
        (rows * weight).sum() / total
    )


def whole_point(view: FigureOnPage, figure: Figure, ax: Axes, fx: float, fy: float) -> Point:
    """``axes_point`` rounded to whole CSS pixels, so that moves are whole device pixels."""
    point = view.axes_point(figure, ax, fx, fy)
    return Point(round(point.x), round(point.y))


def test_shared_axes_move_along_what_they_share(open_page: Any) -> None:
    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 4.8), dpi=100)
    for ax in (top, bottom):
        ax.plot([0, 1, 2], [0, 1, 0], color="#ff0000", linewidth=10)
    gate = DrawGate(figure)
    view = FigureOnPage.shown(open_page, figure, RATIO)
    choose_tool(view, "pan")
    before = view.visible_pixels()
    try:
        gate.close()
        press_and_move(view, whole_point(view, figure, top, 0.5, 0.5), [(-20, 5), (-35, 12)])
        shown = view.wait_pixels_change(before, visible=True)
        # The dragged axes follow the pointer; the one below shares only x.
        assert shifted_share(before, shown, data_box(figure, top), -35 * RATIO, 12 * RATIO) > 0.999
        assert shifted_share(before, shown, data_box(figure, bottom), -35 * RATIO, 0) > 0.999
        view.page.mouse.up()
    finally:
        gate.open()
    wait_agg(view, figure)


def test_a_log_axes_preview_matches_the_frame_that_follows(open_page: Any) -> None:
    figure, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    x = np.logspace(0, 3, 50)
    ax.plot(x, np.sin(np.log(x) * 3), color="#ff0000", linewidth=6)
    ax.set_xscale("log")
    gate = DrawGate(figure)
    view = FigureOnPage.shown(open_page, figure, RATIO)
    choose_tool(view, "pan")
    before = view.visible_pixels()
    box = data_box(figure, ax)
    try:
        gate.close()
        press_and_move(view, whole_point(view, figure, ax, 0.5, 0.5), [(-25, 0), (-50, 10)])
        shown = view.wait_pixels_change(before, visible=True)
        view.page.mouse.up()
    finally:
        gate.open()
    wait_agg(view, figure)
    final = view.visible_pixels()
    # Where the preview had pixels to show (not what the pan uncovered), they are the frame's.
    dx, dy = -50 * RATIO, 10 * RATIO
    inner = box.inset(0, max(dy, 0), max(-dx, 0), 0)
    close = (np.abs(inner.of(shown).astype(int) - inner.of(final)) <= 16).all(axis=-1)
    assert close.mean() > 0.99
    assert colour_count(inner.of(final), RED, tolerance=40) > 1000


def show_blue_patch(view: FigureOnPage, figure: Figure, ax: Axes, x: float) -> Pixels:
    """Add a blue 0.3 × 0.2 patch at (``x``, 0.3) and wait for it; the canvas' pixels then.
    It is not snapped to whole pixels, which a zoom would scale up into a visible offset."""
    patch = Rectangle((x, 0.3), 0.3, 0.2, color="#0000ff", snap=False)
    on_server(lambda: ax.add_patch(patch))
    on_server(figure.canvas.draw_idle)
    return view.wait_pixels(lambda p: colour_count(p, BLUE) > 50, "the blue patch", visible=True)


def test_a_zoom_preview_lands_where_the_frame_does(
    gated_line: Gated,
) -> None:
    figure, ax, gate, view, counter = gated_line
    before = show_blue_patch(view, figure, ax, 1.0)
    box = data_box(figure, ax)
    choose_tool(view, "zoom")
    gate.close()
    frames = counter.frames
    corner, opposite = (view.data_to_page(figure, ax, *at) for at in [(0.6, 0.9), (1.8, 0.1)])
    drag(view.page, corner, opposite)
    shown = view.wait_pixels_change(before, visible=True)
    assert counter.frames == frames
    gate.open()
    wait_agg(view, figure)
    final = view.visible_pixels()
    # The patch is where the frame draws it, within a pixel.
    preview_x, preview_y = blue_centroid(shown, box)
    final_x, final_y = blue_centroid(final, box)
    assert abs(preview_x - final_x) <= 1
    assert abs(preview_y - final_y) <= 1


RECORD_SOCKETS = """
window.sockets = []
window.WebSocket = class extends WebSocket {
  constructor(...args) {
    super(...args)
    window.sockets.push(this)
  }
}
"""


def test_a_socket_that_drops_during_a_drag_comes_back_to_the_right_picture(
    gated_line: Gated,
) -> None:
    figure, ax, gate, view, _ = gated_line
    view.page.add_init_script(RECORD_SOCKETS)
    view.page.reload()
    view.wait_ready()
    choose_tool(view, "pan")
    before = view.visible_pixels()
    gate.close()
    press_and_move(view, whole_point(view, figure, ax, 0.5, 0.5), [(-20, 0), (-40, 0)])
    view.wait_pixels_change(before, visible=True)

    view.page.evaluate("() => window.sockets.at(-1).close()")
    # The preview goes with the socket: the last frame, as the server drew it, is back.
    view.wait_pixels(
        lambda p: np.array_equal(p, before), "the picture without the preview", visible=True
    )
    expect(view.root).to_have_attribute("data-state", "open", timeout=TIMEOUT_MS)
    view.page.mouse.move(100, 100)
    view.page.mouse.up()
    gate.open()
    wait_agg(view, figure)


def test_a_right_button_pan_previews_the_zoom_about_the_press_point(
    gated_line: Gated,
) -> None:
    figure, ax, gate, view, counter = gated_line
    before = show_blue_patch(view, figure, ax, 1.2)
    box = data_box(figure, ax)
    choose_tool(view, "pan")
    gate.close()
    frames = counter.frames
    page = view.page
    start = whole_point(view, figure, ax, 0.4, 0.4)
    page.mouse.move(start.x, start.y)
    page.mouse.down(button="right")
    for step in range(1, 7):
        page.mouse.move(start.x + 10 * step, start.y - 5 * step)
        page.evaluate("() => new Promise(resolve => requestAnimationFrame(() => resolve()))")
    shown = view.wait_pixels_change(before, visible=True)
    page.mouse.up(button="right")
    assert counter.frames == frames
    gate.open()
    wait_agg(view, figure)
    # Dragging right and up zooms in on both axes about the press point: the patch, right
    # of it and above, moves out from it by as much as the frame says.
    preview_x, preview_y = blue_centroid(shown, box)
    final_x, final_y = blue_centroid(view.visible_pixels(), box)
    before_x, before_y = blue_centroid(before, box)
    assert preview_x - before_x > 20
    assert before_y - preview_y > 3
    assert abs(preview_x - final_x) <= 1
    assert abs(preview_y - final_y) <= 1


# Shows a preview layer of its own over the page's canvas: a box at odd device pixels of a
# picture whose every pixel differs from its neighbours, moved by `mapping`.
SHOW_PATTERN_LAYER = """async ({ box, mapping }) => {
    const { PreviewLayer } = await import("/js/preview-layer.js")
    const visible = document.querySelector(".webfig-canvas")
    const source = document.createElement("canvas")
    source.width = visible.width
    source.height = visible.height
    const pattern = new ImageData(source.width, source.height)
    for (let i = 0; i < pattern.data.length; i += 4) {
        const x = (i / 4) % source.width, y = Math.floor(i / 4 / source.width)
        pattern.data.set([(x * 7 + y * 13) % 256, (x * 3) % 256, (y * 5) % 256, 255], i)
    }
    source.getContext("2d").putImageData(pattern, 0, 0)
    const layer = new PreviewLayer(visible)
    layer.show(source, box, "rgb(255, 255, 255)")
    layer.move(mapping)
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))
}"""


def pattern(height: int, width: int) -> Pixels:
    """SHOW_PATTERN_LAYER's picture."""
    y, x = np.mgrid[:height, :width]
    channels = [(x * 7 + y * 13) % 256, (x * 3) % 256, (y * 5) % 256, np.full_like(x, 255)]
    return np.stack(channels, axis=-1).astype(np.uint8)


def test_a_layer_moves_its_box_pixel_for_pixel(open_page: Any) -> None:
    """A pan moves every pixel of the box by whole device pixels, none blurred into its
    neighbours, even for a box at odd device pixels, over the face colour where it uncovers
    the box; outside the box the canvas shows as it was."""
    figure, _, _ = line_figure()
    page = open_page(f"/{figure.number}", device_scale_factor=RATIO)
    view = FigureOnPage(page, figure.number)
    view.wait_ready()
    box = Box(163, 117, 735, 521)
    dx, dy = -37, 21
    mapping = {"sx": 1, "sy": 1, "tx": dx, "ty": dy}
    page.evaluate(SHOW_PATTERN_LAYER, {"box": asdict(box), "mapping": mapping})
    shown = view.visible_pixels()
    picture = pattern(*shown.shape[:2])

    inner = box.inset(max(dx, 0), max(dy, 0), max(-dx, 0), max(-dy, 0))
    source = Box(inner.x - dx, inner.y - dy, inner.width, inner.height)
    assert np.array_equal(inner.of(shown), source.of(picture))
    uncovered = box.of(shown).copy()
    Box(inner.x - box.x, inner.y - box.y, inner.width, inner.height).of(uncovered)[...] = 255
    assert (uncovered == 255).all()
    around = [without_corners(outside(box, pixels), RATIO) for pixels in (shown, view.pixels())]
    assert np.array_equal(*around)
