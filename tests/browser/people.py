"""What a person does with a figure's widgets in the browser, and what the tests of
``test_widgets``, ``test_selectors`` and ``test_events`` check after it: the widget's state on
the server, and a canvas that shows exactly Agg's picture."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from playwright.sync_api import Page

from ..waiting import wait_until
from .helpers import FigureOnPage, Point, agg_pixels, on_server

T = TypeVar("T")


def small_figure(rows: int = 1, **options: Any) -> tuple[Figure, Any]:
    """A pyplot figure of 4 × 3 in at 100 dpi, with ``rows`` axes; ``options`` go to
    ``plt.subplots``."""
    return plt.subplots(rows, figsize=(4, 3), dpi=100, **options)


def shown(open_page: Callable[..., Page], figure: Figure) -> FigureOnPage:
    """``figure`` on its own page, painted, with the pointer over it (so it has the keys)."""
    view = FigureOnPage.shown(open_page, figure)
    box = view.canvas.bounding_box()
    assert box is not None
    view.page.mouse.move(box["x"] + 2, box["y"] + 2)
    return view


def wait_for_state(view: FigureOnPage, read: Callable[[], T], expected: Any) -> T:
    """Wait until the widget's state, ``read()`` on the server's thread, equals ``expected``."""
    found: list[T] = []

    def check() -> bool:
        found[:] = [on_server(read)]
        return bool(found[0] == expected)

    wait_until(check, page=view.page, message=lambda: f"the state {expected!r}, not {found[0]!r}")
    return found[0]


def settles_on_agg(view: FigureOnPage, figure: Figure) -> None:
    """Wait until the canvas shows exactly the picture Agg has on the server."""
    view.wait_pixels(
        lambda pixels: (
            pixels.shape == agg_pixels(figure).shape and np.array_equal(pixels, agg_pixels(figure))
        ),
        "the canvas to equal Agg's picture",
    )


def at(view: FigureOnPage, figure: Figure, ax: Axes, fx: float, fy: float) -> Point:
    """The page point at fractions (``fx``, ``fy``) of ``ax``, from its bottom-left."""
    return view.axes_point(figure, ax, fx, fy)


def click(view: FigureOnPage, point: Point) -> None:
    """Move onto ``point`` as a hand does (the widget sees the pointer arrive), and click."""
    view.page.mouse.move(point.x, point.y, steps=3)
    view.page.mouse.click(point.x, point.y)


def drag_through(view: FigureOnPage, points: Sequence[Point]) -> None:
    """Press at the first point, move through the others (a move per display frame, as a
    hand does), release at the last."""
    page = view.page
    first, *rest = points
    page.mouse.move(first.x, first.y, steps=2)
    page.mouse.down()
    for point in rest:
        page.mouse.move(point.x, point.y, steps=2)
        page.evaluate("() => new Promise(resolve => requestAnimationFrame(() => resolve()))")
    page.mouse.up()


def data_xy(ax: Axes, point: Point, view: FigureOnPage, figure: Figure) -> tuple[float, float]:
    """The data coordinates of ``ax`` at page ``point`` (what matplotlib gets for it)."""
    box = view.canvas.bounding_box()
    assert box is not None

    def convert() -> tuple[float, float]:
        ratio = figure.canvas.device_pixel_ratio
        x = (point.x - box["x"]) * ratio
        y = figure.bbox.height - (point.y - box["y"]) * ratio
        data_x, data_y = ax.transData.inverted().transform((x, y))
        return float(data_x), float(data_y)

    return on_server(convert)
