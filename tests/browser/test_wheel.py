"""The wheel over a figure, as a person turns it: control, x or y held zoom the axes under the
pointer as matplotlib's ``scroll_handler`` does (0.85 per notch about the pointer), previewed
before the server's frame; a plain wheel scrolls the page, unless the script listens to it.

The figure's draws wait at a gate the test opens, so "before the server's frame" holds by
construction; what the screen shows is read from a screenshot (the preview moves layers
over the canvas).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.backend_bases import MouseEvent, scroll_handler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from playwright.sync_api import Page

from .helpers import (
    FigureOnPage,
    Pixels,
    Point,
    line_figure,
    on_server,
    wait_until,
)
from .test_preview import (
    GATE_TIMEOUT,
    Box,
    DrawGate,
    FrameCounter,
    data_box,
    wait_agg,
    whole_point,
)

pytestmark = pytest.mark.browser

RATIO = 2
# A window the figure fits in; the page is made longer (``make_scrollable``), so that a wheel
# the page gets scrolls it.
SHORT = {"width": 900, "height": 700}
# matplotlib's zoom per notch (backend_bases.scroll_handler).
ZOOM_PER_STEP = 0.85
# Chromium's wheel delta for one notch of a mouse wheel, in CSS px.
NOTCH = 100


def next_frame(view: FigureOnPage) -> None:
    view.page.evaluate("() => new Promise(resolve => requestAnimationFrame(() => resolve()))")


def make_scrollable(view: FigureOnPage) -> None:
    """Room below the figure, so the page can scroll."""
    view.page.evaluate(
        """() => document.body.append(
            Object.assign(document.createElement("div"), { style: "height: 2000px" })
        )"""
    )
    assert view.page.evaluate("() => document.scrollingElement.scrollHeight > innerHeight")


def record_wheels(view: FigureOnPage) -> None:
    """The page keeps, for each wheel event that reaches the window, whether the figure kept
    it from the browser (``defaultPrevented``: no scroll, no page zoom)."""
    make_scrollable(view)
    view.page.evaluate(
        """() => {
            window.wheels = []
            addEventListener("wheel", (event) => wheels.push(event.defaultPrevented))
        }"""
    )


def wheels(view: FigureOnPage) -> list[bool]:
    result: list[bool] = view.page.evaluate("() => wheels")
    return result


class SentSteps:
    """The wheel steps a page sends its figures (``scroll`` messages' ``step``): a notch is
    as many steps as the client makes of the browser's delta, which matplotlib then zooms by."""

    def __init__(self, page: Page) -> None:
        self.steps: list[float] = []
        page.on("websocket", lambda socket: socket.on("framesent", self._sent))

    def _sent(self, payload: str | bytes) -> None:
        if isinstance(payload, str) and '"scroll"' in payload:
            message = json.loads(payload)
            if message.get("type") == "scroll":
                self.steps.append(float(message["step"]))


def scroll_y(view: FigureOnPage) -> float:
    value: float = view.page.evaluate("() => scrollY")
    return value


def device_point(view: FigureOnPage, point: Point) -> tuple[float, float]:
    """Where a page point is on the canvas, in device pixels from its top-left corner, as
    the client measures it."""
    box = view.canvas.bounding_box()
    assert box is not None
    return (point.x - box["x"]) * RATIO, (point.y - box["y"]) * RATIO


def agg_copy(figure: Figure, ax: Axes) -> tuple[Figure, Axes]:
    """A figure of Agg's of ``figure``'s size with an axes where ``ax`` is, with its limits
    and scales: matplotlib's navigation math run on it is what it does to ``ax``."""

    def copy() -> tuple[Figure, Axes]:
        twin = Figure(figsize=figure.get_size_inches(), dpi=figure.dpi)
        # Its math only: matplotlib's navigation asks it to draw, which it need not.
        FigureCanvasAgg(twin).draw_idle = lambda *args, **kwargs: None  # type: ignore[method-assign]
        twin_ax = twin.add_axes(ax.get_position())
        twin_ax.set(xscale=ax.get_xscale(), yscale=ax.get_yscale())
        twin_ax.set(xlim=ax.get_xlim(), ylim=ax.get_ylim())
        return twin, twin_ax

    return on_server(copy)


def wheel_zoomed(
    copy: tuple[Figure, Axes], at: tuple[float, float], steps: list[float], key: str
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The limits of the axes ``copy`` (an ``agg_copy`` made before the wheel turned) after
    matplotlib's wheel zoom (``scroll_handler``, its own code) of ``steps`` at device point
    ``at`` (from the top-left) with ``key`` held."""
    twin, twin_ax = copy

    class History:
        def push_current(self) -> None:
            pass

    for step in steps:
        event = MouseEvent("scroll_event", twin.canvas, at[0], twin.bbox.height - at[1], step=step)
        event.key = key
        scroll_handler(event, toolbar=History())
    return twin_ax.get_xlim(), twin_ax.get_ylim()


def red_extent(pixels: Pixels, box: Box) -> tuple[int, int]:
    """The topmost row and leftmost column of the red line in ``box``, in canvas pixels."""
    area = box.of(pixels).astype(int)
    red = (area[..., 0] > 200) & (area[..., 1] < 90) & (area[..., 2] < 90)
    rows, columns = np.nonzero(red)
    assert rows.size, "no red in the box"
    return box.y + int(rows.min()), box.x + int(columns.min())


Wheeled = tuple[Figure, Axes, DrawGate, FigureOnPage, SentSteps, FrameCounter]


@pytest.fixture
def line_on_short_page(open_page: Any) -> Iterator[Wheeled]:
    figure, ax, _ = line_figure()
    gate = DrawGate(figure)
    page = open_page(f"/{figure.number}", device_scale_factor=RATIO, viewport=SHORT)
    sent = SentSteps(page)
    counter = FrameCounter(page)
    view = FigureOnPage(page, figure.number)
    view.wait_ready()
    record_wheels(view)
    yield figure, ax, gate, view, sent, counter
    gate.open()


def test_ctrl_wheel_zooms_at_once_about_the_pointer_and_settles_on_matplotlibs_view(
    line_on_short_page: Wheeled,
) -> None:
    figure, ax, gate, view, sent, counter = line_on_short_page
    page = view.page
    # The keys go to a text field elsewhere on the page: the figure hears no key press, and
    # only the wheel events themselves say control is held.
    page.evaluate(
        """() => {
            const field = document.createElement("input")
            field.id = "elsewhere"
            document.body.prepend(field)
            field.focus()
        }"""
    )
    pointer = whole_point(view, figure, ax, 0.5, 0.5)
    at = device_point(view, pointer)
    copy = agg_copy(figure, ax)
    box = data_box(figure, ax)
    before = view.visible_pixels()
    top, left = red_extent(before, box)
    frames = counter.frames

    gate.close()
    page.mouse.move(pointer.x, pointer.y)
    assert page.evaluate("() => document.activeElement.id") == "elsewhere"
    page.keyboard.down("Control")
    page.mouse.wheel(0, -NOTCH)
    next_frame(view)
    page.mouse.wheel(0, -NOTCH)
    page.keyboard.up("Control")
    gate.waiting.wait(GATE_TIMEOUT)  # the server is drawing the first step, held
    wait_until(lambda: len(sent.steps) == 2, page=page, message="two wheel steps sent")
    assert all(step > 0 for step in sent.steps)
    expected = wheel_zoomed(copy, at, sent.steps, "control")

    # Both notches show before any frame: the picture scaled by 1/0.85 per step about the
    # pointer.
    scale = ZOOM_PER_STEP ** -sum(sent.steps)
    expected_top = at[1] + (top - at[1]) * scale
    expected_left = at[0] + (left - at[0]) * scale

    def zoomed_twice(pixels: Pixels) -> bool:
        shown_top, shown_left = red_extent(pixels, box)
        return abs(shown_top - expected_top) <= 3 and abs(shown_left - expected_left) <= 3

    view.wait_pixels(zoomed_twice, "the picture zoomed in twice about the pointer", visible=True)
    assert counter.frames == frames
    # The browser neither scrolled nor zoomed the page.
    assert wheels(view) == [True, True]
    assert scroll_y(view) == 0

    gate.open()
    wait_until(
        lambda: (on_server(ax.get_xlim), on_server(ax.get_ylim)) == expected,
        page=page,
        message=lambda: f"limits {expected}, not {on_server(ax.get_xlim), on_server(ax.get_ylim)}",
    )
    wait_agg(view, figure)


def test_x_held_zooms_x_alone_and_the_page_does_not_scroll(
    line_on_short_page: Wheeled,
) -> None:
    figure, ax, _, view, sent, _ = line_on_short_page
    page = view.page
    pointer = whole_point(view, figure, ax, 0.3, 0.6)
    copy = agg_copy(figure, ax)
    # The figure under the pointer has the keys, as a desktop window does.
    page.mouse.move(pointer.x, pointer.y)
    page.keyboard.down("x")
    page.mouse.wheel(0, NOTCH)
    wait_until(lambda: sent.steps, page=page, message="a wheel step sent")
    assert sent.steps[0] < 0
    expected = wheel_zoomed(copy, device_point(view, pointer), sent.steps, "x")
    wait_until(
        lambda: (on_server(ax.get_xlim), on_server(ax.get_ylim)) == expected,
        page=page,
        message=lambda: f"limits {expected}, not {on_server(ax.get_xlim), on_server(ax.get_ylim)}",
    )
    page.keyboard.up("x")
    assert expected[1] == (-0.5, 1.5)
    assert wheels(view) == [True]
    assert scroll_y(view) == 0
    wait_agg(view, figure)


def test_a_plain_wheel_over_a_figure_nobody_listens_to_scrolls_the_page(
    line_on_short_page: Wheeled,
) -> None:
    figure, ax, _, view, _, _ = line_on_short_page
    pointer = whole_point(view, figure, ax, 0.5, 0.5)
    view.page.mouse.move(pointer.x, pointer.y)
    view.page.mouse.wheel(0, NOTCH)
    wait_until(lambda: scroll_y(view) > 0, page=view.page, message="the page to scroll")
    assert wheels(view) == [False]
    assert on_server(ax.get_xlim) == (-0.5, 2.5)


def slices_figure() -> tuple[Figure, list[float]]:
    """matplotlib's image_slices_viewer example, in short: the wheel steps through slices."""
    volume = np.random.default_rng(0).random((20, 20, 40))
    figure, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    index = [20]
    image = ax.imshow(volume[:, :, index[0]])
    steps: list[float] = []

    def on_scroll(event: Any) -> None:
        steps.append(event.step)
        index[0] = (index[0] + (1 if event.button == "up" else -1)) % volume.shape[2]
        image.set_data(volume[:, :, index[0]])
        ax.set_title(f"slice {index[0]}")
        figure.canvas.draw_idle()

    figure.canvas.mpl_connect("scroll_event", on_scroll)
    return figure, steps


def test_a_figure_whose_script_listens_gets_every_step_and_the_page_stays(
    open_page: Any,
) -> None:
    figure, steps = slices_figure()
    page = open_page(f"/{figure.number}", device_scale_factor=RATIO, viewport=SHORT)
    view = FigureOnPage(page, figure.number)
    view.wait_ready()
    record_wheels(view)
    box = view.canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 150)
    for delta in (NOTCH, NOTCH, NOTCH, -NOTCH, NOTCH):
        page.mouse.wheel(0, delta)
        next_frame(view)
    wait_until(lambda: len(steps) == 5, page=page, message=lambda: f"5 steps, not {steps}")
    assert [np.sign(step) for step in steps] == [-1, -1, -1, 1, -1]
    assert wheels(view) == [True] * 5
    assert scroll_y(view) == 0
    assert on_server(figure.axes[0].get_title) == "slice 17"
    wait_agg(view, figure)
