"""Callbacks that span figures, on the page that shows them all: matplotlib's MultiCursor
across two figures (its multicursor example), a click in one figure that zooms another (its
zoom_window example). Each figure draws on its own thread; neither may stop the other."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.widgets import MultiCursor

from ..waiting import wait_until
from .helpers import RED, FigureOnPage, Pixels, Point, on_server
from .people import click, settles_on_agg, wait_for_state

pytestmark = pytest.mark.browser


def reds_in_column(pixels: Pixels, column: int) -> int:
    """How many red pixels the column of ``pixels`` holds, a pixel either side included."""
    strip = pixels[:, max(column - 1, 0) : column + 2, :3].astype(int)
    return int((np.abs(strip - RED) <= 40).all(axis=-1).any(axis=1).sum())


def column_of(view: FigureOnPage, point: Point) -> int:
    box = view.canvas.bounding_box()
    assert box is not None
    return round(point.x - box["x"])


def both_shown(open_page: Any, first: Any, second: Any) -> tuple[FigureOnPage, FigureOnPage]:
    page = open_page("/")
    views = FigureOnPage(page, first.number), FigureOnPage(page, second.number)
    for view in views:
        view.wait_ready()
    return views


def test_a_multicursor_across_two_figures_follows_the_pointer_in_both(open_page: Any) -> None:
    t = np.linspace(0, 1, 100)
    first, (top, bottom) = plt.subplots(2, sharex=True, figsize=(4, 3), dpi=100)
    second, ax = plt.subplots(figsize=(4, 2), dpi=100)
    for axes, frequency in ((top, 1), (bottom, 2), (ax, 3)):
        axes.plot(t, np.sin(2 * np.pi * frequency * t), color="blue")
        axes.set_xlim(0, 1)
    multi = MultiCursor((top, bottom, ax), color="red", lw=2)
    views = both_shown(open_page, first, second)
    page = views[0].page

    for view, figure, axes, x in ((views[0], first, bottom, 0.6), (views[1], second, ax, 0.3)):
        point = view.data_to_page(figure, axes, x, 0.0)
        page.mouse.move(point.x, point.y, steps=4)
        wait_for_state(
            view, lambda: [round(float(line.get_xdata()[0]), 2) for line in multi.vlines], [x] * 3
        )
        for each, shown in zip((first, second), views, strict=True):
            settles_on_agg(shown, each)
        # The line crosses every axes, in both figures, where the pointer's x is.
        for shown, each, axes_list in ((views[0], first, (top, bottom)), (views[1], second, (ax,))):
            column = column_of(shown, shown.data_to_page(each, axes_list[0], x, 0))
            height = sum(on_server(lambda a=a: a.bbox.height) for a in axes_list)
            assert reds_in_column(shown.pixels(), column) > 0.9 * height


def test_a_click_in_one_figure_zooms_another(open_page: Any) -> None:
    points = np.random.default_rng(1).random((2, 200))
    source, source_ax = plt.subplots(figsize=(3, 3), dpi=100, num="Click to zoom")
    zoom, zoom_ax = plt.subplots(figsize=(3, 3), dpi=100, num="Zoom window")
    for axes in (source_ax, zoom_ax):
        axes.scatter(*points, s=30, color="blue")
        axes.set(xlim=(0, 1), ylim=(0, 1), autoscale_on=False)

    def zoom_about(event: Any) -> None:
        if event.inaxes is source_ax:
            zoom_ax.set(
                xlim=(event.xdata - 0.1, event.xdata + 0.1),
                ylim=(event.ydata - 0.1, event.ydata + 0.1),
            )
            zoom.canvas.draw()

    source.canvas.mpl_connect("button_press_event", zoom_about)
    source_view, zoom_view = both_shown(open_page, source, zoom)
    before = zoom_view.pixels()
    click(source_view, source_view.data_to_page(source, source_ax, 0.3, 0.7))
    wait_until(
        lambda: on_server(zoom_ax.get_xlim) == pytest.approx((0.2, 0.4), abs=0.02),
        page=zoom_view.page,
        message=lambda: f"the zoom window about x = 0.3, not {on_server(zoom_ax.get_xlim)}",
    )
    assert on_server(zoom_ax.get_ylim) == pytest.approx((0.6, 0.8), abs=0.02)
    settles_on_agg(zoom_view, zoom)
    assert not np.array_equal(zoom_view.pixels(), before)
    settles_on_agg(source_view, source)
