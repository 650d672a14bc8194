"""Helpers for the browser tests: waiting, canvas pixels, and figure ↔ page geometry."""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from PIL import Image
from playwright.sync_api import Locator, Page

from webfig.backend import FigureCanvasWebfig
from webfig.runtime.event_loop import server_thread

from ..waiting import TIMEOUT, wait_until

T = TypeVar("T")
Pixels = npt.NDArray[np.uint8]

# Playwright's timeouts are in milliseconds.
TIMEOUT_MS = TIMEOUT * 1000


def on_server(function: Callable[[], T]) -> T:
    """Run ``function`` on webfig's server thread, where figures are drawn; its result."""
    return server_thread().run_sync(function)


def decode_png(png: bytes) -> Pixels:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGBA")).copy()


def decode_data_url(url: str) -> Pixels:
    header, _, data = url.partition(",")
    assert header == "data:image/png;base64", header
    return decode_png(base64.b64decode(data))


def canvas_pixels(canvas: Locator) -> Pixels:
    """The canvas' backing store, as a (height, width, 4) RGBA array."""
    return decode_data_url(canvas.evaluate("canvas => canvas.toDataURL('image/png')"))


# What the screen shows over the canvas' corners (webfig.css), in CSS pixels: the frame's
# rounded corners, and the resize handle at the bottom-right one.
FRAME_RADIUS = 4
RESIZE_HANDLE = 16


def without_corners(pixels: Pixels, ratio: float) -> Pixels:
    """``pixels`` of the canvas with its corners blanked out where the page lays something
    over them, so that what is seen compares with the picture."""
    corner, handle = math.ceil(FRAME_RADIUS * ratio), math.ceil(RESIZE_HANDLE * ratio)
    blanked = pixels.copy()
    for rows in (slice(0, corner), slice(-corner, None)):
        for columns in (slice(0, corner), slice(-corner, None)):
            blanked[rows, columns] = 0
    blanked[-handle:, -handle:] = 0
    return blanked


def colour_count(pixels: Pixels, rgb: tuple[int, int, int], tolerance: int = 0) -> int:
    """How many opaque pixels are within ``tolerance`` of ``rgb`` in every channel."""
    difference = np.abs(pixels[..., :3].astype(np.int16) - np.array(rgb, dtype=np.int16))
    return int(((difference <= tolerance).all(axis=-1) & (pixels[..., 3] == 255)).sum())


def distinct_colours(pixels: Pixels) -> int:
    return len(np.unique(pixels.reshape(-1, 4), axis=0))


def is_painted(pixels: Pixels) -> bool:
    """Not blank: opaque, and more than a handful of colours (text, lines, antialiasing)."""
    return bool((pixels[..., 3] == 255).mean() > 0.99 and distinct_colours(pixels) > 20)


def webfig_canvas(figure: Figure) -> FigureCanvasWebfig:
    canvas = figure.canvas
    assert isinstance(canvas, FigureCanvasWebfig), canvas
    return canvas


def agg_pixels(figure: Figure) -> Pixels:
    """What Agg last drew for ``figure``, read on the server thread."""
    return on_server(webfig_canvas(figure).pixels)


def css_size(figure: Figure) -> tuple[float, float]:
    """The figure's size in CSS pixels: its device pixels over its device pixel ratio."""

    def size() -> tuple[float, float]:
        ratio = figure.canvas.device_pixel_ratio
        width, height = figure.get_size_inches() * figure.dpi / ratio
        return float(width), float(height)

    return on_server(size)


def xlim(ax: Axes) -> tuple[float, float]:
    low, high = on_server(ax.get_xlim)
    return float(low), float(high)


@dataclass(frozen=True)
class Point:
    x: float
    y: float


class FigureOnPage:
    """One webfig figure widget on a page, found by the DOM contract."""

    def __init__(self, page: Page, num: int | str) -> None:
        self.page = page
        self.num = int(num)
        self.root = page.locator(f'section.webfig-figure[data-figure-num="{num}"]')
        self.canvas = self.root.locator("canvas.webfig-canvas")
        self.frame = self.root.locator(".webfig-canvas-frame")
        self.title = self.root.locator(".webfig-title")
        self.rubberband = self.root.locator(".webfig-rubberband")
        self.resize_handle = self.root.locator(".webfig-resize-handle")
        self.status = self.root.locator(".webfig-status")
        self.format = self.root.locator("select.webfig-format")

    def tool(self, name: str) -> Locator:
        return self.root.locator(f'button[data-tool="{name}"]')

    def backing_and_css(self) -> dict[str, Any]:
        result: dict[str, Any] = self.canvas.evaluate(
            """canvas => {
                const rect = canvas.getBoundingClientRect()
                return {
                    width: canvas.width, height: canvas.height,
                    cssWidth: rect.width, cssHeight: rect.height,
                    ratio: window.devicePixelRatio,
                }
            }"""
        )
        return result

    @classmethod
    def shown(
        cls, open_page: Callable[..., Page], figure: Figure, device_scale_factor: float = 1
    ) -> FigureOnPage:
        """``figure`` on its own page, connected and painted."""
        page = open_page(f"/{figure.number}", device_scale_factor=device_scale_factor)
        view = cls(page, figure.number)
        view.wait_ready()
        return view

    def wait_ready(self, timeout: float = TIMEOUT) -> None:
        """Wait until the socket is open and a frame at the page's pixel ratio is painted."""

        def ready() -> bool:
            state = self.root.get_attribute("data-state")
            painted = self.root.get_attribute("data-painted") is not None
            sizes = self.backing_and_css()
            sharp = (
                abs(sizes["width"] - sizes["cssWidth"] * sizes["ratio"]) <= 1
                and abs(sizes["height"] - sizes["cssHeight"] * sizes["ratio"]) <= 1
            )
            return state == "open" and painted and sharp

        wait_until(
            ready,
            timeout=timeout,
            page=self.page,
            message=lambda: (
                f"figure {self.num} to be open and painted: "
                f"state={self.root.get_attribute('data-state')!r}, "
                f"painted={self.root.get_attribute('data-painted') is not None}, "
                f"sizes={self.backing_and_css()}"
            ),
        )

    def pixels(self) -> Pixels:
        """The canvas' backing store: the server's picture, without what lies over it."""
        return canvas_pixels(self.canvas)

    def visible_pixels(self) -> Pixels:
        """What the user sees where the canvas is, composited as the screen shows it (the
        preview's layers over the canvas included), in device pixels, RGBA: the canvas'
        backing store's size."""
        box = self.canvas.bounding_box()
        assert box is not None, "the canvas is not displayed"
        ratio: float = self.page.evaluate("window.devicePixelRatio")
        # A screenshot clips whole CSS pixels: take those around the canvas and a margin...
        left, top = math.floor(box["x"]) - 1, math.floor(box["y"]) - 1
        right = math.ceil(box["x"] + box["width"]) + 1
        bottom = math.ceil(box["y"] + box["height"]) + 1
        shot = decode_png(
            self.page.screenshot(
                clip={"x": left, "y": top, "width": right - left, "height": bottom - top},
                animations="disabled",
                caret="hide",
            )
        )
        # ... and cut the canvas out where Chromium put it: it snaps a canvas that lies across
        # device pixels to whole ones its own way, so of the places a pixel either side of
        # its box, the one that agrees best with the canvas' own pixels (the picture, where
        # nothing lies over it).
        backing = self.pixels()
        height, width = backing.shape[:2]
        x, y = round((box["x"] - left) * ratio), round((box["y"] - top) * ratio)
        candidates = [
            shot[y + dy : y + dy + height, x + dx : x + dx + width]
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        ]
        return max(
            (shot for shot in candidates if shot.shape == backing.shape),
            key=lambda shot: int((shot == backing).all(axis=-1).sum()),
        )

    def wait_pixels(
        self,
        condition: Callable[[Pixels], bool],
        message: str,
        timeout: float = TIMEOUT,
        *,
        visible: bool = False,
    ) -> Pixels:
        """Wait until the canvas' pixels (``visible``: what is seen there) satisfy
        ``condition``; returns them."""
        found: list[Pixels] = []
        read = self.visible_pixels if visible else self.pixels

        def check() -> bool:
            pixels = read()
            found[:] = [pixels]
            return condition(pixels)

        wait_until(check, timeout=timeout, page=self.page, message=message)
        return found[0]

    def wait_pixels_change(
        self, before: Pixels, timeout: float = TIMEOUT, *, visible: bool = False
    ) -> Pixels:
        return self.wait_pixels(
            lambda pixels: pixels.shape != before.shape or not np.array_equal(pixels, before),
            f"figure {self.num}'s canvas to change",
            timeout,
            visible=visible,
        )

    def data_to_page(self, figure: Figure, ax: Axes, x: float, y: float) -> Point:
        """Where data point (``x``, ``y``) of ``ax`` is on the page, in viewport CSS px."""
        return data_to_page(self.canvas, figure, ax, x, y)

    def axes_point(self, figure: Figure, ax: Axes, fx: float, fy: float) -> Point:
        """Where the point at fractions (``fx``, ``fy``) of ``ax`` (from its bottom-left) is."""
        return axes_point(self.canvas, figure, ax, fx, fy)


def data_to_page(canvas: Locator, figure: Figure, ax: Axes, x: float, y: float) -> Point:
    """Where data point (``x``, ``y``) of ``ax`` is on the page, in viewport CSS px."""

    def figure_css() -> tuple[float, float, float]:
        ratio = figure.canvas.device_pixel_ratio
        dx, dy = ax.transData.transform((x, y))
        # Display coordinates are device px from the bottom-left; the page's from the top-left.
        css_x = dx / ratio
        css_y = (figure.bbox.height - dy) / ratio
        return float(css_x), float(css_y), float(figure.bbox.width / ratio)

    css_x, css_y, figure_width = on_server(figure_css)
    box = canvas.bounding_box()
    assert box is not None, "the canvas is not displayed"
    scale = box["width"] / figure_width  # 1 unless the page scales the canvas down
    return Point(box["x"] + css_x * scale, box["y"] + css_y * scale)


def axes_point(canvas: Locator, figure: Figure, ax: Axes, fx: float, fy: float) -> Point:
    """Where the point at fractions (``fx``, ``fy``) of ``ax`` (from its bottom-left) is."""
    low_x, high_x = on_server(ax.get_xlim)
    low_y, high_y = on_server(ax.get_ylim)
    return data_to_page(
        canvas, figure, ax, low_x + fx * (high_x - low_x), low_y + fy * (high_y - low_y)
    )


def data_per_css_px(figure: Figure, ax: Axes) -> tuple[float, float]:
    """How much data one CSS pixel spans in ``ax``, along x and y."""

    def compute() -> tuple[float, float]:
        ratio = figure.canvas.device_pixel_ratio
        low_x, high_x = ax.get_xlim()
        low_y, high_y = ax.get_ylim()
        return (
            float((high_x - low_x) / (ax.bbox.width / ratio)),
            float((high_y - low_y) / (ax.bbox.height / ratio)),
        )

    return on_server(compute)


RED = (255, 0, 0)
BLUE = (0, 0, 255)


def line_figure(
    label: str = "", colour: str = "#ff0000", figsize: tuple[float, float] = (6.4, 4.8)
) -> tuple[Figure, Axes, Any]:
    """A pyplot figure with one thick line from (0, 0) over (1, 1) to (2, 0)."""
    import matplotlib.pyplot as plt

    options: dict[str, Any] = {"num": label} if label else {}
    figure, ax = plt.subplots(figsize=figsize, dpi=100, **options)
    (line,) = ax.plot([0, 1, 2], [0, 1, 0], color=colour, linewidth=10)
    ax.set_xlim(-0.5, 2.5)
    ax.set_ylim(-0.5, 1.5)
    return figure, ax, line


def drag(page: Page, start: Point, end: Point, steps: int = 12, hold: bool = False) -> None:
    """Press the left button at ``start``, move to ``end`` in ``steps`` moves, release.

    With ``hold``, the button stays down; release it with ``page.mouse.up()``.
    """
    page.mouse.move(start.x, start.y)
    page.mouse.down()
    for step in range(1, steps + 1):
        fraction = step / steps
        page.mouse.move(
            start.x + (end.x - start.x) * fraction, start.y + (end.y - start.y) * fraction
        )
        # One animation frame per move, so the client (which sends at most one motion per
        # frame) reports the path rather than only its end.
        page.evaluate("() => new Promise(resolve => requestAnimationFrame(() => resolve()))")
    if not hold:
        page.mouse.up()


def pan_drag_and_check(view: FigureOnPage, figure: Figure, ax: Axes) -> None:
    """With the pan tool on, drag the middle of ``ax`` 120 CSS px left and 40 down; wait
    until the server's view moved as dragged, then until the canvas shows a new picture."""
    pixels_before = view.pixels()
    low, high = xlim(ax)
    step_x, step_y = data_per_css_px(figure, ax)
    start = view.axes_point(figure, ax, 0.5, 0.5)
    drag(view.page, start, Point(start.x - 120, start.y + 40))

    # Dragging the plot 120 CSS px to the left shows what was 120 px to the right of it.
    expected = (low + 120 * step_x, high + 120 * step_x)
    wait_until(
        lambda: np.allclose(xlim(ax), expected, atol=2 * step_x),
        page=view.page,
        message=lambda: f"xlim {expected}, not {xlim(ax)}",
    )
    # And 40 px down shows what was 40 px above.
    assert on_server(ax.get_ylim) == pytest.approx(
        (-0.5 + 40 * step_y, 1.5 + 40 * step_y), abs=2 * step_y
    )
    view.wait_pixels_change(pixels_before)
