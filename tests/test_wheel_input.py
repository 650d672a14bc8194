"""A viewer's wheel as the figure sees it: the key matplotlib's wheel zoom reads, and whether
the page should keep the wheel from scrolling (``capture_scroll``)."""

from __future__ import annotations

from typing import Any

from matplotlib.backend_bases import MouseEvent
from matplotlib.widgets import RectangleSelector, SpanSelector

from webfig.wire.incoming import Mouse

from .test_manager import join, send


def wheel(x: float, y: float, step: float, modifiers: frozenset[str] = frozenset()) -> Mouse:
    return Mouse("scroll", x, y, 0, 0, step, modifiers, None)


def test_ctrl_held_in_the_wheel_event_zooms_without_a_key_press(figure: Any) -> None:
    ax = figure.axes[0]
    # A point in the axes, in device pixels from the top-left.
    x, y = ax.transData.transform((0.5, 0.25))
    top = figure.bbox.height - y
    canvas = figure.canvas
    with canvas.lock:
        canvas.dispatch_mouse(wheel(x, top, 1, frozenset({"ctrl"})))
    # matplotlib's scroll_handler: 0.85 of the range, about the pointer's data point (at the
    # position as sent: matplotlib's events keep it for xdata and ydata).
    px, py = ax.transData.inverted().transform((x, figure.bbox.height - top))
    assert ax.get_xlim() == (px - px * 0.85, px + (2 - px) * 0.85)
    assert ax.get_ylim() == (py - py * 0.85, py + (1 - py) * 0.85)


def test_a_plain_wheel_and_a_held_key_go_as_matplotlib_reckons_them(figure: Any) -> None:
    ax = figure.axes[0]
    keys: list[str | None] = []
    figure.canvas.mpl_connect("scroll_event", lambda event: keys.append(event.key))
    x, y = ax.transData.transform((1, 0.5))
    canvas = figure.canvas
    with canvas.lock:
        canvas.dispatch_mouse(wheel(x, figure.bbox.height - y, -1))
        assert ax.get_xlim() == (0, 2)
        canvas._key = "x"
        canvas.dispatch_mouse(wheel(x, figure.bbox.height - y, -1, frozenset({"ctrl"})))
    assert keys == [None, "x"]
    # "x" zooms x alone: out, by 1/0.85, about x = 1.
    low, high = ax.get_xlim()
    assert abs(low - (1 - 1 / 0.85)) < 1e-9
    assert abs(high - (1 + 1 / 0.85)) < 1e-9
    assert ax.get_ylim() == (0, 1)


def test_a_scroll_callback_captures_the_wheel_for_every_viewer(figure: Any) -> None:
    canvas = figure.canvas
    manager = canvas.manager
    viewer = join(manager)
    assert viewer.of_type("capture_scroll")[-1]["capture_scroll"] is False
    mark = len(viewer.messages)
    cid = canvas.mpl_connect("scroll_event", lambda event: None)
    assert viewer.wait_for_json("capture_scroll", after=mark)["capture_scroll"] is True
    assert canvas.capture_scroll
    mark = len(viewer.messages)
    canvas.mpl_disconnect(cid)
    assert viewer.wait_for_json("capture_scroll", after=mark)["capture_scroll"] is False
    # What the script sets wins, whoever listens.
    canvas.mpl_connect("scroll_event", lambda event: None)
    canvas.set_capture_scroll(False)
    assert not canvas.capture_scroll
    send(manager, viewer, "refresh")
    assert viewer.of_type("capture_scroll")[-1]["capture_scroll"] is False


def test_matplotlibs_own_wheel_handlers_do_not_capture_it(figure: Any) -> None:
    assert not figure.canvas.capture_scroll
    event = MouseEvent("scroll_event", figure.canvas, 10, 10, step=1)
    figure.canvas.callbacks.process("scroll_event", event)
    assert not figure.canvas.capture_scroll


def test_a_selector_that_ignores_the_wheel_does_not_capture_it(figure: Any) -> None:
    ax = figure.axes[0]
    selectors = [RectangleSelector(ax, lambda *_: None), SpanSelector(ax, print, "horizontal")]
    assert not figure.canvas.capture_scroll

    class WheelSelector(RectangleSelector):
        def _on_scroll(self, event: Any) -> None:
            self.wheeled = True

    selectors.append(WheelSelector(ax, lambda *_: None))
    assert figure.canvas.capture_scroll
