"""Pan and zoom from the browser, and several tabs showing one figure."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from .helpers import (
    BLUE,
    RED,
    TIMEOUT_MS,
    FigureOnPage,
    Point,
    agg_pixels,
    colour_count,
    data_per_css_px,
    drag,
    line_figure,
    on_server,
    pan_drag_and_check,
    wait_until,
    xlim,
)

pytestmark = pytest.mark.browser


def choose_tool(view: FigureOnPage, name: str) -> None:
    view.tool(name).click()
    expect(view.tool(name)).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT_MS)


@pytest.mark.parametrize("ratio", [1, 2])
def test_pan_drag_moves_the_view(open_page: Any, ratio: int) -> None:
    figure, ax, _ = line_figure()
    view = FigureOnPage.shown(open_page, figure, ratio)
    choose_tool(view, "pan")
    expect(view.tool("zoom")).to_have_attribute("aria-pressed", "false")
    pan_drag_and_check(view, figure, ax)


@pytest.mark.parametrize("ratio", [1, 2])
def test_zoom_rubberband_zooms_in(open_page: Any, ratio: int) -> None:
    figure, ax, _ = line_figure()
    view = FigureOnPage.shown(open_page, figure, ratio)
    page = view.page
    pixels_before = view.pixels()
    expect(view.rubberband).to_be_hidden()

    choose_tool(view, "zoom")
    # From data (0, 1.2) to (1.5, 0): a rectangle within the axes.
    start = view.data_to_page(figure, ax, 0.0, 1.2)
    end = view.data_to_page(figure, ax, 1.5, 0.0)
    step_x, step_y = data_per_css_px(figure, ax)
    drag(page, start, end, hold=True)

    # While dragging, the rubberband covers the dragged rectangle.
    expect(view.rubberband).to_be_visible(timeout=TIMEOUT_MS)

    def band_matches() -> bool:
        box = view.rubberband.bounding_box()
        return box is not None and np.allclose(
            [box["x"], box["y"], box["width"], box["height"]],
            [start.x, start.y, end.x - start.x, end.y - start.y],
            atol=3,
        )

    wait_until(
        band_matches,
        page=page,
        message=lambda: f"the rubberband at {start} to {end}, not {view.rubberband.bounding_box()}",
    )
    page.mouse.up()

    wait_until(
        lambda: np.allclose(xlim(ax), (0.0, 1.5), atol=2 * step_x),
        page=page,
        message=lambda: f"xlim (0, 1.5), not {xlim(ax)}",
    )
    assert on_server(ax.get_ylim) == pytest.approx((0.0, 1.2), abs=2 * step_y)
    expect(view.rubberband).to_be_hidden(timeout=TIMEOUT_MS)
    view.wait_pixels_change(pixels_before)

    # The history buttons follow: back is enabled now, and takes the view back.
    expect(view.tool("back")).to_be_enabled(timeout=TIMEOUT_MS)
    view.tool("back").click()
    wait_until(
        lambda: np.allclose(xlim(ax), (-0.5, 2.5)),
        page=page,
        message=lambda: f"back to xlim (-0.5, 2.5), not {xlim(ax)}",
    )
    expect(view.tool("forward")).to_be_enabled(timeout=TIMEOUT_MS)


def test_two_tabs_on_one_figure_both_update(open_page: Any) -> None:
    figure, ax, line = line_figure("Shared")
    tab_a = FigureOnPage(open_page(f"/{figure.number}"), figure.number)
    tab_b = FigureOnPage(open_page(f"/{figure.number}"), figure.number)
    for tab in (tab_a, tab_b):
        tab.wait_ready()
        tab.wait_pixels(lambda p: colour_count(p, RED) > 2000, "the red line")

    # A change made by the script reaches both tabs.
    def turn_blue() -> None:
        line.set_color("#0000ff")
        figure.canvas.draw_idle()

    on_server(turn_blue)
    for tab in (tab_a, tab_b):
        tab.wait_pixels(
            lambda p: colour_count(p, BLUE) > 2000 and colour_count(p, RED) == 0,
            "the line to turn blue",
        )

    # A pan in tab A shows in tab B too.
    before_b = tab_b.pixels()
    before_xlim = xlim(ax)
    choose_tool(tab_a, "pan")
    # Tab B's toolbar shows the mode as well: it belongs to the figure, not the tab.
    expect(tab_b.tool("pan")).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT_MS)
    start = tab_a.axes_point(figure, ax, 0.5, 0.5)
    drag(tab_a.page, start, Point(start.x + 80, start.y - 30))
    wait_until(lambda: xlim(ax) != before_xlim, message="the pan to change xlim")
    tab_b.wait_pixels_change(before_b)

    # Once the figure is still, both tabs show exactly the same image: Agg's.
    def tabs_show_agg() -> bool:
        agg = agg_pixels(figure)
        return all(np.array_equal(tab.pixels(), agg) for tab in (tab_a, tab_b))

    wait_until(tabs_show_agg, page=tab_a.page, message="both canvases to equal Agg's buffer")
