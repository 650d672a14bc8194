"""matplotlib's selectors and cursors in the browser, blitting as on a desktop: a region
dragged, a lasso drawn, a polygon clicked, a crosshair that follows the pointer. Each test
checks the widget's state on the server and that the page then shows exactly Agg's picture."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.backend_bases import MouseEvent
from matplotlib.path import Path
from matplotlib.widgets import (
    Cursor,
    LassoSelector,
    MultiCursor,
    PolygonSelector,
    RectangleSelector,
    SpanSelector,
)

from ..waiting import wait_until
from .helpers import FigureOnPage, Pixels, Point, data_per_css_px, on_server
from .people import click, drag_through, settles_on_agg, shown, small_figure

pytestmark = pytest.mark.browser


def unit_axes(ax: Axes) -> Axes:
    """``ax`` spanning 0 to 1 both ways, with a few points on it."""
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.plot([0.1, 0.5, 0.9], [0.2, 0.8, 0.3], "o-", color="0.5")
    return ax


def path_of(
    view: FigureOnPage, figure: Any, ax: Axes, *corners: tuple[float, float]
) -> list[Point]:
    """Page points along the straight lines between data ``corners``, a few per side."""
    points = [view.data_to_page(figure, ax, x, y) for x, y in corners]
    along = [points[0]]
    for start, end in itertools.pairwise(points):
        along += [
            Point(start.x + (end.x - start.x) * k / 4, start.y + (end.y - start.y) * k / 4)
            for k in range(1, 5)
        ]
    return along


def tolerance(figure: Any, ax: Axes) -> float:
    """Two CSS pixels of ``ax``'s data, the larger way: where a pointer lands, at most."""
    return 2 * max(data_per_css_px(figure, ax))


def test_a_rectangle_selector_selects_what_was_dragged(open_page: Any) -> None:
    figure, ax = small_figure()
    unit_axes(ax)
    selections: list[tuple[float, float, float, float]] = []

    def selected(press: MouseEvent, release: MouseEvent) -> None:
        selections.append((press.xdata, release.xdata, press.ydata, release.ydata))

    selector = RectangleSelector(ax, selected, useblit=True, interactive=True)
    view = shown(open_page, figure)
    before = view.pixels()
    drag_through(view, path_of(view, figure, ax, (0.2, 0.3), (0.7, 0.6)))
    wait_until(lambda: selections, page=view.page, message="the rectangle's onselect")
    atol = tolerance(figure, ax)
    assert selections[0] == pytest.approx((0.2, 0.7, 0.3, 0.6), abs=atol)
    assert on_server(lambda: selector.extents) == pytest.approx((0.2, 0.7, 0.3, 0.6), abs=atol)
    settles_on_agg(view, figure)
    assert not np.array_equal(view.pixels(), before)  # the rectangle and its handles show


def test_a_span_selector_selects_the_span_dragged(open_page: Any) -> None:
    figure, ax = small_figure()
    unit_axes(ax)
    spans: list[tuple[float, float]] = []
    selector = SpanSelector(
        ax,
        lambda low, high: spans.append((low, high)),
        "horizontal",
        useblit=True,
        interactive=True,
        props={"facecolor": "red", "alpha": 0.4},
    )
    view = shown(open_page, figure)
    drag_through(view, path_of(view, figure, ax, (0.8, 0.5), (0.3, 0.4)))
    wait_until(lambda: spans, page=view.page, message="the span's onselect")
    atol = tolerance(figure, ax)
    assert spans == [pytest.approx((0.3, 0.8), abs=atol)]
    assert on_server(lambda: selector.extents) == pytest.approx((0.3, 0.8), abs=atol)
    settles_on_agg(view, figure)


def test_a_lasso_selects_the_points_inside_it(open_page: Any) -> None:
    figure, ax = small_figure()
    ax.set(xlim=(0, 1), ylim=(0, 1))
    grid = np.array([(x, y) for x in np.arange(0.1, 1, 0.1) for y in np.arange(0.1, 1, 0.1)])
    ax.scatter(*grid.T, color="blue")
    chosen: list[np.ndarray] = []

    def lassoed(vertices: Any) -> None:
        chosen.append(Path(vertices).contains_points(grid))

    lasso = LassoSelector(ax, lassoed, useblit=True, props={"color": "red", "linewidth": 2})
    view = shown(open_page, figure)
    corners = [(0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75), (0.25, 0.27)]
    drag_through(view, path_of(view, figure, ax, *corners))
    wait_until(lambda: chosen, page=view.page, message="the lasso's onselect")
    inside = (grid > 0.25) & (grid < 0.75)
    assert np.flatnonzero(chosen[0]).tolist() == np.flatnonzero(inside.all(axis=1)).tolist()
    # The lasso's line is gone once released.
    assert on_server(lambda: lasso.verts) is None
    settles_on_agg(view, figure)


def test_a_polygon_selector_closes_on_its_first_vertex(open_page: Any) -> None:
    figure, ax = small_figure()
    unit_axes(ax)
    polygons: list[list[tuple[float, float]]] = []
    selector = PolygonSelector(ax, polygons.append, useblit=True)
    view = shown(open_page, figure)
    corners = [(0.2, 0.2), (0.8, 0.3), (0.5, 0.8)]
    for x, y in [*corners, corners[0]]:
        click(view, view.data_to_page(figure, ax, x, y))
    wait_until(lambda: polygons, page=view.page, message="the polygon's onselect")
    atol = tolerance(figure, ax)
    assert polygons[0] == [pytest.approx(corner, abs=atol) for corner in corners]
    assert on_server(lambda: selector.verts) == polygons[0]
    settles_on_agg(view, figure)


def red_across(pixels: Pixels, column: int | None = None, row: int | None = None) -> int:
    """How many pixels of ``column`` (or ``row``), give or take two, are clearly red."""
    band = (
        pixels[:, max(column - 2, 0) : column + 3]
        if column is not None
        else pixels[max(row - 2, 0) : row + 3]  # type: ignore[operator]
    )
    rgb = band[..., :3].astype(np.int16)
    red = (rgb[..., 0] > 200) & (rgb[..., 1] < 120) & (rgb[..., 2] < 120)
    return int(red.any(axis=1 if column is not None else 0).sum())


def canvas_xy(view: FigureOnPage, point: Point) -> tuple[int, int]:
    """The canvas pixel under page ``point`` (at device pixel ratio 1)."""
    box = view.canvas.bounding_box()
    assert box is not None
    return round(point.x - box["x"]), round(point.y - box["y"])


def axes_height(figure: Any, ax: Axes) -> float:
    return float(on_server(lambda: ax.bbox.height / figure.canvas.device_pixel_ratio))


def hover(view: FigureOnPage, point: Point) -> None:
    view.page.mouse.move(point.x, point.y, steps=3)


def test_a_blitting_cursor_shows_its_crosshair_where_the_pointer_is(open_page: Any) -> None:
    figure, ax = small_figure()
    unit_axes(ax)
    cursor = Cursor(ax, useblit=True, color="red", linewidth=2)
    view = shown(open_page, figure)
    height = axes_height(figure, ax)
    for x, y in [(0.3, 0.6), (0.7, 0.2)]:
        point = view.data_to_page(figure, ax, x, y)
        hover(view, point)
        column, row = canvas_xy(view, point)
        pixels = view.wait_pixels(
            lambda p, c=column: red_across(p, column=c) > 0.9 * height,
            f"the crosshair's vertical line at x={x}",
        )
        assert red_across(pixels, row=row) > 0.9 * on_server(lambda: ax.bbox.width)
        assert on_server(lambda: cursor.linev.get_xdata()[0]) == pytest.approx(
            x, abs=tolerance(figure, ax)
        )
        settles_on_agg(view, figure)
    # The first place's lines are gone.
    first_column, _ = canvas_xy(view, view.data_to_page(figure, ax, 0.3, 0.6))
    assert red_across(view.pixels(), column=first_column) < 0.1 * height


def test_a_blitting_multicursor_spans_every_axes_it_follows(open_page: Any) -> None:
    figure, (top, bottom) = small_figure(rows=2, sharex=True)
    unit_axes(top)
    unit_axes(bottom)
    multi = MultiCursor((top, bottom), useblit=True, color="red", lw=2)
    view = shown(open_page, figure)
    point = view.data_to_page(figure, bottom, 0.6, 0.5)
    hover(view, point)
    column, _ = canvas_xy(view, point)
    both = axes_height(figure, top) + axes_height(figure, bottom)
    view.wait_pixels(
        lambda p: red_across(p, column=column) > 0.9 * both, "a vertical line in both axes"
    )
    assert (
        on_server(lambda: [line.get_xdata()[0] for line in multi.vlines])
        == [pytest.approx(0.6, abs=tolerance(figure, bottom))] * 2
    )
    settles_on_agg(view, figure)


def test_a_crosshair_the_script_blits_over_a_background_it_keeps(open_page: Any) -> None:
    """The way matplotlib's ``cursor_demo`` does it: the crosshair is an ordinary artist,
    hidden for a draw whose picture is kept as the background at each draw_event, and blitted
    over it at each move; the figure is stale all along, and must not be drawn for that."""
    figure, ax = small_figure()
    unit_axes(ax)
    vertical = ax.axvline(0.5, color="red", lw=2)
    horizontal = ax.axhline(0.5, color="red", lw=2)
    background: list[Any] = []

    def keep_background(_: Any) -> None:
        if background and background[0] is None:
            return  # the draw just below
        background[:] = [None]
        for line in (vertical, horizontal):
            line.set_visible(False)
        figure.canvas.draw()
        background[:] = [figure.canvas.copy_from_bbox(ax.bbox)]
        for line in (vertical, horizontal):
            line.set_visible(True)

    def follow(event: Any) -> None:
        if not event.inaxes or not background:
            return
        vertical.set_xdata([event.xdata])
        horizontal.set_ydata([event.ydata])
        figure.canvas.restore_region(background[0])
        ax.draw_artist(vertical)
        ax.draw_artist(horizontal)
        figure.canvas.blit(ax.bbox)

    figure.canvas.mpl_connect("draw_event", keep_background)
    figure.canvas.mpl_connect("motion_notify_event", follow)
    view = shown(open_page, figure)
    height = axes_height(figure, ax)
    point = view.data_to_page(figure, ax, 0.25, 0.75)
    hover(view, point)
    column, row = canvas_xy(view, point)
    pixels = view.wait_pixels(
        lambda p: red_across(p, column=column) > 0.9 * height, "the crosshair at the pointer"
    )
    assert red_across(pixels, row=row) > 0.9 * on_server(lambda: ax.bbox.width)
    middle, _ = canvas_xy(view, view.data_to_page(figure, ax, 0.5, 0.5))
    assert red_across(pixels, column=middle) < 0.1 * height  # not where it was drawn
    settles_on_agg(view, figure)
