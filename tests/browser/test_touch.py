"""Fingers on a figure, in Chromium's touch emulation: one finger acts as the mouse (pan mode
pans, zoom mode draws the box, callbacks get press, moves and release); two fingers pinch-zoom
and pan the axes under them in any mode, previewed before the server's frame, applied as one
view change that ``back`` undoes; the page neither scrolls nor zooms meanwhile; the toolbar
is sized for fingers.

Touches go through the DevTools protocol (``Input.dispatchTouchEvent``), as a touch screen
delivers them: several points at once, each move one event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .helpers import (
    FigureOnPage,
    Pixels,
    Point,
    agg_pixels,
    data_per_css_px,
    line_figure,
    on_server,
    wait_until,
    without_corners,
)
from .test_preview import (
    GATE_TIMEOUT,
    DrawGate,
    FrameCounter,
    choose_tool,
    data_box,
    whole_point,
)
from .test_wheel import (
    RATIO,
    SHORT,
    agg_copy,
    device_point,
    next_frame,
    red_extent,
    scroll_y,
)

pytestmark = pytest.mark.browser

Limits = tuple[tuple[float, float], tuple[float, float]]
# The resize grip a finger holds, CSS px a side (webfig.css, pointer: coarse).
COARSE_RESIZE_HANDLE = 28


def seen_as_picture(pixels: Pixels) -> Pixels:
    """What is seen of the canvas, less what the page lays over it for fingers."""
    handle = COARSE_RESIZE_HANDLE * RATIO
    blanked = without_corners(pixels, RATIO)
    blanked[-handle:, -handle:] = 0
    return blanked


def wait_agg(view: FigureOnPage, figure: Figure) -> None:
    wait_until(
        lambda: np.array_equal(
            seen_as_picture(view.visible_pixels()), seen_as_picture(agg_pixels(figure))
        ),
        page=view.page,
        message="what the canvas shows to equal Agg's buffer",
    )


@pytest.fixture
def touch_page(open_page: Callable[..., Any]) -> Callable[[Figure], FigureOnPage]:
    """``touch_page(figure)``: the figure on its own page in a touch screen's browser (a
    coarse pointer, touch events), a window shorter than the page."""

    def open_(figure: Figure) -> FigureOnPage:
        page = open_page(
            f"/{figure.number}", device_scale_factor=RATIO, viewport=SHORT, has_touch=True
        )
        view = FigureOnPage(page, figure.number)
        view.wait_ready()
        return view

    return open_


class Fingers:
    """Touches on a page, as a touch screen sends them."""

    def __init__(self, view: FigureOnPage) -> None:
        self._view = view
        self._session = view.page.context.new_cdp_session(view.page)

    def _send(self, kind: str, points: list[Point]) -> None:
        touches = [{"x": p.x, "y": p.y, "id": number} for number, p in enumerate(points)]
        self._session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touches})

    def down(self, *points: Point) -> None:
        self._send("touchStart", list(points))

    def move(self, *points: Point) -> None:
        self._send("touchMove", list(points))
        next_frame(self._view)

    def up(self) -> None:
        self._send("touchEnd", [])

    def drag(self, start: list[Point], end: list[Point], steps: int = 8) -> None:
        """Fingers down at ``start``, moved in ``steps`` to ``end``; still down."""
        self.down(*start)
        for step in range(1, steps + 1):
            t = step / steps
            self.move(
                *(
                    Point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
                    for a, b in zip(start, end, strict=True)
                )
            )


def limits(ax: Axes) -> Limits:
    return on_server(lambda: (ax.get_xlim(), ax.get_ylim()))


def wait_limits(view: FigureOnPage, ax: Axes, check: Callable[[Limits], bool], what: str) -> None:
    wait_until(
        lambda: check(limits(ax)),
        page=view.page,
        message=lambda: f"{what}; limits {limits(ax)}",
    )


def close(found: Limits, expected: Limits, tolerance: tuple[float, float]) -> bool:
    return bool(
        np.allclose(found[0], expected[0], atol=tolerance[0], rtol=0)
        and np.allclose(found[1], expected[1], atol=tolerance[1], rtol=0)
    )


def test_one_finger_pans_in_pan_mode(touch_page: Callable[[Figure], FigureOnPage]) -> None:
    figure, ax, _ = line_figure()
    view = touch_page(figure)
    choose_tool(view, "pan")
    (x0, x1), (y0, y1) = limits(ax)
    step_x, step_y = data_per_css_px(figure, ax)
    start = whole_point(view, figure, ax, 0.5, 0.5)
    fingers = Fingers(view)
    fingers.drag([start], [Point(start.x - 60, start.y + 20)])
    fingers.up()
    # The data follow the finger: 60 CSS px left shows what was right of the view, 20 down
    # what was above it (within a pixel of the last move the figure got).
    expected = ((x0 + 60 * step_x, x1 + 60 * step_x), (y0 + 20 * step_y, y1 + 20 * step_y))
    wait_limits(view, ax, lambda found: close(found, expected, (step_x, step_y)), "the view panned")
    assert scroll_y(view) == 0
    wait_agg(view, figure)


def test_one_finger_draws_the_zoom_box_in_zoom_mode(
    touch_page: Callable[[Figure], FigureOnPage],
) -> None:
    figure, ax, _ = line_figure()
    view = touch_page(figure)
    choose_tool(view, "zoom")
    step_x, step_y = data_per_css_px(figure, ax)
    start = whole_point(view, figure, ax, 0.25, 0.25)
    end = whole_point(view, figure, ax, 0.75, 0.75)
    fingers = Fingers(view)
    fingers.drag([start], [end])
    fingers.up()
    # The box from a quarter to three quarters of (-0.5, 2.5) × (-0.5, 1.5).
    expected = ((0.25, 1.75), (0.0, 1.0))
    wait_limits(view, ax, lambda found: close(found, expected, (step_x, step_y)), "the view zoomed")
    wait_agg(view, figure)


def test_one_finger_reaches_callbacks_as_press_moves_and_release(
    touch_page: Callable[[Figure], FigureOnPage],
) -> None:
    figure, ax, _ = line_figure()
    heard: list[tuple[str, Any]] = []
    for name in ("button_press_event", "motion_notify_event", "button_release_event"):
        figure.canvas.mpl_connect(name, lambda event: heard.append((event.name, event.button)))
    view = touch_page(figure)
    start = whole_point(view, figure, ax, 0.3, 0.3)
    fingers = Fingers(view)
    fingers.drag([start], [Point(start.x + 80, start.y - 40)])
    fingers.up()
    wait_until(
        lambda: heard and heard[-1][0] == "button_release_event",
        page=view.page,
        message=lambda: f"a release, after {heard}",
    )
    names = [name for name, _ in heard]
    drag = names[names.index("button_press_event") :]
    # A press, the finger's moves with the button held, a release: a widget's drag.
    assert drag[0] == "button_press_event"
    assert drag[-1] == "button_release_event"
    moves = [button for name, button in heard[len(names) - len(drag) :] if "motion" in name]
    assert len(moves) >= 3
    assert all(button == 1 for button in moves)
    assert names.count("button_press_event") == 1


def pinched(
    figure: Figure, ax: Axes, centre: tuple[float, float], scale: float, shift: tuple[float, float]
) -> Limits:
    """``ax``'s limits after its picture was scaled by ``scale`` about device point ``centre``
    and moved by ``shift`` (device px, from the top-left): each edge of its box then shows
    what was at the pixel the pinch brought there."""
    twin, twin_ax = agg_copy(figure, ax)
    height = twin.bbox.height
    cx, cy = centre[0], height - centre[1]
    dx, dy = shift[0], -shift[1]
    x0, y0, x1, y1 = twin_ax.bbox.extents
    corners = [
        (cx + (x - cx - dx) / scale, cy + (y - cy - dy) / scale) for x, y in [(x0, y0), (x1, y1)]
    ]
    (left, bottom), (right, top) = twin_ax.transData.inverted().transform(corners)
    return (float(left), float(right)), (float(bottom), float(top))


def pinch(view: FigureOnPage, centre: Point, half: float, spread: float, shift: Point) -> Fingers:
    """Two fingers ``half`` CSS px either side of ``centre``, spread to ``spread`` either
    side as their midpoint moves by ``shift``; still down."""
    fingers = Fingers(view)
    end = Point(centre.x + shift.x, centre.y + shift.y)
    fingers.drag(
        [Point(centre.x - half, centre.y), Point(centre.x + half, centre.y)],
        [Point(end.x - spread, end.y), Point(end.x + spread, end.y)],
    )
    return fingers


@pytest.mark.parametrize("mode", ["", "zoom"])
def test_two_fingers_pinch_previewed_then_one_view_change_that_back_undoes(
    touch_page: Callable[[Figure], FigureOnPage], mode: str
) -> None:
    figure, ax, _ = line_figure()
    gate = DrawGate(figure)
    view = touch_page(figure)
    if mode:
        choose_tool(view, mode)
    counter = FrameCounter(view.page)
    before_limits = limits(ax)
    centre = whole_point(view, figure, ax, 0.5, 0.5)
    at = device_point(view, centre)
    scale, shift = 1.25, Point(10, -6)
    expected = pinched(figure, ax, at, scale, (shift.x * RATIO, shift.y * RATIO))
    box = data_box(figure, ax)
    before = view.visible_pixels()
    top, left = red_extent(before, box)
    frames = counter.frames
    try:
        gate.close()
        fingers = pinch(view, centre, 40, 50, shift)
        # Before any frame: the picture scaled by 1.25 about the first midpoint, moved with it.
        expected_top = at[1] + shift.y * RATIO + (top - at[1]) * scale
        expected_left = at[0] + shift.x * RATIO + (left - at[0]) * scale

        def pinched_picture(pixels: Pixels) -> bool:
            shown_top, shown_left = red_extent(pixels, box)
            return abs(shown_top - expected_top) <= 3 and abs(shown_left - expected_left) <= 3

        view.wait_pixels(pinched_picture, "the picture pinched", visible=True)
        assert counter.frames == frames
        assert limits(ax) == before_limits
        fingers.up()
        gate.waiting.wait(GATE_TIMEOUT)
    finally:
        gate.open()

    wait_limits(view, ax, lambda found: close(found, expected, (1e-9, 1e-9)), "the pinch applied")
    assert scroll_y(view) == 0
    assert view.page.evaluate("() => visualViewport.scale") == 1
    wait_agg(view, figure)
    # One view change: back goes to the view before the pinch in one step.
    view.tool("back").click()
    wait_limits(view, ax, lambda found: found == before_limits, "back to the first view")
    wait_agg(view, figure)


def test_a_pinch_on_a_log_axes_keeps_the_data_under_the_fingers(
    touch_page: Callable[[Figure], FigureOnPage],
) -> None:
    figure, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    x = np.logspace(0, 3, 50)
    ax.plot(x, np.sin(np.log(x) * 3), color="#ff0000", linewidth=6)
    ax.set(xscale="log", xlim=(1, 1000), ylim=(-1.5, 1.5))
    view = touch_page(figure)
    centre = whole_point(view, figure, ax, 0.4, 0.5)
    expected = pinched(figure, ax, device_point(view, centre), 0.8, (-12 * RATIO, 0))
    fingers = pinch(view, centre, 50, 40, Point(-12, 0))
    fingers.up()
    wait_limits(view, ax, lambda found: close(found, expected, (1e-6, 1e-9)), "the pinch applied")
    wait_agg(view, figure)


def test_a_pinch_without_the_preview_is_applied_when_the_fingers_lift(
    touch_page: Callable[[Figure], FigureOnPage], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBFIG_PREVIEW", "0")
    figure, ax, _ = line_figure()
    view = touch_page(figure)
    centre = whole_point(view, figure, ax, 0.5, 0.5)
    expected = pinched(figure, ax, device_point(view, centre), 1.25, (8 * RATIO, 0))
    fingers = pinch(view, centre, 40, 50, Point(8, 0))
    fingers.up()
    wait_limits(view, ax, lambda found: close(found, expected, (1e-9, 1e-9)), "the pinch applied")
    assert scroll_y(view) == 0
    wait_agg(view, figure)


def test_the_toolbar_is_sized_for_fingers(touch_page: Callable[[Figure], FigureOnPage]) -> None:
    figure, _, _ = line_figure()
    view = touch_page(figure)
    buttons = view.root.locator("button.webfig-tool:visible")
    assert buttons.count() >= 6
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        assert box is not None
        assert box["width"] >= 44
        assert box["height"] >= 44
    box = view.format.bounding_box()
    assert box is not None
    assert box["height"] >= 44


def test_two_fingers_are_no_press_for_callbacks(
    touch_page: Callable[[Figure], FigureOnPage],
) -> None:
    figure, ax, _ = line_figure()
    heard: list[str] = []
    for name in ("button_press_event", "button_release_event"):
        figure.canvas.mpl_connect(name, lambda event: heard.append(event.name))
    view = touch_page(figure)
    before = limits(ax)
    fingers = pinch(view, whole_point(view, figure, ax, 0.5, 0.5), 40, 60, Point(0, 0))
    fingers.up()
    wait_limits(view, ax, lambda found: found != before, "the pinch applied")
    # The fingers landed together: matplotlib never heard of the first as a mouse.
    assert heard == []


def test_a_second_finger_ends_a_pan_and_pinches_as_a_change_of_its_own(
    touch_page: Callable[[Figure], FigureOnPage],
) -> None:
    figure, ax, _ = line_figure()
    view = touch_page(figure)
    choose_tool(view, "pan")
    first = limits(ax)
    start = whole_point(view, figure, ax, 0.4, 0.5)
    fingers = Fingers(view)
    # One finger pans 40 CSS px left (the mouse, once it moved)...
    fingers.drag([start], [Point(start.x - 40, start.y)])
    panned = Point(start.x - 40, start.y)
    wait_limits(view, ax, lambda found: found[0] != first[0], "the finger to pan")
    # ... then a second lands and the two spread apart.
    other = Point(panned.x + 60, panned.y)
    fingers.drag([panned, other], [Point(panned.x - 30, panned.y), Point(other.x + 30, other.y)])
    fingers.up()
    wait_limits(view, ax, lambda found: found[0][1] - found[0][0] < 2.9, "the pinch applied")
    pinched_view = limits(ax)
    # Back goes to the pan's view, then to the first one: two view changes.
    view.tool("back").click()
    wait_limits(view, ax, lambda found: found != pinched_view, "back from the pinch")
    after_pan = limits(ax)
    assert after_pan != first
    assert after_pan[0][1] - after_pan[0][0] == pytest.approx(3.0)
    view.tool("back").click()
    wait_limits(view, ax, lambda found: found == first, "back to the first view")
